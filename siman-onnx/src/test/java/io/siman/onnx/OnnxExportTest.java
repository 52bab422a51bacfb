package io.siman.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendRegistry;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.api.TrainingProgress;
import io.siman.api.Tensor;
import io.siman.models.data.Dataset;
import io.siman.models.data.Datasets;
import io.siman.models.inference.ModelExport;
import io.siman.models.inference.Predictor;
import io.siman.models.io.ModelFile;
import io.siman.models.nets.Network;
import io.siman.models.nets.Zoo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exported models run in ONNX Runtime and give our logits: a binary network's ONNX graph against the bitwise engine
 * (and its float simulation) on real Fashion-MNIST test images, full-precision ones against our float evaluation.
 */
class OnnxExportTest {
    private static final BinarizerRegistry BINARIZERS = BinarizerRegistry.discover();
    private static Backend backend;
    private static OrtEnvironment ort;

    @BeforeAll
    static void setUp() {
        backend = BackendRegistry.discover().provider("cpu").create(new BackendOptions(2, Map.of()));
        ort = OrtEnvironment.getEnvironment();
    }

    @AfterAll
    static void tearDown() {
        backend.close();
    }

    /** Real test images where the dataset is installed (CI installs it), else seeded noise of the same shape. */
    static float[] images(String dataset, int count, int size) {
        if (dataset.equals("fashion-mnist") && Files.isDirectory(Datasets.FASHION_MNIST_DIR)) {
            Dataset test = Datasets.open(dataset, Datasets.FASHION_MNIST_DIR, Datasets.Split.TEST);
            int[] idx = new int[count];
            for (int i = 0; i < count; i++) {
                idx[i] = i * 37 % test.size();
            }
            float[] x = new float[count * size];
            test.batch(idx, 0, count, null, x, new int[count]);
            return x;
        }
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[count * size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private static float[] runOnnx(Path onnx, float[] x, long[] shape) throws Exception {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(2);
            try (OrtSession s = ort.createSession(onnx.toString(), o);
                 OnnxTensor in = OnnxTensor.createTensor(ort, FloatBuffer.wrap(x), shape);
                 OrtSession.Result r = s.run(Map.of("input", in))) {
                float[][] z = (float[][]) r.get(0).getValue();
                float[] flat = new float[z.length * z[0].length];
                for (int i = 0; i < z.length; i++) {
                    System.arraycopy(z[i], 0, flat, i * z[0].length, z[0].length);
                }
                return flat;
            }
        }
    }

    /**
     * Images whose predicted class differs; images whose logits differ by more than float rounding (1e-4 of their
     * largest magnitude); the largest such difference; the mean absolute difference.
     */
    private record Agreement(int differentClass, int imagesOff, double worstRelative, double meanAbsolute) {
    }

    private static Agreement compare(float[] ours, float[] theirs, int classes) {
        int different = 0, off = 0;
        double worst = 0, sum = 0;
        for (int i = 0; i < ours.length / classes; i++) {
            double before = worst;
            worst = 0;
            if (Predictor.top(ours, i * classes, classes) != Predictor.top(theirs, i * classes, classes)) {
                different++;
            }
            double range = 1e-6;
            for (int c = 0; c < classes; c++) {
                range = Math.max(range, Math.abs(ours[i * classes + c]));
            }
            for (int c = 0; c < classes; c++) {
                double d = Math.abs(ours[i * classes + c] - theirs[i * classes + c]);
                worst = Math.max(worst, d / range);
                sum += d;
            }
            off += worst > 1e-4 ? 1 : 0;
            worst = Math.max(worst, before);
        }
        return new Agreement(different, off, worst, sum / ours.length);
    }

    /** Exports a model file to ONNX and compares ONNX Runtime's logits with the bitwise engine's on {@code n} images. */
    private static Agreement bitwiseAgainstOnnxRuntime(Path model, Path onnx, String dataset, int n) throws Exception {
        OnnxExport.fromModelFile(backend, BINARIZERS, model, onnx);
        int[] in = Datasets.inputShape(dataset);
        float[] x = images(dataset, n, in[0] * in[1] * in[2]);
        float[] bitwise;
        try (Predictor p = Predictor.load(backend, BINARIZERS, model)) {
            bitwise = p.logits(x, n);
        }
        return compare(bitwise, runOnnx(onnx, x, new long[]{n, in[0], in[1], in[2]}), 10);
    }

    @Test
    void aSimanResNet20RunsInOnnxRuntimeWithTheBitwiseEnginesPredictions(@TempDir Path dir) throws Exception {
        Path model = ModelExport.randomModel(backend, BINARIZERS, "resnet20", "siman", Encoding.PM1, "fashion-mnist", 11, dir);
        Path onnx = dir.resolve("r20.onnx");
        int n = 200;
        Agreement a = bitwiseAgainstOnnxRuntime(model, onnx, "fashion-mnist", n);
        assertTrue(Files.size(onnx) > 1_000_000, "weights as float32 initializers");
        System.out.println("siman resnet20, " + n + " images, bitwise engine against ONNX Runtime: " + a);
        // an activation within float rounding of its sample mean may take the other sign (ONNX Runtime sums the mean
        // in another order, and multiplies and adds where we fuse): such an image's logits move by a few steps of the
        // affine. 0-8% of the images of random-weight networks measured; the others agree to rounding
        assertTrue(a.differentClass() <= n / 100, a.toString());
        assertTrue(a.imagesOff() <= n / 10, a.toString());
    }

    @Test
    void aCheckpointExportsToWhatItsModelFileRunsBitwise(@TempDir Path dir) throws Exception {
        Path model = ModelExport.randomModel(backend, BINARIZERS, "resnet20", "siman", Encoding.PM1, "fashion-mnist", 21, dir);
        Path checkpoint = dir.resolve("random.ckpt"), onnx = dir.resolve("ckpt.onnx");
        OnnxExport.Result r = OnnxExport.fromCheckpoint(backend, BINARIZERS, checkpoint, onnx);
        assertEquals("resnet20", r.spec().architecture());
        int n = 100;
        float[] x = images("fashion-mnist", n, 32 * 32);
        float[] theirs = runOnnx(onnx, x, new long[]{n, 1, 32, 32});
        float[] bitwise;
        try (Predictor p = Predictor.load(backend, BINARIZERS, model)) {
            bitwise = p.logits(x, n);
        }
        Agreement a = compare(bitwise, theirs, 10);
        System.out.println("checkpoint export against the bitwise engine, " + n + " images: " + a);
        assertTrue(a.differentClass() <= n / 50, a.toString());
        assertTrue(a.imagesOff() <= n / 10, a.toString());
        // the same graph as the model file's: the export of the checkpoint folds exactly what 'siman export' folds
        Path fromModel = dir.resolve("model.onnx");
        OnnxExport.fromModelFile(backend, BINARIZERS, model, fromModel);
        assertArrayEquals(runOnnx(fromModel, x, new long[]{n, 1, 32, 32}), theirs, 0f);
    }

    @Test
    void aLayerWithoutAStandardFormIsNamedInOneLine() {
        io.siman.models.graph.InferenceGraph graph = new OnnxGraphWriter("g", 1, 4, 4);
        {
            io.siman.models.layers.LayerBase odd = new io.siman.models.layers.LayerBase(backend, "custom") {
                @Override
                public io.siman.api.Shape outputShape(io.siman.api.Shape input) {
                    return input;
                }

                @Override
                protected Tensor computeForward(Tensor in, TrainingProgress progress) {
                    return in;
                }

                @Override
                protected Tensor computeBackward(Tensor dy) {
                    return dy;
                }
            };
            io.siman.api.SimanException e = org.junit.jupiter.api.Assertions.assertThrows(io.siman.api.SimanException.class,
                    () -> odd.describe(graph, graph.input()));
            assertTrue(e.getMessage().startsWith("custom ("), e.getMessage());
            assertTrue(e.getMessage().endsWith("has no standard-operator form to export"), e.getMessage());
            odd.close();
        }
    }

    @Test
    void zeroOneWeightsAndTheSignBasedBaselinesExportToo(@TempDir Path dir) throws Exception {
        for (String binarizer : new String[]{"siman", "xnor", "irnet"}) {
            Encoding encoding = binarizer.equals("siman") ? Encoding.ZERO_ONE : Encoding.PM1;
            Path model = ModelExport.randomModel(backend, BINARIZERS, "resnet20", binarizer, encoding, "fashion-mnist", 5, dir);
            int n = 64;
            Agreement a = bitwiseAgainstOnnxRuntime(model, dir.resolve(binarizer + ".onnx"), "fashion-mnist", n);
            System.out.println(binarizer + " " + encoding.id() + " resnet20, " + n + " images: " + a);
            assertTrue(a.differentClass() <= 1, binarizer + " " + a);
            assertTrue(a.imagesOff() <= n / 10, binarizer + " " + a);
        }
    }

    @Test
    void fullPrecisionNetworksExportAsPlainFloatNetworks(@TempDir Path dir) throws Exception {
        String[][] cases = {{"resnet20", "fashion-mnist"}, {"vgg-small", "cifar10"}, {"resnet18", "cifar10"}};
        for (String[] c : cases) {
            Path model = ModelExport.randomModel(backend, BINARIZERS, c[0], "none", Encoding.PM1, c[1], 7, dir);
            ModelFile mf = ModelFile.read(model);
            Path onnx = dir.resolve(c[0] + ".onnx");
            int[] in = Datasets.inputShape(c[1]);
            int n = 8, size = in[0] * in[1] * in[2];
            float[] x = images(c[1], n, size);
            float[] ours;
            try (Network net = ModelExport.load(backend, BINARIZERS, mf, model, Zoo.Mode.SIMULATED);
                 Tensor t = backend.upload(x, net.inputShape(n))) {
                OnnxExport.write(net, "test", onnx);
                ours = backend.downloadFloats(net.forward(t, TrainingProgress.EVAL));
            }
            float[] theirs = runOnnx(onnx, x, new long[]{n, in[0], in[1], in[2]});
            Agreement a = compare(ours, theirs, 10);
            assertEquals(0, a.differentClass(), c[0] + " " + a);
            assertTrue(a.worstRelative() < 1e-4, c[0] + " " + a);
        }
    }

    @Test
    void aBinaryVggSmallWithBatchNormAfterPoolingExports(@TempDir Path dir) throws Exception {
        Path model = ModelExport.randomModel(backend, BINARIZERS, "vgg-small", "siman", Encoding.PM1, "cifar10", 4, dir);
        int n = 8;
        Agreement a = bitwiseAgainstOnnxRuntime(model, dir.resolve("vgg.onnx"), "cifar10", n);
        System.out.println("siman vgg-small, " + n + " images: " + a);
        assertTrue(a.differentClass() <= 1, a.toString());
        assertTrue(a.imagesOff() <= 1, a.toString());
    }

    @Test
    void aBinaryResNet18WithHardtanhAndBinarizedDownsamplingExports(@TempDir Path dir) throws Exception {
        Path model = ModelExport.randomModel(backend, BINARIZERS, "resnet18", "siman", Encoding.PM1, "cifar10", 3, dir);
        int n = 8;
        Agreement a = bitwiseAgainstOnnxRuntime(model, dir.resolve("r18.onnx"), "cifar10", n);
        System.out.println("siman resnet18, " + n + " images: " + a);
        assertTrue(a.differentClass() <= 1, a.toString());
        assertTrue(a.imagesOff() <= 1, a.toString());
    }
}
