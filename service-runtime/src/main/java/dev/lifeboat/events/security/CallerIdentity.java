package dev.lifeboat.events.security;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.eclipse.microprofile.jwt.JsonWebToken;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Completes a verified caller: the roles its token grants with the roles they include ({@link Roles}), and the
 * clusters it is limited to (the claim {@code lifeboat.security.clusters-claim}; none: every cluster), as the
 * attribute {@link #CLUSTERS}.
 */
@ApplicationScoped
public class CallerIdentity implements SecurityIdentityAugmentor {

    /** The attribute holding the clusters a caller is limited to (a sorted set), absent when it is not limited. */
    public static final String CLUSTERS = "lifeboat.clusters";

    private final SecurityConfig config;

    public CallerIdentity(SecurityConfig config) {
        this.config = config;
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (identity.isAnonymous()) {
            return Uni.createFrom().item(identity);
        }
        QuarkusSecurityIdentity.Builder builder = QuarkusSecurityIdentity.builder(identity).addRoles(Roles.withIncluded(identity.getRoles()));
        if (identity.getPrincipal() instanceof JsonWebToken token && token.containsClaim(config.clustersClaim())) {
            builder.addAttribute(CLUSTERS, clusters(token.getClaim(config.clustersClaim())));
        }
        return Uni.createFrom().item(builder.build());
    }

    /** The claim's clusters: a JSON array of ids, or one id; anything else limits the caller to none. */
    private static Set<String> clusters(Object claim) {
        if (claim instanceof Collection<?> values) {
            return values.stream().map(CallerIdentity::text).collect(Collectors.toCollection(TreeSet::new));
        }
        Set<String> one = new TreeSet<>();
        if (claim != null) {
            one.add(text(claim));
        }
        return one;
    }

    /** A claim value as text: JSON strings arrive quoted as JsonString. */
    private static String text(Object value) {
        return value instanceof jakarta.json.JsonString json ? json.getString() : String.valueOf(value);
    }
}
