package dev.lifeboat.scheduler.api;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import dev.lifeboat.events.api.InvalidRequestException;
import dev.lifeboat.events.ClusterSpec;

/**
 * The body of {@code POST/PUT /api/v1/clusters}. Credentials are references — {@code file:/path} or
 * {@code env:NAME} — never values, and are never shown back.
 */
public record ClusterRequest(String id, String displayName, List<String> endpoints, ClusterSpec.Tls tls, ClusterSpec.Auth auth,
        ClusterSpec.Destination destination, List<ClusterSpec.Member> members, Boolean preferFollower) {

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern REFERENCE = Pattern.compile("(file:)?/.+|env:[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    /** Checks every rule; the first broken one is thrown, naming its field. */
    public ClusterSpec validate(String expectedId) {
        if (id == null || !DNS_LABEL.matcher(id).matches()) {
            throw new InvalidRequestException("id", "id must be a DNS label (lower-case letters, digits and '-', at most 63, "
                    + "starting and ending with a letter or digit), not " + quote(id));
        }
        if (expectedId != null && !expectedId.equals(id)) {
            throw new InvalidRequestException("id", "id " + quote(id) + " differs from the cluster in the path " + quote(expectedId));
        }
        if (endpoints == null || endpoints.isEmpty()) {
            throw new InvalidRequestException("endpoints", "endpoints must list at least one etcd client URL");
        }
        for (int i = 0; i < endpoints.size(); i++) {
            endpoint("endpoints[" + i + "]", endpoints.get(i));
        }
        if (tls != null) {
            reference("tls.caRef", tls.caRef(), false);
            reference("tls.certRef", tls.certRef(), false);
            reference("tls.keyRef", tls.keyRef(), false);
            if ((tls.certRef() == null) != (tls.keyRef() == null)) {
                throw new InvalidRequestException(tls.certRef() == null ? "tls.certRef" : "tls.keyRef",
                        "a client certificate needs both tls.certRef and tls.keyRef");
            }
        }
        if (auth != null) {
            reference("auth.userRef", auth.userRef(), true);
            reference("auth.passwordRef", auth.passwordRef(), true);
        }
        if (destination != null && destination.bucket() != null && !BUCKET.matcher(destination.bucket()).matches()) {
            throw new InvalidRequestException("destination.bucket", "destination.bucket " + quote(destination.bucket())
                    + " is not a valid S3 bucket name");
        }
        if (destination != null && destination.prefix() != null
                && (destination.prefix().startsWith("/") || destination.prefix().endsWith("/") || destination.prefix().contains("//"))) {
            throw new InvalidRequestException("destination.prefix", "destination.prefix must not start or end with '/' nor contain '//'");
        }
        List<ClusterSpec.Member> memberList = members == null ? List.of() : members;
        Set<String> names = new HashSet<>();
        for (int i = 0; i < memberList.size(); i++) {
            ClusterSpec.Member member = memberList.get(i);
            if (member == null || member.name() == null || !DNS_LABEL.matcher(member.name()).matches()) {
                throw new InvalidRequestException("members[" + i + "].name", "members[" + i + "].name must be a DNS label");
            }
            if (!names.add(member.name())) {
                throw new InvalidRequestException("members[" + i + "].name", "member " + quote(member.name()) + " is listed twice");
            }
            endpoint("members[" + i + "].peerUrl", member.peerUrl());
            endpoint("members[" + i + "].clientUrl", member.clientUrl());
        }
        return new ClusterSpec(displayName == null || displayName.isBlank() ? id : displayName, new ArrayList<>(endpoints), tls, auth,
                destination, memberList, Boolean.TRUE.equals(preferFollower));
    }

    private static void endpoint(String field, String value) {
        try {
            URI uri = URI.create(value == null ? "" : value);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null || uri.getPort() < 1
                    || (uri.getPath() != null && !uri.getPath().isEmpty() && !"/".equals(uri.getPath()))) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(field, field + " must look like https://host:2379, not " + quote(value));
        }
    }

    private static void reference(String field, String value, boolean required) {
        if (value == null) {
            if (required) {
                throw new InvalidRequestException(field, field + " is required");
            }
            return;
        }
        if (!REFERENCE.matcher(value).matches()) {
            // The value is not echoed: it may be a secret pasted where a reference belongs.
            throw new InvalidRequestException(field, field + " must be a reference (file:/path, /path or env:NAME), not a value");
        }
    }

    private static String quote(String value) {
        return value == null ? "nothing" : "'" + value + "'";
    }
}
