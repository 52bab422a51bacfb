package io.siman.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.siman.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code siman summary}, {@code plot} and {@code inspect} on a run trained here, and their one-line errors. */
class ReportsCliTest {
    @TempDir
    static Path dir;
    static Path run;

    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @BeforeAll
    static void trainATinyRun() throws IOException {
        Path data = TinyFashionMnist.write(dir);
        run = dir.resolve("run");
        CliTest.Result t = run("train", "--data-dir", data.toString(), "--epochs", "2", "--batch", "32",
                "--out", run.toString(), "--quiet");
        assertEquals(0, t.code(), t.err());
    }

    private static void isPng(Path f) throws IOException {
        assertTrue(Files.isRegularFile(f), f + " exists");
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(f), 8);
        assertArrayEquals(PNG, head, f + " starts with the PNG signature");
        assertTrue(Files.size(f) > 5_000, f + " holds a picture: " + Files.size(f) + " bytes");
    }

    @Test
    void plotWritesTheFourCharts() throws IOException {
        Path out = dir.resolve("charts");
        CliTest.Result r = run("plot", "--run", run.toString(), "--run", run.toString(), "--label", "a", "--label", "b", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        for (String f : new String[]{"loss.png", "accuracy.png", "learning-rate.png", "throughput.png"}) {
            isPng(out.resolve(f));
            assertTrue(r.out().contains(out.resolve(f).toString()), r.out());
        }
        CliTest.Result missing = run("plot", "--run", dir.resolve("nothing").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("siman: ") && missing.err().contains("no such metrics file"), missing.err());
        CliTest.Result labels = run("plot", "--run", run.toString(), "--label", "a", "--label", "b");
        assertEquals(1, labels.code());
        assertEquals("siman: give one --label per --run (1 runs, 2 labels)", labels.err().strip());
    }

    @Test
    void inspectReportsEveryBinarizedLayerAndAHash() throws IOException {
        Path hist = dir.resolve("hist");
        Path ckpt = run.resolve("best.ckpt");
        CliTest.Result r = run("inspect", "--checkpoint", ckpt.toString(), "--compare", run.resolve("last.ckpt").toString(),
                "--histograms", hist.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        String json = r.out();
        for (String key : new String[]{"\"weights_sha256\": \"", "\"layers\": [", "\"name\": \"layer1.0.conv1\"", "\"better_fit\": ",
                "\"k_star_fraction\": ", "\"bit_entropy\": ", "\"ones_fraction\": ", "\"bits_flipped\": ", "\"excess_kurtosis\": "}) {
            assertTrue(json.contains(key), key + " in " + json);
        }
        // SiMaN sets exactly floor(n/2) bits of every output channel: 72 of the 144 of a 16-channel 3x3 conv
        assertTrue(json.contains("\"ones_fraction\": 0.5,"), json);
        assertEquals(18, countFiles(hist), "one histogram per binarized layer of ResNet-20");
        isPng(hist.resolve("layer3.2.conv2.png"));
        CliTest.Result again = run("inspect", "--checkpoint", ckpt.toString(), "--json");
        String hash = json.replaceAll("(?s).*\"weights_sha256\": \"([0-9a-f]{64})\".*", "$1");
        assertTrue(again.out().contains(hash), "the same checkpoint hashes the same");
        CliTest.Result text = run("inspect", "--checkpoint", ckpt.toString());
        assertTrue(text.out().contains("layers fit a Laplacian better; mean k*/n"), text.out());
        CliTest.Result bad = run("inspect", "--checkpoint", dir.resolve("none.ckpt").toString());
        assertEquals(1, bad.code());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
    }

    @Test
    void summaryOfTheCheckpointAndOfAZooNetwork() {
        CliTest.Result r = run("summary", "--checkpoint", run.resolve("best.ckpt").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"binary_macs\": 40108032"), r.out());
        CliTest.Result z = run("summary", "--model", "vgg-small", "--dataset", "cifar10");
        assertEquals(0, z.code(), z.err());
        assertTrue(z.out().contains("x smaller"), z.out());
        CliTest.Result none = run("summary");
        assertEquals("siman: give exactly one of --model, --checkpoint and --model-file", none.err().strip());
    }

    private static long countFiles(Path d) throws IOException {
        try (var s = Files.list(d)) {
            return s.count();
        }
    }
}
