package dev.lifeboat.events.security;

import java.nio.file.Path;

import org.eclipse.microprofile.config.ConfigProvider;

import dev.lifeboat.events.SecretReference;
import io.smallrye.config.SmallRyeConfig;

/**
 * The rules for clusters' secret references in this service ({@code lifeboat.security.secrets.*}), for the places
 * that check or resolve them — registration, and every etcd connection — some of which are plain static code.
 */
public final class SecretRules {

    private static volatile SecretReference.Rules rules;

    private SecretRules() {
    }

    public static SecretReference.Rules current() {
        SecretReference.Rules known = rules;
        if (known == null) {
            SecurityConfig.Secrets config = ConfigProvider.getConfig().unwrap(SmallRyeConfig.class).getConfigMapping(SecurityConfig.class).secrets();
            known = new SecretReference.Rules(config.envPrefix(), config.fileDirectories().stream().map(Path::of).toList());
            rules = known;
        }
        return known;
    }
}
