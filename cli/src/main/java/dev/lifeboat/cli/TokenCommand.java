package dev.lifeboat.cli;

import java.nio.file.Path;
import java.util.List;

import dev.lifeboat.tokens.LocalTokens;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lifeboat token create}: a narrower token signed with {@code make run}'s key, for a person, a runbook or
 * a dashboard that should only read — where Lifeboat verifies its own tokens (an identity provider mints its own).
 */
@Command(name = "token", description = "Tokens signed with make run's key (.lifeboat/auth).", mixinStandardHelpOptions = true)
final class TokenCommand extends Base {

    @Command(name = "create", description = "Print a new token with the given roles, optionally limited to some clusters.")
    int create(@Option(names = "--role", required = true, split = ",", description = "viewer, operator, restorer or admin; repeat or separate by commas")
            List<String> roles,
            @Option(names = "--cluster", split = ",", description = "limit the token to these clusters (default: every cluster)") List<String> clusters,
            @Option(names = "--ttl", defaultValue = "24h", description = "how long it is valid, e.g. 1h, 24h, 720h (default ${DEFAULT-VALUE})") String ttl,
            @Option(names = "--subject", defaultValue = "${env:USER:-lifeboat-user}", description = "whom it names in the event log "
                    + "(default ${DEFAULT-VALUE})") String subject,
            @Option(names = "--keys", description = "the folder of the signing key (default: .lifeboat/auth of the checkout)") Path keys) {
        try {
            LocalTokens tokens = LocalTokens.readFrom(keys != null ? keys : Lifeboat.authDir());
            out().println(tokens.mint(subject, roles, clusters == null ? List.of() : clusters, Waiting.duration(ttl, "--ttl")));
            out().flush();
            return CliException.OK;
        } catch (IllegalArgumentException e) {
            throw new CliException(CliException.REFUSED, e.getMessage());
        }
    }
}
