package io.siman.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static io.siman.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code siman train}, {@code eval} and {@code export} end to end with {@code --backend gpu} (PoCL's CPU device here). */
class GpuCliTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void allowCpuDevices() {
        System.setProperty("siman.gpu.allowCpuDevices", "true");
    }

    @AfterAll
    static void restore() {
        System.clearProperty("siman.gpu.allowCpuDevices");
    }

    @Test
    void trainEvaluateExportAndRunBitwiseOnTheGpuBackend() throws IOException {
        Path data = TinyFashionMnist.write(dir);
        Path out = dir.resolve("gpu-run");
        CliTest.Result t = run("train", "--backend", "gpu", "--data-dir", data.toString(), "--epochs", "1", "--batch", "32",
                "--out", out.toString(), "--quiet");
        assertEquals(0, t.code(), t.err());
        CliTest.Result e = run("eval", "--backend", "gpu", "--checkpoint", out.resolve("best.ckpt").toString(), "--data-dir", data.toString(), "--json");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("\"backend\": \"gpu\"") && e.out().contains("\"mode\": \"float\""), e.out());
        Path model = dir.resolve("m.siman");
        assertEquals(0, run("export", "--backend", "gpu", "--checkpoint", out.resolve("best.ckpt").toString(), "--out", model.toString()).code());
        CliTest.Result b = run("eval", "--backend", "gpu", "--model-file", model.toString(), "--data-dir", data.toString(), "--json",
                "--compare-checkpoint", out.resolve("best.ckpt").toString());
        assertEquals(0, b.code(), b.err());
        assertTrue(b.out().contains("\"mode\": \"bitwise\"") && b.out().contains("\"backend\": \"gpu\""), b.out());
        CliTest.Result list = run("backends", "--json");
        assertTrue(list.out().contains("\"name\": \"gpu\"") && list.out().contains("\"available\": true"), list.out());
    }
}
