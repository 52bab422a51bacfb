package io.siman.cli;

import io.siman.api.Encoding;
import io.siman.models.Siman;
import io.siman.models.inference.ModelExport;
import io.siman.models.nets.Zoo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.siman.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The in-repository test backend {@code inference-only} (the core kernels and the bitwise group, nothing else) through
 * the command line: every zoo network evaluates bitwise from its model file with the predictions of {@code cpu}, and
 * {@code train} refuses it in one line.
 */
class InferenceOnlyBackendCliTest {
    private static final int IMAGES = 40;
    private static final Pattern TOP_CLASS = Pattern.compile("\"top\": \\[\\{\"class\": (\\d+)");

    @TempDir
    static Path dir;
    static Path data;

    @BeforeAll
    static void writeData() throws IOException {
        data = TinyFashionMnist.write(dir);
    }

    @Test
    void everyZooNetworkRunsBitwiseWithTheCpuBackendsPredictions() throws IOException {
        for (String architecture : Zoo.NAMES) {
            Path folder = Files.createDirectories(dir.resolve(architecture));
            Path model;
            try (Siman siman = Siman.builder().backend("cpu").threads(2).build()) {
                model = ModelExport.randomModel(siman.backend(), siman.binarizers(), architecture, "siman", Encoding.PM1, "fashion-mnist", 7, folder);
            }
            CliTest.Result eval = run("eval", "--backend", "inference-only", "--model-file", model.toString(), "--data-dir", data.toString(),
                    "--json", "--quiet");
            assertEquals(0, eval.code(), architecture + ": " + eval.err());
            assertTrue(eval.out().contains("\"mode\": \"bitwise\"") && eval.out().contains("\"backend\": \"inference-only\"")
                    && eval.out().contains("\"count\": " + IMAGES), architecture + ": " + eval.out());
            List<Integer> reference = predictions("cpu", model), tested = predictions("inference-only", model);
            assertEquals(IMAGES, tested.size(), architecture);
            assertEquals(reference, tested, architecture + ": the same predicted classes as the cpu backend");
        }
    }

    private static List<Integer> predictions(String backend, Path model) {
        CliTest.Result p = run("predict", "--backend", backend, "--model-file", model.toString(), "--input",
                data.resolve("t10k-images-idx3-ubyte").toString(), "--json");
        assertEquals(0, p.code(), backend + ": " + p.err());
        List<Integer> classes = new ArrayList<>();
        Matcher m = TOP_CLASS.matcher(p.out());
        while (m.find()) {
            classes.add(Integer.parseInt(m.group(1)));
        }
        return classes;
    }

    @Test
    void trainingIsRefusedInOneLineNamingTheBackendAndTheGroup() {
        Path out = dir.resolve("refused");
        CliTest.Result t = run("train", "--backend", "inference-only", "--data-dir", data.toString(), "--epochs", "1", "--batch", "32",
                "--out", out.toString(), "--quiet");
        assertEquals(Main.USER_ERROR, t.code(), t.err());
        assertEquals("siman: backend 'inference-only' does not implement the training kernels (group 'training'); "
                + "choose a backend that does (siman backends lists them)", t.err().strip());
        assertFalse(Files.exists(out.resolve("best.ckpt")));
    }
}
