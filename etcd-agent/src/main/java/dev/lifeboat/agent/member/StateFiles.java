package dev.lifeboat.agent.member;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.lifeboat.agent.AgentConfig;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.Ids;
import jakarta.enterprise.context.ApplicationScoped;

/** The agent's state files: one JSON file a restore, written to a temporary file and renamed into place. */
@ApplicationScoped
public class StateFiles {

    private final Path dir;

    public StateFiles(AgentConfig config) {
        this.dir = Path.of(config.stateDir().orElse(config.etcd().dataDir() + ".agent")).toAbsolutePath();
    }

    public Path dir() {
        return dir;
    }

    public Optional<RestoreState> find(String restoreId) {
        Path file = file(restoreId);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        return Optional.of(read(file));
    }

    /** Every state file, oldest first. */
    public List<RestoreState> all() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<RestoreState> states = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("restore-.*\\.json")).toList()) {
                states.add(read(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the agent's state files in " + dir, e);
        }
        states.sort((a, b) -> a.receivedAt.compareTo(b.receivedAt));
        return states;
    }

    public void save(RestoreState state) {
        state.updatedAt = Instant.now();
        try {
            Files.createDirectories(dir);
            Path temporary = Ids.under(dir, "restore-", state.restoreId, ".json.tmp");
            Files.write(temporary, EventCodec.json().writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
            Files.move(temporary, file(state.restoreId), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the agent's state file for restore " + state.restoreId + " in " + dir + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
    }

    private static RestoreState read(Path file) {
        try {
            return EventCodec.json().readValue(file.toFile(), RestoreState.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the agent's state file " + file, e);
        }
    }

    private Path file(String restoreId) {
        if (!restoreId.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("restore id '" + restoreId + "' has characters a file name cannot hold");
        }
        return Ids.under(dir, "restore-", restoreId, ".json");
    }
}
