package io.siman.cli;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code ./siman} launcher itself (run by Failsafe after the jar and its class path are packaged): it finds
 * Java 25, passes the JVM options of the environment on, and starts TornadoVM's JVM only for the tornado backend.
 */
class LauncherIT {
    private static final Path LAUNCHER = Path.of("..", "siman").toAbsolutePath().normalize();

    record Run(int code, String out, String err) {
    }

    private static Run run(Map<String, String> env, String... args) throws Exception {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "bash";
        cmd[1] = LAUNCHER.toString();
        System.arraycopy(args, 0, cmd, 2, args.length);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("SIMAN_BACKEND");
        pb.environment().remove("TORNADOVM_HOME");
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the launcher returns");
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void javaToolOptionsReachTheJvmAndDoNotHideItsVersion() throws Exception {
        assertTrue(Files.exists(LAUNCHER));
        // containers and CI systems set JAVA_TOOL_OPTIONS; the JVM then prints "Picked up ..." before its version
        Run r = run(Map.of("JAVA_TOOL_OPTIONS", "-Dsiman.backend=cpu"), "backends");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("selected: cpu (by -Dsiman.backend)"), r.out());
        assertTrue(r.err().contains("Picked up JAVA_TOOL_OPTIONS: -Dsiman.backend=cpu"), r.err());
        assertTrue(!r.err().contains("Java 25 not found"), r.err());
    }

    @Test
    void aJavaHomeThatIsNotJava25IsReplacedByTheDefault() throws Exception {
        Run r = run(Map.of("JAVA_HOME", "/nonexistent", "SIMAN_BACKEND", "cpu"), "backends", "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"name\": \"cpu\", \"priority\": 100, \"available\": true, \"selected\": true"), r.out());
        assertEquals("", r.err().strip(), "nothing on standard error");
    }

    @Test
    void theTornadoBackendWithoutTornadoVmIsAOneLineError() throws Exception {
        String expected = "siman: the tornado backend needs TornadoVM: install it and set TORNADOVM_HOME (see docs/tornadovm.md)";
        Run named = run(Map.of(), "--backend", "tornado", "backends");
        assertEquals(1, named.code(), named.err());
        assertEquals(expected, named.err().strip());
        Run byEnvironment = run(Map.of("SIMAN_BACKEND", "tornado"), "eval", "--model-file", "missing.siman");
        assertEquals(1, byEnvironment.code(), byEnvironment.err());
        assertEquals(expected, byEnvironment.err().strip());
        Run elsewhere = run(Map.of("TORNADOVM_HOME", "/nonexistent/tornadovm"), "backends");
        assertEquals(0, elsewhere.code(), "a TornadoVM that is not set up only matters to commands that ask for it: " + elsewhere.err());
    }
}
