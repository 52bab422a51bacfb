package io.siman.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.siman.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code siman train} and {@code siman eval} end to end on a tiny IDX dataset, and their one-line errors. */
class TrainEvalCliTest {
    @TempDir
    static Path dir;
    static Path data;

    @BeforeAll
    static void writeTinyFashionMnist() throws IOException {
        data = TinyFashionMnist.write(dir);
    }

    private static void oneLineError(CliTest.Result r, String expectedStart) {
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith("siman: " + expectedStart), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void trainsEvaluatesAndResumes() throws IOException {
        Path out = dir.resolve("run");
        CliTest.Result t = run("train", "--data-dir", data.toString(), "--epochs", "2", "--batch", "32", "--out", out.toString(), "--quiet");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().startsWith("best test accuracy "), t.out());
        assertTrue(Files.exists(out.resolve("last.ckpt")) && Files.exists(out.resolve("best.ckpt")));
        assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size());

        CliTest.Result e = run("eval", "--checkpoint", out.resolve("best.ckpt").toString(), "--data-dir", data.toString(), "--json");
        assertEquals(0, e.code(), e.err());
        String json = e.out().strip();
        for (String key : new String[]{"\"accuracy\": ", "\"top5\": ", "\"count\": 40", "\"mode\": \"float\"", "\"backend\": \"cpu\"", "\"images_per_second\": "}) {
            assertTrue(json.contains(key), key + " in " + json);
        }

        oneLineError(run("train", "--data-dir", data.toString(), "--out", out.toString()), out + " already holds checkpoints");
        oneLineError(run("train", "--data-dir", data.toString(), "--out", out.toString(), "--resume", "--batch", "64"),
                "--batch 64 contradicts the run being resumed (batch = 32 in ");
        CliTest.Result done = run("train", "--data-dir", data.toString(), "--out", out.toString(), "--resume", "--quiet");
        assertEquals(0, done.code(), done.err());
        assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size(), "nothing left to train");
        CliTest.Result again = run("train", "--data-dir", data.toString(), "--epochs", "1", "--batch", "32", "--out", out.toString(),
                "--overwrite", "--quiet");
        assertEquals(0, again.code(), again.err());
        assertEquals(1, Files.readAllLines(out.resolve("metrics.jsonl")).size());
    }

    @Test
    void exportsEvaluatesBitwisePredictsAndBenchmarks() throws IOException {
        Path out = dir.resolve("for-export");
        assertEquals(0, run("train", "--data-dir", data.toString(), "--epochs", "1", "--batch", "32", "--out", out.toString(), "--quiet").code());
        Path model = dir.resolve("m.siman");
        CliTest.Result x = run("export", "--checkpoint", out.resolve("best.ckpt").toString(), "--out", model.toString(), "--json");
        assertEquals(0, x.code(), x.err());
        assertTrue(x.out().contains("\"binarized_layers\": 18"), x.out());
        CliTest.Result f = run("eval", "--checkpoint", out.resolve("best.ckpt").toString(), "--data-dir", data.toString(), "--json");
        CliTest.Result b = run("eval", "--model-file", model.toString(), "--data-dir", data.toString(), "--json",
                "--compare-checkpoint", out.resolve("best.ckpt").toString());
        assertEquals(0, b.code(), b.err());
        assertTrue(b.out().contains("\"mode\": \"bitwise\""), b.out());
        assertTrue(b.out().contains("\"agreement\": 1.0, \"identical_logits\": 40, \"max_abs_logit_difference\": 0.0"), b.out());
        String accuracy = f.out().substring(f.out().indexOf("\"accuracy\""), f.out().indexOf(", \"top5\""));
        assertTrue(b.out().contains(accuracy), "the same accuracy bitwise: " + accuracy + " in " + b.out());

        CliTest.Result p = run("predict", "--model-file", model.toString(), "--input", data.resolve("t10k-images-idx3-ubyte").toString(),
                "--limit", "3", "--json");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().startsWith("[{\"input\": \"t10k-images-idx3-ubyte#0\", \"index\": 0, \"top\": [{\"class\": "), p.out());
        assertEquals(3, p.out().split("\"index\"").length - 1);
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(40, 30, java.awt.image.BufferedImage.TYPE_INT_RGB);
        Path png = dir.resolve("shirt.png");
        javax.imageio.ImageIO.write(img, "png", png.toFile());
        CliTest.Result pic = run("predict", "--model-file", model.toString(), "--input", png.toString(), "--top", "2");
        assertEquals(0, pic.code(), pic.err());
        assertEquals(1, pic.out().strip().lines().count());
        assertTrue(pic.out().startsWith(png + ":  "), pic.out());

        CliTest.Result bench = run("bench", "--model-file", model.toString(), "--batches", "1,4", "--seconds", "0.05", "--json");
        assertEquals(0, bench.code(), bench.err());
        for (String key : new String[]{"\"batch\": 1", "\"batch\": 4", "\"threads\": ", "\"backend\": \"cpu\"", "\"float_images_per_second\": ",
                "\"bitwise_images_per_second\": ", "\"speedup\": ", "\"layers\": [{\"name\": \"layer1.0.conv1\"", "\"float_ms\": ", "\"bitwise_ms\": "}) {
            assertTrue(bench.out().contains(key), key + " in " + bench.out());
        }
        CliTest.Result zoo = run("bench", "--model", "vgg-small", "--batches", "1", "--seconds", "0.05", "--quiet");
        assertEquals(0, zoo.code(), zoo.err());
        assertTrue(zoo.out().contains("conv5"), zoo.out());

        Path broken = dir.resolve("broken.siman");
        byte[] bytes = Files.readAllBytes(model);
        Files.write(broken, java.util.Arrays.copyOf(bytes, bytes.length - 9));
        oneLineError(run("eval", "--model-file", broken.toString(), "--data-dir", data.toString()), broken + ": truncated model file");
        oneLineError(run("predict", "--model-file", model.toString(), "--input", dir.resolve("nothing.png").toString()),
                dir.resolve("nothing.png") + ": no such file");
        oneLineError(run("export", "--checkpoint", model.toString(), "--out", dir.resolve("x.siman").toString()), model + ": not a SiMaN-J checkpoint");
        oneLineError(run("eval", "--data-dir", data.toString()), "give exactly one of --checkpoint and --model-file");

        // ONNX: from the checkpoint and from the model file, the same graph; a protobuf that starts as ONNX models do
        Path onnx = dir.resolve("m.onnx"), onnxFromModel = dir.resolve("m2.onnx");
        CliTest.Result o = run("export", "--format", "onnx", "--checkpoint", out.resolve("best.ckpt").toString(), "--out", onnx.toString(), "--json");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("\"format\": \"onnx\", \"opset\": 13"), o.out());
        assertTrue(o.out().contains("\"nodes\": 155, \"architecture\": \"resnet20\", \"binarizer\": \"siman\""), o.out());
        CliTest.Result om = run("export", "--format", "onnx", "--model-file", model.toString(), "--out", onnxFromModel.toString());
        assertEquals(0, om.code(), om.err());
        assertTrue(om.out().startsWith("wrote " + onnxFromModel + ": ONNX opset 13, "), om.out());
        // the same graph and initializers; only the documentation string naming the source differs
        assertTrue(Files.size(onnx) > 1_000_000 && Math.abs(Files.size(onnx) - Files.size(onnxFromModel)) < 64, Files.size(onnx) + " " + Files.size(onnxFromModel));
        oneLineError(run("export", "--format", "tflite", "--checkpoint", out.resolve("best.ckpt").toString(), "--out", onnx.toString()),
                "unknown format 'tflite'; known: siman, onnx");
        oneLineError(run("export", "--format", "onnx", "--checkpoint", out.resolve("best.ckpt").toString(), "--model-file", model.toString(),
                "--out", onnx.toString()), "give either --checkpoint or --model-file");
        oneLineError(run("export", "--format", "onnx", "--model-file", broken.toString(), "--out", onnx.toString()), broken + ": truncated model file");
        assertTrue(Files.size(onnx) > 1_000_000, "a failed export leaves the earlier file whole");
    }

    @Test
    void badInputIsAOneLineErrorWithExitCodeOne() throws IOException {
        String out = dir.resolve("bad").toString();
        oneLineError(run("train", "--model", "lenet", "--out", out), "unknown model 'lenet'; known: resnet20");
        oneLineError(run("train", "--dataset", "svhn", "--out", out), "unknown dataset 'svhn'; known: fashion-mnist");
        oneLineError(run("train", "--binarizer", "bnn", "--data-dir", data.toString(), "--out", out), "unknown binarizer 'bnn'; known: siman");
        oneLineError(run("train", "--encoding", "ternary", "--out", out), "unknown encoding 'ternary'; known: pm1, zero-one");
        oneLineError(run("train", "--data-dir", dir.resolve("nowhere").toString(), "--out", out), "fashion-mnist: data folder ");
        oneLineError(run("train", "--epochs", "0", "--out", out), "epochs must be at least 1");
        oneLineError(run("train", "--binarizer", "xnor", "--encoding", "zero-one", "--data-dir", data.toString(), "--out", out),
                "binarizer 'xnor' is sign-based");
        Path corrupt = dir.resolve("corrupt.ckpt");
        Files.write(corrupt, "SIMANCKP not really".getBytes());
        oneLineError(run("eval", "--checkpoint", corrupt.toString()), corrupt + ": ");
        oneLineError(run("eval", "--checkpoint", dir.resolve("missing.ckpt").toString()), dir.resolve("missing.ckpt") + ": no such checkpoint");
        CliTest.Result usage = run("train");
        assertEquals(2, usage.code(), "--out is required: " + usage);
    }
}
