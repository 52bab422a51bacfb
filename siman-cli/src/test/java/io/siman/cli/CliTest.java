package io.siman.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliTest {
    /** The unknown-backend error these tests expect: the test classpath also holds the test backend 'inference-only'. */
    private static final String KNOWN = "siman: unknown backend 'nope'; known: cpu, gpu, inference-only";

    /** What one run of the CLI printed and returned. */
    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    static Result runWith(ClassLoader loader, String... args) {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(loader);
        try {
            return run(args);
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    private static void assertOneLineError(Result r, String expected) {
        assertEquals(Main.USER_ERROR, r.code(), r.toString());
        assertEquals("", r.out());
        assertEquals(expected, r.err().strip(), r.toString());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
    }

    @Test
    void backendsJsonListsCpuAvailableAndSelected() {
        Result r = run("backends", "--json");
        assertEquals(0, r.code(), r.err());
        String json = r.out().strip();
        assertTrue(json.startsWith("[{\"name\": \"cpu\", \"priority\": 100, \"available\": true, \"selected\": true, \"device\": {\"name\": "), json);
        assertTrue(json.contains("\"kind\": \"cpu\""), json);
        assertTrue(json.contains("{\"name\": \"gpu\", \"priority\": "), "the GPU backend is discovered too: " + json);
        assertTrue(json.contains("\"available\": false, \"selected\": false"), json);
    }

    @Test
    void backendsTableMarksTheSelectedRow() {
        Result r = run("backends", "--backend", "cpu");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).matches("NAME\\s+PRIORITY\\s+AVAILABLE\\s+SELECTED\\s+DEVICE\\s+REASON"), lines.get(0));
        assertTrue(lines.stream().anyMatch(l -> l.matches("cpu\\s+100\\s+yes\\s+\\*\\s+.*")), r.out());
        assertEquals("selected: cpu (by --backend)", lines.get(lines.size() - 1));
    }

    @Test
    void unknownBackendOnTheCommandLine() {
        assertOneLineError(run("backends", "--backend", "nope"), KNOWN);
    }

    @Test
    void unknownBackendFromTheSystemProperty() {
        String old = System.getProperty("siman.backend");
        System.setProperty("siman.backend", "nope");
        try {
            assertOneLineError(run("backends"), KNOWN);
            Result explicitWins = run("backends", "--json", "--backend", "cpu");
            assertEquals(0, explicitWins.code(), "--backend wins over the property");
        } finally {
            if (old == null) {
                System.clearProperty("siman.backend");
            } else {
                System.setProperty("siman.backend", old);
            }
        }
    }

    @Test
    void knownButUnavailableBackendGivesItsReason() {
        Result r = run("backends", "--backend", "gpu");
        assertEquals(Main.USER_ERROR, r.code());
        assertTrue(r.err().startsWith("siman: backend 'gpu' (from --backend) is unavailable: "), r.err());
        assertEquals(1, r.err().strip().lines().count());
    }

    @Test
    void environmentVariableSelectsAndFailsInAFreshJvm() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
        cmd.addAll(TestJvmFlags.get());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "backends", "--json"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("SIMAN_BACKEND", "nope");
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(Main.USER_ERROR, p.exitValue(), err);
        assertEquals(KNOWN, err.strip());

        pb.environment().put("SIMAN_BACKEND", "cpu");
        Process ok = pb.start();
        String out = new String(ok.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(ok.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, ok.exitValue());
        assertTrue(out.contains("\"name\": \"cpu\", \"priority\": 100, \"available\": true, \"selected\": true"), out);
    }

    static final String TOY_PROVIDER = """
            package toy;
            import io.siman.api.*;
            public final class ToyProvider implements BackendProvider {
                public String name() { return "toy"; }
                public BackendProbe probe() { return BackendProbe.available(%d, new DeviceInfo("toy device", "cpu", 0, 1)); }
                public Backend create(BackendOptions o) { return new io.siman.backend.cpu.CpuBackendProvider().create(o); }
            }
            """;

    static final String TOY_COMMAND = """
            package toy;
            import picocli.CommandLine.Command;
            @Command(name = "hello", description = "Says hello from a plugin.")
            public final class HelloCommand implements Runnable {
                public void run() { System.out.println("hello from a plugin"); }
            }
            """;

    static final String TOY_SUBCOMMAND_PROVIDER = """
            package toy;
            public final class HelloProvider implements io.siman.cli.spi.SubcommandProvider {
                public String name() { return "hello"; }
                public Object command() { return new HelloCommand(); }
            }
            """;

    @Test
    void aProviderInAJarBuiltAtTestTimeIsDiscoveredAndSelectable(@TempDir Path dir) throws IOException {
        Path jar = PluginJar.build(dir, Map.of("toy.ToyProvider", TOY_PROVIDER.formatted(500),
                        "toy.HelloCommand", TOY_COMMAND, "toy.HelloProvider", TOY_SUBCOMMAND_PROVIDER),
                Map.of("io.siman.api.BackendProvider", "toy.ToyProvider",
                        "io.siman.cli.spi.SubcommandProvider", "toy.HelloProvider"));
        try (URLClassLoader loader = new URLClassLoader(new URL[]{jar.toUri().toURL()}, CliTest.class.getClassLoader())) {
            Result auto = runWith(loader, "backends", "--json");
            assertEquals(0, auto.code(), auto.err());
            assertTrue(auto.out().contains("{\"name\": \"toy\", \"priority\": 500, \"available\": true, \"selected\": true"),
                    "highest priority wins: " + auto.out());
            Result named = runWith(loader, "backends", "--backend", "cpu", "--json");
            assertTrue(named.out().contains("{\"name\": \"toy\", \"priority\": 500, \"available\": true, \"selected\": false"), named.out());
            Result help = runWith(loader, "--help");
            assertTrue(help.out().contains("hello") && help.out().contains("Says hello from a plugin."), help.out());
        }
    }

    @Test
    void twoProvidersWithOneNameFailAtDiscovery(@TempDir Path dir) throws IOException {
        String clash = TOY_PROVIDER.formatted(1).replace("return \"toy\"", "return \"cpu\"");
        Path jar = PluginJar.build(dir, Map.of("toy.ToyProvider", clash), Map.of("io.siman.api.BackendProvider", "toy.ToyProvider"));
        try (URLClassLoader loader = new URLClassLoader(new URL[]{jar.toUri().toURL()}, CliTest.class.getClassLoader())) {
            assertOneLineError(runWith(loader, "backends"), "siman: two backends are named 'cpu': "
                    + "io.siman.backend.cpu.CpuBackendProvider and toy.ToyProvider; remove one from the class path");
        }
    }

    @Test
    void helpAndVersion() {
        Result help = run("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("Usage: siman [-hV] [COMMAND]"), help.out());
        assertTrue(help.out().contains("backends") && help.out().contains("SIMAN_JAVA_OPTS"), help.out());
        Result sub = run("backends", "--help");
        assertEquals(0, sub.code());
        assertTrue(sub.out().contains("--backend=NAME") && sub.out().contains("--json") && sub.out().contains("--threads=N"), sub.out());
        Result version = run("--version");
        assertEquals(0, version.code());
        assertTrue(version.out().startsWith("siman 0.1.0"), version.out());
        assertTrue(version.out().contains("Java 25"), version.out());
    }

    @Test
    void usageErrorsExitWithTwo() {
        Result r = run("backends", "--no-such-option");
        assertEquals(Main.USAGE_ERROR, r.code());
        assertTrue(r.err().startsWith("siman: Unknown option: '--no-such-option'"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");
        Result unknownCommand = run("frobnicate");
        assertEquals(Main.USAGE_ERROR, unknownCommand.code());
    }

    /** 'siman --help' lists each command with the first line of its description: a whole sentence that fits a line. */
    @Test
    void everyCommandSummaryIsOneCompleteLine() {
        picocli.CommandLine cl = Main.commandLine();
        for (Map.Entry<String, picocli.CommandLine> e : cl.getSubcommands().entrySet()) {
            String[] description = e.getValue().getCommandSpec().usageMessage().description();
            if (e.getKey().equals("help")) {
                continue; // picocli's own
            }
            assertTrue(description.length > 0, e.getKey() + " has a description");
            String first = description[0];
            assertTrue(first.endsWith(".") && first.length() <= 100, e.getKey() + ": '" + first + "'");
        }
        Result r = run("--help");
        for (String line : r.out().lines().filter(l -> l.startsWith("  ") && !l.startsWith("   ")).toList()) {
            if (line.strip().startsWith("-") || line.contains("help ")) {
                continue;
            }
            assertFalse(line.strip().endsWith(","), "a summary cut mid-sentence: " + line);
        }
    }

    /** 'siman import --from pytorch' writes a checkpoint that 'eval' reads; bad requests are one-line errors. */
    @Test
    void importAPyTorchCheckpointThenEvaluateIt(@TempDir Path dir) {
        String pth = Path.of("..", "siman-models", "src", "test", "resources", "pytorch", "authors-resnet20-fmnist.pth").toString();
        Path ckpt = dir.resolve("imported.ckpt");
        Result r = run("import", "--from", "pytorch", pth, "--model", "resnet20", "--out", ckpt.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"architecture\": \"resnet20\", \"input_channels\": 1, \"classes\": 10, \"tensors\": 155,"
                + " \"binarized_layers\": 18, \"dataset\": \"fashion-mnist\""), r.out());
        Result eval = run("eval", "--checkpoint", ckpt.toString(), "--limit", "500", "--json", "--quiet");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("\"count\": 500"), eval.out());
        assertOneLineError(run("import", "--from", "pytorch", pth, "--model", "resnet20", "--out", ckpt.toString()),
                "siman: " + ckpt + " exists: choose another --out or pass --overwrite");
        assertOneLineError(run("import", "--from", "caffe", pth, "--model", "resnet20", "--out", dir.resolve("x").toString()),
                "siman: unknown import format 'caffe'; known: pytorch, onnx");
        assertOneLineError(run("import", "--from", "pytorch", pth, "--model", "resnet21", "--out", dir.resolve("x").toString()),
                "siman: unknown model 'resnet21'; known: resnet20, resnet18, vgg-small, resnet18-imagenet, resnet34-imagenet");
        Result missing = run("import", "--from", "pytorch", dir.resolve("none.pth").toString(), "--model", "resnet20", "--out",
                dir.resolve("x").toString());
        assertOneLineError(missing, "siman: " + dir.resolve("none.pth") + ": no such file");
        assertOneLineError(run("import", "--from", "pytorch", pth, "--out", dir.resolve("x").toString()),
                "siman: --from pytorch needs --model (the architecture the state dict belongs to)");
        String onnx = Path.of("..", "siman-models", "src", "test", "resources", "pytorch", "authors-resnet20-fmnist.onnx").toString();
        Path model = dir.resolve("from-onnx.siman");
        Result fromOnnx = run("import", "--from", "onnx", onnx, "--out", model.toString());
        assertEquals(0, fromOnnx.code(), fromOnnx.err());
        assertTrue(fromOnnx.out().startsWith("wrote " + model + ": resnet20 (siman, pm1) for 1x32x32 inputs and 10 classes;"), fromOnnx.out());
        Result bitwise = run("eval", "--model-file", model.toString(), "--limit", "500", "--json", "--quiet");
        assertEquals(0, bitwise.code(), bitwise.err());
        assertTrue(bitwise.out().contains("\"mode\": \"bitwise\""), bitwise.out());
        assertOneLineError(run("import", "--from", "onnx", onnx, "--model", "vgg-small", "--out", dir.resolve("y").toString()),
                "siman: " + onnx + ": the graph is not vgg-small: at conv0 the network has a convolution 1->128 3x3 stride 1 padding 1,"
                        + " the graph /conv1/Conv (convolution 1->16 3x3 stride 1 padding 1)");
        assertOneLineError(run("train", "--init", ckpt.toString(), "--resume", "--out", dir.resolve("run").toString()),
                "siman: --resume and --init contradict each other (a resumed run continues from its own weights)");
    }
}
