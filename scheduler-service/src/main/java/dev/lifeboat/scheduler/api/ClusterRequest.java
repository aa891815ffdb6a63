package dev.lifeboat.scheduler.api;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import dev.lifeboat.events.api.InvalidRequestException;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.SecretReference;
import jakarta.validation.constraints.Size;

/**
 * The body of {@code POST/PUT /api/v1/clusters}. Credentials are references — {@code file:/path} or
 * {@code env:NAME} — never values, and are never shown back.
 */
public record ClusterRequest(@Size(max = 63) String id, @Size(max = 200) String displayName,
        @Size(max = 16) List<@Size(max = 512) String> endpoints, ClusterSpec.Tls tls, ClusterSpec.Auth auth,
        ClusterSpec.Destination destination, @Size(max = 16) List<ClusterSpec.Member> members, Boolean preferFollower, Boolean allowInsecure) {

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern REFERENCE = Pattern.compile("(file:)?/.+|env:[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    /** Checks every rule (references against {@code rules}); the first broken one is thrown, naming its field. */
    public ClusterSpec validate(String expectedId, SecretReference.Rules rules) {
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
            reference("tls.caRef", tls.caRef(), false, rules);
            reference("tls.certRef", tls.certRef(), false, rules);
            reference("tls.keyRef", tls.keyRef(), false, rules);
            if ((tls.certRef() == null) != (tls.keyRef() == null)) {
                throw new InvalidRequestException(tls.certRef() == null ? "tls.certRef" : "tls.keyRef",
                        "a client certificate needs both tls.certRef and tls.keyRef");
            }
        }
        if (auth != null) {
            reference("auth.userRef", auth.userRef(), true, rules);
            reference("auth.passwordRef", auth.passwordRef(), true, rules);
            boolean plain = tls == null && endpoints.stream().anyMatch(endpoint -> endpoint.startsWith("http://"));
            if (plain && !Boolean.TRUE.equals(allowInsecure)) {
                throw new InvalidRequestException("auth", "credentials go only to https endpoints (a password sent to http:// travels in the "
                        + "clear); use https, or set allowInsecure: true for a network you trust");
            }
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
                destination, memberList, Boolean.TRUE.equals(preferFollower), Boolean.TRUE.equals(allowInsecure));
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

    private static void reference(String field, String value, boolean required, SecretReference.Rules rules) {
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
        try {
            rules.check(value, field);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(field, e.getMessage());
        }
    }

    private static String quote(String value) {
        return value == null ? "nothing" : "'" + value + "'";
    }
}
