package io.aircela.tck;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks that a module declares its service providers identically in {@code module-info}
 * ({@code provides ... with ...}, used on the module path) and in {@code META-INF/services}
 * (used on the class path), and that {@link ServiceLoader} can instantiate every one of them.
 *
 * <p>Subclass it in the module's tests and name one class of the module's main code.
 */
public abstract class ProviderDeclarationContractTest {

    /** Any class from the module's main (not test) code. */
    protected abstract Class<?> classOfModule();

    private Path moduleRoot() throws URISyntaxException {
        return Path.of(classOfModule().getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void moduleInfoAndMetaInfServicesDeclareTheSameProviders() throws Exception {
        Path root = moduleRoot();
        if (Files.isDirectory(root)) {
            compare(root);
        } else {
            try (FileSystem jar = FileSystems.newFileSystem(root)) {
                compare(jar.getPath("/"));
            }
        }
    }

    private static void compare(Path root) throws IOException {
        Path moduleInfo = root.resolve("module-info.class");
        assertTrue(Files.exists(moduleInfo), "no module-info.class under " + root);
        ModuleDescriptor descriptor;
        try (InputStream in = Files.newInputStream(moduleInfo)) {
            descriptor = ModuleDescriptor.read(in);
        }
        Map<String, Set<String>> declared = new TreeMap<>();
        for (ModuleDescriptor.Provides p : descriptor.provides())
            declared.put(p.service(), new LinkedHashSet<>(p.providers()));
        Map<String, Set<String>> services = new TreeMap<>();
        Path dir = root.resolve("META-INF/services");
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Set<String> names = new LinkedHashSet<>();
                    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                        String s = line.replaceAll("#.*", "").strip();
                        if (!s.isEmpty()) names.add(s.replace('$', '.'));
                    }
                    services.put(f.getFileName().toString(), names);
                }
            }
        }
        assertEquals(declared, services, "module-info 'provides' (left) and META-INF/services (right) of "
                + descriptor.name() + " disagree");
    }

    @Test
    void everyDeclaredProviderLoads() throws Exception {
        Path root = moduleRoot();
        Path moduleInfo = Files.isDirectory(root) ? root.resolve("module-info.class") : null;
        if (moduleInfo == null) return; // packaged: covered by the comparison above
        ModuleDescriptor descriptor;
        try (InputStream in = Files.newInputStream(moduleInfo)) {
            descriptor = ModuleDescriptor.read(in);
        }
        for (ModuleDescriptor.Provides p : descriptor.provides()) {
            Class<?> service = Class.forName(p.service());
            Set<String> found = new LinkedHashSet<>();
            for (ServiceLoader.Provider<?> prov : ServiceLoader.load(service).stream().toList())
                found.add(prov.type().getName().replace('$', '.'));
            for (String name : p.providers())
                assertTrue(found.contains(name), name + " is declared for " + p.service()
                        + " but ServiceLoader did not find it; found " + found);
            assertFalse(found.isEmpty());
        }
    }
}
