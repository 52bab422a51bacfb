package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.api.InvalidDataException;
import io.siman.api.Parameter;
import io.siman.api.SimanException;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.models.data.Dataset;
import io.siman.models.data.Datasets;
import io.siman.models.inference.ModelExport;
import io.siman.models.inference.Predictor;
import io.siman.models.io.Checkpoint;
import io.siman.models.nets.Network;
import io.siman.models.pytorch.PyTorchImport;
import io.siman.models.pytorch.TorchFile;
import io.siman.models.train.Batches;
import io.siman.models.train.Evaluation;
import io.siman.models.train.Models;
import io.siman.models.train.Trainer;
import io.siman.models.train.TrainingListener;
import io.siman.models.train.TrainingConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PyTorch checkpoints in (docs/interop.md): a ResNet-20 trained by PyTorch as the SiMaN authors' code trains it
 * (fixture written by {@code scripts/fixtures/authors_resnet20.py}) predicts here as it did there; a training
 * script's checkpoint is read past its optimizer state; every architecture's names and shapes map; bad files are
 * one-line errors naming the tensor.
 */
class PyTorchImportTest {
    private static final BinarizerRegistry BINARIZERS = BinarizerRegistry.discover();
    private static final Path FIXTURES = Path.of("src", "test", "resources", "pytorch");
    private static Backend backend;
    @TempDir
    static Path dir;

    @BeforeAll
    static void open() {
        backend = TestBackends.create(2);
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static PyTorchImport.Options options(String architecture) {
        return new PyTorchImport.Options(architecture, "siman", Encoding.PM1, null);
    }

    @Test
    void theAuthorsResNet20PredictsAsInPyTorch() throws IOException {
        PyTorchImport.Result r = PyTorchImport.read(backend, BINARIZERS, FIXTURES.resolve("authors-resnet20-fmnist.pth"), options("resnet20"));
        assertEquals(1, r.inChannels());
        assertEquals(10, r.classes());
        assertEquals(18, r.binarizedLayers());
        assertEquals("fashion-mnist", r.checkpoint().config().get("dataset"));
        assertEquals("7.5", r.checkpoint().run().get("imported-clip-percent"), "the percent buffer of the last epoch (index 1 of 2: 15 * (1 - 1/2))");
        Path ckpt = dir.resolve("authors.ckpt");
        r.checkpoint().write(ckpt);

        List<String> lines = Files.readAllLines(FIXTURES.resolve("authors-resnet20-fmnist.expected"));
        Dataset test = Datasets.open("fashion-mnist", null, Datasets.Split.TEST);
        int n = test.size();
        int[] expected = new int[n];
        boolean[] tie = new boolean[n];
        float[] nearest = new float[n];
        float[][] expectedLogits = new float[n][];
        for (String line : lines) {
            if (line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(" ");
            int i = Integer.parseInt(f[0]);
            expected[i] = Integer.parseInt(f[1]);
            tie[i] = f[2].equals("1");
            nearest[i] = Float.parseFloat(f[3]);
            if (f.length > 4) {
                expectedLogits[i] = new float[f.length - 4];
                for (int c = 4; c < f.length; c++) {
                    expectedLogits[i][c - 4] = Float.parseFloat(f[c]);
                }
            }
        }

        float[] logits = new float[n * 10];
        int[] simulated = new int[n];
        try (Network net = Models.fromCheckpoint(backend, BINARIZERS, Checkpoint.read(ckpt), ckpt);
             Batches batches = new Batches(test, Evaluation.range(n), 500, false, 0, 0)) {
            int at = 0;
            while (batches.hasNext()) {
                Batches.Batch b = batches.next();
                try (Tensor x = backend.upload(b.images(), net.inputShape(b.size()))) {
                    float[] y = backend.downloadFloats(net.forward(x, TrainingProgress.EVAL));
                    System.arraycopy(y, 0, logits, at * 10, y.length);
                }
                at += b.size();
            }
        }
        // an activation this near the threshold may land on the other side through float rounding alone (the sample
        // mean is summed in another order here); the layer's integer sums, and possibly the prediction, then differ
        float near = 5e-7f;
        int ties = 0, nearThreshold = 0, differ = 0, differAtTies = 0, differNear = 0;
        double maxDiff = 0;
        for (int i = 0; i < n; i++) {
            simulated[i] = Predictor.top(logits, i * 10, 10);
            ties += tie[i] ? 1 : 0;
            nearThreshold += !tie[i] && nearest[i] < near ? 1 : 0;
            if (simulated[i] != expected[i]) {
                if (tie[i]) {
                    differAtTies++;
                } else if (nearest[i] < near) {
                    differNear++;
                } else {
                    differ++;
                    System.out.println("image " + i + ": PyTorch " + expected[i] + ", here " + simulated[i] + " "
                            + Arrays.toString(Arrays.copyOfRange(logits, i * 10, i * 10 + 10)));
                }
            }
            if (expectedLogits[i] != null && !tie[i] && nearest[i] >= near) {
                for (int c = 0; c < 10; c++) {
                    maxDiff = Math.max(maxDiff, Math.abs(logits[i * 10 + c] - expectedLogits[i][c]) / Math.max(1, Math.abs(expectedLogits[i][c])));
                }
            }
        }
        System.out.printf("authors' ResNet-20 from PyTorch: %d test images; %d with an activation on the sign threshold (PyTorch 0,"
                + " here +1), predictions differ on %d of those; %d others with one within %.0e of it, predictions differ on %d;"
                + " %d differ elsewhere; logits of the first 200 within %.2e (relative)%n",
                n, ties, differAtTies, nearThreshold, near, differNear, differ, maxDiff);
        assertEquals(0, differ, "every image without an activation on or next to the threshold is predicted as in PyTorch");
        assertTrue(differAtTies + differNear <= 5, "few predictions differ at the threshold: " + (differAtTies + differNear));
        assertTrue(ties > 0 && ties < 100, "the fixture has a few threshold images (" + ties + ")");
        assertTrue(maxDiff < 1e-4, "logits as in PyTorch, to float rounding: " + maxDiff);

        // exported, the imported network runs bitwise with the float simulation's predictions
        Path model = dir.resolve("authors.siman");
        ModelExport.export(backend, BINARIZERS, ckpt, model);
        try (Predictor p = Predictor.load(backend, BINARIZERS, model);
             Batches batches = new Batches(test, Evaluation.range(n), 500, false, 0, 0)) {
            int at = 0;
            while (batches.hasNext()) {
                Batches.Batch b = batches.next();
                int[] bitwise = p.classify(b.images(), b.size());
                assertArrayEquals(Arrays.copyOfRange(simulated, at, at + b.size()), bitwise, "bitwise = float simulation, batch " + b.index());
                at += b.size();
            }
        }
    }

    @Test
    void anImportedNetworkTrainsFurtherFromItsWeights() {
        Path ckpt = dir.resolve("to-train.ckpt");
        PyTorchImport.read(backend, BINARIZERS, FIXTURES.resolve("authors-resnet20-fmnist.pth"), options("resnet20")).checkpoint().write(ckpt);
        TrainingConfig config = TrainingConfig.builder().model("resnet20").epochs(1).lr(0.01).limit(2000).build();
        Trainer.Result continued = new Trainer(backend, BINARIZERS, config, null, dir.resolve("continued"), TrainingListener.NONE, Map.of())
                .withInitialWeights(ckpt).run(false);
        Trainer.Result fresh = new Trainer(backend, BINARIZERS, config, null, dir.resolve("fresh"), TrainingListener.NONE, Map.of()).run(false);
        System.out.printf("one epoch on 2,000 images at lr 0.01: from the PyTorch weights %.2f%%, from a random start %.2f%%%n",
                100 * continued.finalTestAcc(), 100 * fresh.finalTestAcc());
        assertTrue(continued.finalTestAcc() > 0.72, "training continues from the imported network (75.9% before): " + continued.finalTestAcc());
        assertTrue(continued.finalTestAcc() > fresh.finalTestAcc() + 0.1, "far above a random start: " + fresh.finalTestAcc());
        assertTrue(Checkpoint.read(dir.resolve("continued").resolve(Trainer.LAST)).run().get("initial-weights").startsWith(ckpt.toAbsolutePath().toString()),
                "the run records where it started");
        TrainingConfig other = config.toBuilder().model("vgg-small").build();
        SimanException e = assertThrows(SimanException.class, () -> new Trainer(backend, BINARIZERS, other, null, dir.resolve("other"),
                TrainingListener.NONE, Map.of()).withInitialWeights(ckpt).run(false));
        assertTrue(e.getMessage().contains("holds a resnet20, not a vgg-small"), e.getMessage());
    }

    @Test
    void aTrainingScriptsCheckpointIsReadPastItsOptimizerState() throws IOException {
        Path f = FIXTURES.resolve("training-script-tiny.pth");
        try (TorchFile t = TorchFile.open(f)) {
            assertEquals(3L, t.entry("epoch"));
            assertEquals("tiny", t.entry("arch"));
            assertInstanceOf(TorchFile.Opaque.class, t.entry("best_prec1"), "a numpy scalar is kept, not run");
            Map<String, TorchFile.Tensor> sd = t.stateDict();
            List<String> lines = Files.readAllLines(FIXTURES.resolve("training-script-tiny.expected"));
            assertEquals(lines.size(), sd.size());
            for (String line : lines) {
                String[] p = line.split(" ");
                TorchFile.Tensor tensor = sd.get(p[0]);
                assertTrue(tensor != null, p[0]);
                int[] dims = p[1].isEmpty() ? new int[0] : Arrays.stream(p[1].split("x")).mapToInt(Integer::parseInt).toArray();
                assertArrayEquals(dims, tensor.size(), p[0]);
                float[] want = new float[p.length - 2];
                for (int i = 2; i < p.length; i++) {
                    want[i - 2] = Float.parseFloat(p[i]);
                }
                assertArrayEquals(want, t.floats(p[0], tensor), p[0]);
            }
        }
    }

    @Test
    void stridedViewsWithOffsetsAreReadAsTheirValues() throws IOException {
        float[] storage = new float[20];
        for (int i = 0; i < storage.length; i++) {
            storage[i] = i;
        }
        // a transposed [3, 4] view starting at element 2: element (r, c) is storage[2 + r + 3c]
        Path f = dir.resolve("view.pth");
        TorchWriter.writeView(f, "t", storage, 2, new int[]{3, 4}, new long[]{1, 3});
        try (TorchFile t = TorchFile.open(f)) {
            assertArrayEquals(new float[]{2, 5, 8, 11, 3, 6, 9, 12, 4, 7, 10, 13}, t.floats("t", t.stateDict().get("t")));
        }
        Path outside = dir.resolve("outside.pth");
        TorchWriter.writeView(outside, "t", storage, 10, new int[]{3, 4}, new long[]{4, 1});
        try (TorchFile t = TorchFile.open(outside)) {
            InvalidDataException e = assertThrows(InvalidDataException.class, () -> t.floats("t", t.stateDict().get("t")));
            assertEquals(outside + ": tensor 't' reaches element 21 of a storage of 20", e.getMessage());
        }
    }

    /** The authors' state dict of our network {@code architecture}: random values under their names and shapes. */
    private static Map<String, TorchWriter.T> authorsStateDict(String architecture, String dataset, SplittableRandom r) {
        int[] input = Datasets.inputShape(dataset);
        TrainingConfig config = TrainingConfig.builder().model(architecture).dataset(dataset).build();
        Map<String, TorchWriter.T> sd = new LinkedHashMap<>();
        try (Network net = Models.build(backend, BINARIZERS, config, input, 10)) {
            for (Parameter p : net.parameters()) {
                int[] dims = p.value().shape().dims();
                String theirs = PyTorchImport.authorsName(architecture, p.name());
                if (p.role() == Parameter.Role.BINARIZED_SCALE) {
                    dims = new int[]{dims[0], 1, 1};
                }
                sd.put(theirs, random(dims, r, false));
                if (p.role() == Parameter.Role.BINARIZED_WEIGHT) {
                    String layer = theirs.substring(0, theirs.length() - ".weight".length());
                    int n = p.value().shape().rowLength();
                    sd.put(layer + ".B", random(new int[]{dims[0], 1, n}, r, true));
                    sd.put(layer + ".percent", new TorchWriter.T(new int[0], new float[]{3.75f}));
                }
            }
            for (Map.Entry<String, Tensor> b : net.buffers().entrySet()) {
                String theirs = PyTorchImport.authorsName(architecture, b.getKey());
                sd.put(theirs, random(b.getValue().shape().dims(), r, false));
                if (theirs.endsWith(".running_var")) {
                    sd.put(theirs.replace(".running_var", ".num_batches_tracked"), new TorchWriter.T(new int[0], new float[]{100}));
                }
            }
        }
        return sd;
    }

    private static TorchWriter.T random(int[] dims, SplittableRandom r, boolean bits) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = bits ? r.nextInt(2) : (float) (r.nextDouble() + 0.1);
        }
        return new TorchWriter.T(dims, v);
    }

    @Test
    void everyArchitecturesNamesAndShapesMap() throws IOException {
        SplittableRandom r = new SplittableRandom(5);
        for (String arch : List.of("resnet20", "resnet18", "vgg-small", "resnet18-imagenet")) {
            String dataset = arch.endsWith("imagenet") ? "imagenet" : "cifar10";
            Map<String, TorchWriter.T> sd = authorsStateDict(arch, dataset, r);
            Path f = dir.resolve(arch + ".pth");
            // the wrapped form, with DataParallel's prefix, for one of them
            boolean wrapped = arch.equals("resnet18");
            Map<String, TorchWriter.T> written = sd;
            if (wrapped) {
                written = new LinkedHashMap<>();
                for (Map.Entry<String, TorchWriter.T> e : sd.entrySet()) {
                    written.put("module." + e.getKey(), e.getValue());
                }
            }
            TorchWriter.write(f, written, wrapped ? "state_dict" : null);
            PyTorchImport.Result result = PyTorchImport.read(backend, BINARIZERS, f, options(arch));
            Map<String, Checkpoint.StoredTensor> t = result.checkpoint().tensors();
            assertEquals(3, result.inChannels(), arch);
            assertEquals(10, result.classes(), arch);
            int binarized = 0;
            for (Map.Entry<String, Checkpoint.StoredTensor> e : t.entrySet()) {
                String ours = e.getKey();
                if (ours.endsWith(".frozen")) {
                    String layer = PyTorchImport.authorsName(arch, ours.substring(0, ours.length() - ".frozen".length()));
                    float[] b = sd.get(layer + ".B").values();
                    for (int i = 0; i < b.length; i++) {
                        assertEquals(2 * b[i] - 1, e.getValue().values()[i], arch + " " + ours + " bit " + i);
                    }
                    binarized++;
                } else {
                    assertArrayEquals(sd.get(PyTorchImport.authorsName(arch, ours)).values(), e.getValue().values(), arch + " " + ours);
                }
            }
            assertEquals(result.binarizedLayers(), binarized, arch);
            assertEquals(wrapped ? "4" : "imported", result.checkpoint().state().get("epoch"), arch);
            System.out.printf("%s: %d tensors, %d binarized layers mapped%n", arch, result.tensors(), binarized);
        }
        assertEquals("layer2.0.nonlinear1.weight", PyTorchImport.authorsName("resnet18-imagenet", "layer2.0.prelu1.weight"));
        assertEquals("nonlinear0.weight", PyTorchImport.authorsName("vgg-small", "prelu0.weight"));
        assertEquals("layer2.0.shortcut.0.alpha", PyTorchImport.authorsName("resnet18", "layer2.0.downsample.0.alpha"));
        assertEquals("bn2.running_var", PyTorchImport.authorsName("resnet34-imagenet", "bn_head.running_var"));
        assertEquals("linear.bias", PyTorchImport.authorsName("resnet20", "fc.bias"));
        assertEquals("fc.bias", PyTorchImport.authorsName("vgg-small", "fc.bias"));
    }

    @Test
    void missingMisShapedUnknownAndNonBinaryTensorsAreOneLineErrorsNamingThem() throws IOException {
        SplittableRandom r = new SplittableRandom(6);
        Map<String, TorchWriter.T> good = authorsStateDict("resnet20", "fashion-mnist", r);
        List<String[]> cases = new ArrayList<>();
        Map<String, TorchWriter.T> sd = new LinkedHashMap<>(good);
        sd.remove("layer2.1.bn1.running_mean");
        cases.add(new String[]{write("missing", sd), "lacks tensor 'layer2.1.bn1.running_mean' of shape [32]"});
        sd = new LinkedHashMap<>(good);
        sd.put("layer1.0.conv2.alpha", new TorchWriter.T(new int[]{16, 2}, new float[32]));
        cases.add(new String[]{write("shape", sd), "tensor 'layer1.0.conv2.alpha' has shape [16, 2], resnet20 needs [16, 1, 1]"});
        sd = new LinkedHashMap<>(good);
        sd.put("layer4.0.conv1.weight", new TorchWriter.T(new int[]{1}, new float[1]));
        cases.add(new String[]{write("unknown", sd), "tensor 'layer4.0.conv1.weight' [1] has no place in resnet20"});
        sd = new LinkedHashMap<>(good);
        float[] b = sd.get("layer3.2.conv1.B").values().clone();
        b[7] = 0.5f;
        sd.put("layer3.2.conv1.B", new TorchWriter.T(sd.get("layer3.2.conv1.B").dims(), b));
        cases.add(new String[]{write("bits", sd), "tensor 'layer3.2.conv1.B' holds 0.5 at 7 (bits are 0 or 1)"});
        sd = new LinkedHashMap<>(good);
        float[] w = sd.get("linear.weight").values().clone();
        w[3] = Float.NaN;
        sd.put("linear.weight", new TorchWriter.T(sd.get("linear.weight").dims(), w));
        cases.add(new String[]{write("nan", sd), "tensor 'linear.weight' holds NaN at 3"});
        sd = new LinkedHashMap<>(good);
        sd.remove("layer1.1.conv1.B");
        cases.add(new String[]{write("nobits", sd), "lacks tensor 'layer1.1.conv1.B' of shape [16, 1, 144]"});
        for (String[] c : cases) {
            SimanException e = assertThrows(SimanException.class, () -> PyTorchImport.read(backend, BINARIZERS, Path.of(c[0]), options("resnet20")));
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        SimanException vgg = assertThrows(SimanException.class, () -> PyTorchImport.read(backend, BINARIZERS, Path.of(cases.get(0)[0]), options("vgg-small")));
        assertTrue(vgg.getMessage().contains("no tensor 'conv0.weight'"), vgg.getMessage());
    }

    private static String write(String name, Map<String, TorchWriter.T> sd) throws IOException {
        Path f = dir.resolve(name + ".pth");
        TorchWriter.write(f, sd, null);
        return f.toString();
    }

    @Test
    void hostileFilesAreRefusedWithoutRunningAnythingOrAllocatingMuch() throws IOException {
        Path notZip = dir.resolve("not-zip.pth");
        Files.write(notZip, new byte[]{(byte) 0x80, 2, 'K', 1, '.'});
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> TorchFile.open(notZip));
        assertTrue(e.getMessage().contains("PyTorch before 1.6"), e.getMessage());
        Path corpus = Path.of("src", "test", "resources", "hostile");
        for (String name : List.of("pytorch-pickle-calls-os-system", "pytorch-storage-declares-a-terabyte", "pytorch-string-longer-than-the-file",
                "pytorch-truncated-zip")) {
            InvalidDataException h = assertThrows(InvalidDataException.class, () -> {
                try (TorchFile t = TorchFile.open(corpus.resolve(name))) {
                    for (Map.Entry<String, TorchFile.Tensor> x : t.stateDict().entrySet()) {
                        t.floats(x.getKey(), x.getValue());
                    }
                }
            }, name);
            System.out.println(name + ": " + h.getMessage());
            assertFalse(h.getMessage().contains("\n"));
        }
    }
}
