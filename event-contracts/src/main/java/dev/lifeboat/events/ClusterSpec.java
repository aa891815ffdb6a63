package dev.lifeboat.events;

import java.util.List;

/**
 * The connection facts of a registered cluster, as every service needs them. Credentials appear only
 * as references (file paths or secret names), never as values.
 *
 * @param endpoints  etcd client URLs
 * @param tls        CA, client certificate and key as references, or null for plain HTTP
 * @param auth       user and password references, or null
 * @param destination where its snapshots go
 * @param members    the etcd members, for etcd-agents; may be empty
 * @param preferFollower take snapshots from a healthy follower rather than the leader
 * @param allowInsecure lets credentials go to plain-http endpoints (refused otherwise: a password would travel in the clear)
 */
public record ClusterSpec(String displayName, List<String> endpoints, Tls tls, Auth auth, Destination destination,
        List<Member> members, boolean preferFollower, boolean allowInsecure) {

    public ClusterSpec {
        endpoints = Require.list(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("missing field endpoints");
        }
        members = Require.list(members);
    }

    /** References to PEM files or secrets; never the key material itself. */
    public record Tls(String caRef, String certRef, String keyRef) {
    }

    /** References to the user name and password, never the password itself. */
    public record Auth(String userRef, String passwordRef) {
    }

    /** Bucket and key prefix of the cluster's snapshots. */
    public record Destination(String bucket, String prefix) {
    }

    /** One etcd member: its name and peer and client URLs. */
    public record Member(String name, String peerUrl, String clientUrl) {

        public Member {
            Ids.require(name, "members[].name");
        }
    }
}
