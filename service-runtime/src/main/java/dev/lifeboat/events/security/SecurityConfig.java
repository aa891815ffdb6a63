package dev.lifeboat.events.security;

import java.util.List;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How callers and secret references are checked, in every service (README "Security"). */
@ConfigMapping(prefix = "lifeboat.security")
public interface SecurityConfig {

    /**
     * The token claim that limits a caller to some clusters (a list of cluster ids); a token without it may touch
     * every cluster its roles allow.
     */
    @WithDefault("lifeboat_clusters")
    String clustersClaim();

    /** Which secret references clusters may name (their credentials for etcd). */
    Secrets secrets();

    interface Secrets {

        /** {@code env:NAME} references must name a variable starting with this prefix. */
        @WithDefault("LIFEBOAT_ETCD_")
        String envPrefix();

        /**
         * {@code file:/path} references must name a file under one of these directories (kubeadm keeps etcd's client
         * certificates in /etc/kubernetes/pki/etcd).
         */
        @WithDefault("/etc/lifeboat/secrets,/run/secrets,/var/run/secrets,/etc/kubernetes/pki/etcd")
        List<String> fileDirectories();
    }
}
