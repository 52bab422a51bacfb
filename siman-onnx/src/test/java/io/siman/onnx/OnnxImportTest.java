package io.siman.onnx;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendRegistry;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.api.InvalidDataException;
import io.siman.api.SimanException;
import io.siman.models.inference.ModelExport;
import io.siman.models.inference.Predictor;
import io.siman.models.io.ModelFile;
import io.siman.models.io.TensorTable;
import io.siman.models.nets.Zoo;
import io.siman.models.pytorch.PyTorchImport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX in: our own export imports back to an equal model (the same bits, affines and float tensors, the same logits
 * bitwise), for every architecture family and encoding; graphs that do not fit are one-line errors naming the node.
 */
class OnnxImportTest {
    private static final BinarizerRegistry BINARIZERS = BinarizerRegistry.discover();
    private static Backend backend;
    @TempDir
    static Path dir;

    @BeforeAll
    static void setUp() {
        backend = BackendRegistry.discover().provider("cpu").create(new BackendOptions(2, Map.of()));
    }

    @AfterAll
    static void tearDown() {
        backend.close();
    }

    private static OnnxImport.Options any() {
        return new OnnxImport.Options(null, null, null);
    }

    /** Exports a random model to ONNX, imports it back, and compares tensors and logits. */
    private static void roundTrip(String architecture, String binarizer, Encoding encoding, String dataset) throws IOException {
        Path sub = Files.createDirectories(dir.resolve(architecture + "-" + binarizer + "-" + encoding.id()));
        Path model = ModelExport.randomModel(backend, BINARIZERS, architecture, binarizer, encoding, dataset, 11, sub);
        Path onnx = sub.resolve("m.onnx");
        OnnxExport.fromModelFile(backend, BINARIZERS, model, onnx);
        Path back = sub.resolve("back.siman");
        OnnxImport.Result r = OnnxImport.importTo(backend, BINARIZERS, onnx, any(), back);
        assertEquals(architecture, r.spec().architecture(), "recognized without being told");
        assertEquals(encoding, r.spec().encoding());
        ModelFile a = ModelFile.read(model), b = ModelFile.read(back);
        assertEquals(a.bits().keySet(), b.bits().keySet(), architecture);
        for (Map.Entry<String, TensorTable.Entry> e : a.bits().entrySet()) {
            assertArrayEquals(e.getValue().longs(), b.bits().get(e.getKey()).longs(), architecture + " " + e.getKey());
        }
        assertEquals(a.floats().keySet(), b.floats().keySet(), architecture);
        for (Map.Entry<String, TensorTable.Entry> e : a.floats().entrySet()) {
            assertArrayEquals(e.getValue().floats(), b.floats().get(e.getKey()).floats(), architecture + " " + e.getKey());
        }
        for (String key : new String[]{"architecture", "binarizer", "encoding", "input", "classes", "dataset", "preprocessing"}) {
            if (!key.equals("binarizer") || !binarizer.equals("xnor")) {
                assertEquals(a.header().get(key), b.header().get(key), key);
            }
        }
        int size = r.spec().inChannels() * r.spec().inHeight() * r.spec().inWidth(), count = 6;
        float[] x = new float[count * size];
        SplittableRandom rnd = new SplittableRandom(2);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        try (Predictor p = Predictor.load(backend, BINARIZERS, model); Predictor q = Predictor.load(backend, BINARIZERS, back)) {
            assertArrayEquals(p.logits(x, count), q.logits(x, count), architecture + ": the same logits, bit for bit");
        }
        System.out.printf("%s (%s, %s): %d operations, %d binarized layers, imported back to an equal model%n", architecture, binarizer,
                encoding.id(), r.operations(), r.bitwiseLayers());
    }

    @Test
    void ourOwnExportImportsBackToAnEqualModel() throws IOException {
        roundTrip("resnet20", "siman", Encoding.PM1, "fashion-mnist");
        roundTrip("resnet20", "siman", Encoding.ZERO_ONE, "fashion-mnist");
        roundTrip("resnet18", "siman", Encoding.PM1, "cifar10");
        roundTrip("vgg-small", "siman", Encoding.PM1, "cifar10");
        roundTrip("resnet20", "xnor", Encoding.PM1, "fashion-mnist");
    }

    @Test
    void theFullPrecisionNetworksImportToo() throws IOException {
        roundTrip("resnet20", "none", Encoding.PM1, "fashion-mnist");
    }

    /**
     * The authors' ResNet-20 (the PyTorch fixture of siman-models) exported by torch.onnx.export: its standardize-then-Sign
     * activations, +1/-1 weights, alpha Mul, BatchNormalization, Conv with the stem's batch norm folded into a bias,
     * Slice/Pad shortcuts and AveragePool head import as the same network the .pth import gives.
     */
    @Test
    void aPyTorchExportOfTheAuthorsNetworkIsTheNetworkOfItsCheckpoint() throws IOException {
        Path fixtures = Path.of("..", "siman-models", "src", "test", "resources", "pytorch");
        Path fromOnnx = dir.resolve("authors-from-onnx.siman");
        OnnxImport.Result r = OnnxImport.importTo(backend, BINARIZERS, fixtures.resolve("authors-resnet20-fmnist.onnx"), any(), fromOnnx);
        assertEquals("resnet20", r.spec().architecture());
        assertEquals(18, r.bitwiseLayers());
        Path ckpt = dir.resolve("authors.ckpt"), fromPth = dir.resolve("authors-from-pth.siman");
        PyTorchImport.read(backend, BINARIZERS, fixtures.resolve("authors-resnet20-fmnist.pth"),
                new PyTorchImport.Options("resnet20", "siman", Encoding.PM1, null)).checkpoint().write(ckpt);
        ModelExport.export(backend, BINARIZERS, ckpt, fromPth);
        ModelFile a = ModelFile.read(fromPth), b = ModelFile.read(fromOnnx);
        assertEquals(a.bits().keySet(), b.bits().keySet());
        for (Map.Entry<String, TensorTable.Entry> e : a.bits().entrySet()) {
            assertArrayEquals(e.getValue().longs(), b.bits().get(e.getKey()).longs(), "the same bits: " + e.getKey());
        }
        assertEquals(a.floats().keySet(), b.floats().keySet());
        double worst = 0;
        for (Map.Entry<String, TensorTable.Entry> e : a.floats().entrySet()) {
            if (e.getKey().startsWith("conv1.") || e.getKey().startsWith("bn1.")) {
                continue; // PyTorch's exporter folds the stem's batch norm into its convolution: compared by the logits below
            }
            float[] x = e.getValue().floats(), y = b.floats().get(e.getKey()).floats();
            for (int i = 0; i < x.length; i++) {
                worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1e-3, Math.abs(x[i])));
            }
        }
        System.out.printf("the authors' ResNet-20 exported by PyTorch: %d operations, %d binarized layers; the float tensors differ from"
                + " the .pth import's by at most %.2e (relative)%n", r.operations(), r.bitwiseLayers(), worst);
        assertTrue(worst < 1e-4, "affines folded in another order, else the same: " + worst);
        int count = 500;
        float[] x = OnnxExportTest.images("fashion-mnist", count, 32 * 32);
        try (Predictor p = Predictor.load(backend, BINARIZERS, fromPth); Predictor q = Predictor.load(backend, BINARIZERS, fromOnnx)) {
            float[] lp = p.logits(x, count), lq = q.logits(x, count);
            int same = 0;
            double far = 0;
            for (int i = 0; i < count; i++) {
                same += Predictor.top(lp, i * 10, 10) == Predictor.top(lq, i * 10, 10) ? 1 : 0;
                for (int c = 0; c < 10; c++) {
                    far = Math.max(far, Math.abs(lp[i * 10 + c] - lq[i * 10 + c]));
                }
            }
            System.out.printf("bitwise on %d test images: the same prediction for %d, logits within %.2e%n", count, same, far);
            assertTrue(same >= count - 2, "the same predictions, but where rounding moves an activation across its threshold: " + same);
        }
    }

    @Test
    void badFilesAndForeignGraphsAreOneLineErrors() throws IOException {
        Path garbage = Files.write(dir.resolve("garbage.onnx"), new byte[]{8, 7, 0x12, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 1});
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> OnnxImport.read(backend, BINARIZERS, garbage, any()));
        assertTrue(e.getMessage().startsWith(garbage + ": not an ONNX model ("), e.getMessage());
        // our ResNet-20 export told to be a VGG-small
        Path sub = Files.createDirectories(dir.resolve("foreign"));
        Path model = ModelExport.randomModel(backend, BINARIZERS, "resnet20", "siman", Encoding.PM1, "fashion-mnist", 3, sub);
        Path onnx = sub.resolve("m.onnx");
        OnnxExport.fromModelFile(backend, BINARIZERS, model, onnx);
        SimanException vgg = assertThrows(SimanException.class,
                () -> OnnxImport.read(backend, BINARIZERS, onnx, new OnnxImport.Options("vgg-small", null, null)));
        assertTrue(vgg.getMessage().contains("the graph is not vgg-small"), vgg.getMessage());
        assertFalse(vgg.getMessage().contains("\n"));
        // a graph cut before its classifier
        ai.onnx.proto.OnnxMl.ModelProto m = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(onnx));
        var g = m.getGraph().toBuilder();
        String last = g.getNode(g.getNodeCount() - 1).getName();
        g.setNode(g.getNodeCount() - 1, g.getNode(g.getNodeCount() - 1).toBuilder().setOpType("Softsign").clearAttribute());
        Path odd = Files.write(dir.resolve("odd.onnx"), m.toBuilder().setGraph(g).build().toByteArray());
        SimanException op = assertThrows(SimanException.class, () -> OnnxImport.read(backend, BINARIZERS, odd, any()));
        assertEquals(odd + ": node '" + last + "' (Softsign) has no counterpart in this engine", op.getMessage());
        System.out.println(vgg.getMessage());
        assertTrue(Zoo.NAMES.contains("resnet20"));
    }

    /**
     * Hostile and mutated ONNX files end in a one-line error (or import), quickly and without allocating what they
     * declare: the corpus in {@code src/test/resources/hostile/} and seeded mutations of a real export.
     */
    @Test
    void hostileAndMutatedFilesAreOneLineErrors() throws Exception {
        List<Path> corpus;
        try (var files = Files.list(Path.of("src", "test", "resources", "hostile"))) {
            corpus = files.sorted().toList();
        }
        assertFalse(corpus.isEmpty());
        for (Path f : corpus) {
            SimanException e = assertThrows(SimanException.class, () -> OnnxImport.read(backend, BINARIZERS, f, any()), f.toString());
            System.out.println(f.getFileName() + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        Path sub = Files.createDirectories(dir.resolve("fuzz"));
        Path model = ModelExport.randomModel(backend, BINARIZERS, "resnet20", "siman", Encoding.PM1, "fashion-mnist", 5, sub);
        Path onnx = sub.resolve("seed.onnx");
        OnnxExport.fromModelFile(backend, BINARIZERS, model, onnx);
        byte[] seed = Files.readAllBytes(onnx);
        // mutate the graph's structure (nodes and small tensors near the end of the file are what a reader parses)
        SplittableRandom r = new SplittableRandom(17);
        int rounds = Integer.getInteger("siman.fuzz.rounds", 150), errors = 0;
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < rounds; i++) {
            byte[] b = seed.clone();
            switch (r.nextInt(4)) {
                case 0 -> {
                    for (int k = 1 + r.nextInt(8); k > 0; k--) {
                        int at = r.nextInt(b.length);
                        b[at] ^= (byte) (1 << r.nextInt(8));
                    }
                }
                case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length));
                case 2 -> {
                    for (int k = 1 + r.nextInt(16); k > 0; k--) {
                        b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                    }
                }
                default -> {
                    int at = b.length - 1 - r.nextInt(Math.min(b.length, 4096));
                    b[at] = (byte) r.nextInt(256);
                }
            }
            Path f = Files.write(sub.resolve("m" + i + ".onnx"), b);
            long before = threads.getCurrentThreadAllocatedBytes();
            long t0 = System.nanoTime();
            try {
                OnnxImport.read(backend, BINARIZERS, f, any());
            } catch (SimanException e) {
                errors++;
                assertFalse(e.getMessage() == null || e.getMessage().isBlank() || e.getMessage().contains("\n"), f + ": " + e.getMessage());
            } catch (RuntimeException e) {
                Files.createDirectories(Path.of("target", "hostile-failures"));
                Files.write(Path.of("target", "hostile-failures", "onnx-" + i), b);
                throw new AssertionError(f + ": " + e, e);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 64L * seed.length + (256L << 20), f + " allocated " + allocated);
            assertTrue(System.nanoTime() - t0 < 20_000_000_000L, f + " took too long");
        }
        System.out.printf("%d mutated ONNX files: %d refused with one line, %d imported%n", rounds, errors, rounds - errors);
    }
}
