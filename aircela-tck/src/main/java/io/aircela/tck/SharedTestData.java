package io.aircela.tck;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the project's shared test data (models and llama.cpp golden outputs), which lives in a
 * {@code shared/} folder beside the repository and is never copied into it. Looked up in order:
 * system property {@code aircela.shared}, environment variable {@code AIRCELA_SHARED}, then
 * {@code ../shared} from the working directory or any folder above it.
 */
public final class SharedTestData {
    private SharedTestData() {
    }

    /** The shared folder, if present. */
    public static Optional<Path> root() {
        String explicit = System.getProperty("aircela.shared", System.getenv("AIRCELA_SHARED"));
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            return Files.isDirectory(p.resolve("models")) ? Optional.of(p.toAbsolutePath().normalize()) : Optional.empty();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolveSibling("shared");
            if (dir.getParent() != null && Files.isDirectory(candidate.resolve("models")))
                return Optional.of(candidate.normalize());
        }
        return Optional.empty();
    }

    /**
     * A file under the shared folder (e.g. {@code "models/stories260k.gguf"}); skips the calling test
     * with a clear message when the shared data or the file is absent.
     */
    public static Path require(String relative) {
        Optional<Path> root = root();
        Assumptions.assumeTrue(root.isPresent(), "shared test data not found (expected a 'shared' folder with "
                + "models/ beside the repository, or -Daircela.shared=DIR); skipping");
        Path p = root.get().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), "shared test file " + p + " is absent; skipping");
        return p;
    }
}
