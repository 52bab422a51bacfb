package io.siman.testkit;

import io.siman.api.Activation;
import io.siman.api.Backend;
import io.siman.api.ConvGeometry;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.BitwiseKernels;
import io.siman.api.KernelGroup;
import io.siman.api.Kernels;
import io.siman.api.TrainingKernels;
import io.siman.api.steps.BinaryActivationSteps;
import io.siman.api.steps.IrNetSteps;
import io.siman.api.steps.ShortcutSteps;
import io.siman.api.steps.SimanSteps;
import io.siman.api.steps.XnorSteps;
import io.siman.api.PoolGeometry;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.SimanException;
import io.siman.api.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

import static io.siman.testkit.Reference.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The executable definition of the kernel contract. A backend's test class extends this and implements
 * {@link #createBackend(int)}. The core ({@link Kernels}) is checked on every backend; the tests of a capability group
 * ({@link TrainingKernels}, {@link BitwiseKernels}) are reported skipped on a backend that does not declare it (a
 * test of a core kernel and its backward pass, once its core assertions pass); each step family is checked twice,
 * as the backend's own version (skipped when it has none) and as the portable default on the backend's core; every kernel is checked against {@link Reference} on random inputs and edge
 * shapes (1x1 images, odd sizes, stride 2, padding, channel counts that are not multiples of 64, batch 1),
 * every backward kernel against finite differences, and no test may leak a tensor.
 */
public abstract class KernelsContract {
    /** Relative-and-absolute tolerance for float32 kernels against double references. */
    protected static final double TOL = 2e-4;

    protected Backend backend;
    protected Kernels k;
    private long liveAtStart;
    private final List<Tensor> owned = new ArrayList<>();
    protected final SplittableRandom rnd = new SplittableRandom(20260127L);

    /** A fresh backend with the given number of worker threads. */
    protected abstract Backend createBackend(int threads);

    @BeforeEach
    void openBackend() {
        backend = createBackend(2);
        k = backend.kernels();
        liveAtStart = backend.liveTensors();
    }

    @AfterEach
    void closeBackend() {
        if (backend == null) {
            return; // creating it failed: that failure is the test's
        }
        owned.forEach(Tensor::close);
        owned.clear();
        try {
            assertEquals(liveAtStart, backend.liveTensors(), "tensors leaked by the test or the backend");
        } finally {
            backend.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    protected Tensor up(float[] data, int... dims) {
        Tensor t = backend.upload(data, Shape.of(dims));
        owned.add(t);
        return t;
    }

    protected Tensor upInts(int[] data, int... dims) {
        Tensor t = backend.upload(data, Shape.of(dims));
        owned.add(t);
        return t;
    }

    protected Tensor zeros(int... dims) {
        return zeros(DType.FLOAT32, Shape.of(dims));
    }

    protected Tensor zeros(DType type, Shape shape) {
        Tensor t = backend.allocate(type, shape);
        owned.add(t);
        return t;
    }

    protected Tensor random(double scale, int... dims) {
        return up(Reference.randomFloats(rnd, (int) Shape.of(dims).size(), scale), dims);
    }

    protected double[] down(Tensor t) {
        return toDouble(backend.downloadFloats(t));
    }

    protected static void close(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (!(Math.abs(e - a) <= tol * (1 + Math.abs(e)))) {
                fail(what + ": element " + i + " expected " + e + " but was " + a);
            }
        }
    }

    /** Checks a backward kernel's result against central differences of {@code <upstream, f(x)>}. */
    protected static void gradientMatches(Function<double[], double[]> f, double[] x, double[] upstream,
                                          double[] kernelGrad, String what) {
        double[] numeric = Reference.numericGradient(p -> Reference.dot(upstream, f.apply(p)), x, 1e-4);
        close(numeric, kernelGrad, 2e-3, what);
    }

    private static double[] softmaxRows(double[] z, int k) {
        double[] p = new double[z.length];
        for (int i = 0; i < z.length / k; i++) {
            double max = Double.NEGATIVE_INFINITY, s = 0;
            for (int j = 0; j < k; j++) {
                max = Math.max(max, z[i * k + j]);
            }
            for (int j = 0; j < k; j++) {
                s += Math.exp(z[i * k + j] - max);
            }
            for (int j = 0; j < k; j++) {
                p[i * k + j] = Math.exp(z[i * k + j] - max) / s;
            }
        }
        return p;
    }

    // ---------------------------------------------------------------- groups and step families

    /** Which implementation of a step family a test checks: the backend's own, or the portable default on its core. */
    public enum Implementation {
        BACKEND, PORTABLE
    }

    /** The training group; the test is reported skipped when the backend does not declare it. */
    protected TrainingKernels training() {
        assumeTrue(KernelGroup.TRAINING.in(backend), "backend '" + backend.name() + "' does not declare the training group");
        return backend.kernels(TrainingKernels.class);
    }

    /** The bitwise group; the test is reported skipped when the backend does not declare it. */
    protected BitwiseKernels bits() {
        assumeTrue(KernelGroup.BITWISE.in(backend), "backend '" + backend.name() + "' does not declare the bitwise group");
        return backend.kernels(BitwiseKernels.class);
    }

    /**
     * A step family as {@code implementation}: the backend's own (skipped when it has none: it then runs the
     * portable default, checked by the other case) or the portable default on this backend's core.
     */
    protected <S> S steps(Implementation implementation, Class<S> family, Function<Backend, S> portable) {
        if (implementation == Implementation.PORTABLE) {
            return portable.apply(backend);
        }
        java.util.Optional<S> own = backend.kernels().as(family);
        assumeTrue(own.isPresent(), "backend '" + backend.name() + "' has no " + family.getSimpleName() + " of its own (it runs the portable default)");
        return own.get();
    }

    // ---------------------------------------------------------------- memory

    @Test
    void uploadDownloadRoundTripsAndCountsLiveTensors() {
        long before = backend.liveTensors();
        float[] data = {1.5f, -2f, 0f, Float.MAX_VALUE, -0f, 3e-40f};
        try (Tensor t = backend.upload(data, Shape.of(2, 3))) {
            assertEquals(before + 1, backend.liveTensors());
            assertArrayEquals(data, backend.downloadFloats(t));
            assertEquals(Shape.of(2, 3), t.shape());
            assertEquals(DType.FLOAT32, t.dtype());
        }
        assertEquals(before, backend.liveTensors());
        try (Tensor i = backend.upload(new int[]{7, -3}, Shape.of(2));
             Tensor l = backend.upload(new long[]{-1L, 1L << 63}, Shape.of(2));
             Tensor z = backend.allocate(DType.FLOAT32, Shape.of(3))) {
            assertArrayEquals(new int[]{7, -3}, backend.downloadInts(i));
            assertArrayEquals(new long[]{-1L, 1L << 63}, backend.downloadLongs(l));
            assertArrayEquals(new float[3], backend.downloadFloats(z), "allocate must zero-fill");
        }
        assertEquals(before, backend.liveTensors());
    }

    @Test
    void misuseFailsWithTypedErrors() {
        Tensor t = backend.upload(new float[4], Shape.of(4));
        t.close();
        t.close();
        assertThrows(SimanException.class, () -> backend.downloadFloats(t));
        Tensor a = zeros(2, 3), b = zeros(3, 2), out = zeros(2, 3);
        assertThrows(ShapeMismatchException.class, () -> k.linearForward(a, a, null, out));
        assertThrows(ShapeMismatchException.class, () -> k.conv2dForward(
                new ConvGeometry(1, 1, 3, 3, 1, 3, 3, 1, 1), zeros(1, 1, 4, 4), zeros(1, 1, 3, 3), zeros(1, 1, 3, 3)));
        assertThrows(SimanException.class, () -> backend.write(b, new float[5]));
    }

    // ---------------------------------------------------------------- element-wise

    @Test
    void elementWise() {
        float[] av = {1, -2, 0, 3.5f, -0f, -1e-8f}, bv = {0.5f, 2, -1, 1, 1, 1};
        Tensor a = up(av, 6), b = up(bv, 6), out = zeros(6);
        k.add(a, b, out);
        assertArrayEquals(new float[]{1.5f, 0, -1, 4.5f, 1, 1 - 1e-8f}, backend.downloadFloats(out));
        k.axpy(2f, a, out);
        assertArrayEquals(new float[]{3.5f, -4, -1, 11.5f, 1, 1 - 3e-8f}, backend.downloadFloats(out), 1e-6f);
        k.sign(a, out);
        assertArrayEquals(new float[]{1, -1, 1, 1, 1, -1}, backend.downloadFloats(out), "sign(0) = +1, sign(-0) = +1");
        k.mulSign(b, a, out);
        assertArrayEquals(new float[]{0.5f, -2, -1, 1, 1, -1}, backend.downloadFloats(out));
        k.fill(out, 7f);
        assertArrayEquals(new float[]{7, 7, 7, 7, 7, 7}, backend.downloadFloats(out));
        k.copy(a, out);
        assertArrayEquals(av, backend.downloadFloats(out));
        k.add(a, b, a);
        assertArrayEquals(new float[]{1.5f, 0, -1, 4.5f, 1, 1 - 1e-8f}, backend.downloadFloats(a), "out may alias a");
    }

    // ---------------------------------------------------------------- dense

    @Test
    void linearForwardAndBackward() {
        for (int[] s : new int[][]{{1, 1, 1}, {3, 7, 5}, {4, 64, 10}, {2, 130, 3}}) {
            int n = s[0], in = s[1], out = s[2];
            Tensor x = random(1, n, in), w = random(0.5, out, in), bias = random(0.5, out), y = zeros(n, out);
            double[] xd = down(x), wd = down(w), bd = down(bias);
            Function<double[], double[]> fx = xs -> linearRef(xs, wd, bd, n, in, out);
            k.linearForward(x, w, bias, y);
            close(fx.apply(xd), down(y), TOL, "linear forward " + n + "x" + in + "->" + out);
            k.linearForward(x, w, null, y);
            close(linearRef(xd, wd, new double[out], n, in, out), down(y), TOL, "linear forward without bias");

            Tensor dy = random(1, n, out), dx = zeros(n, in), dw = zeros(out, in), db = zeros(out);
            double[] g = down(dy);
            training().linearBackward(x, w, dy, dx, dw, db);
            gradientMatches(fx, xd, g, down(dx), "linear dx");
            gradientMatches(ws -> linearRef(xd, ws, bd, n, in, out), wd, g, down(dw), "linear dw");
            gradientMatches(bs -> linearRef(xd, wd, bs, n, in, out), bd, g, down(db), "linear dbias");
        }
    }

    private static double[] linearRef(double[] x, double[] w, double[] b, int n, int in, int out) {
        double[] y = new double[n * out];
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int j = 0; j < in; j++) {
                    s += x[i * in + j] * w[o * in + j];
                }
                y[i * out + o] = s;
            }
        }
        return y;
    }

    // ---------------------------------------------------------------- convolution

    /** {batch, inChannels, height, width, outChannels, kernel, stride, padding}. */
    protected static final int[][] CONV_SHAPES = {
            {1, 1, 1, 1, 1, 1, 1, 0},
            {2, 3, 5, 5, 4, 3, 1, 1},
            {1, 70, 3, 3, 5, 3, 2, 1},
            {2, 2, 7, 6, 3, 7, 2, 3},
            {3, 5, 4, 4, 6, 1, 1, 0},
            {2, 4, 6, 6, 3, 1, 2, 0},
            {1, 3, 9, 9, 66, 3, 2, 1},
            {2, 1, 1, 1, 2, 3, 1, 1},
            {5, 2, 3, 3, 2, 3, 1, 0},
    };

    protected static ConvGeometry geometry(int[] s) {
        return new ConvGeometry(s[0], s[1], s[2], s[3], s[4], s[5], s[5], s[6], s[7]);
    }

    @Test
    void convolutionForward() {
        for (int[] s : CONV_SHAPES) {
            ConvGeometry g = geometry(s);
            Tensor x = random(1, s[0], s[1], s[2], s[3]), w = random(0.5, g.weightShape().dims());
            Tensor y = zeros(g.outputShape().dims());
            k.conv2dForward(g, x, w, y);
            double[] ref = Reference.conv(down(x), down(w), s[0], s[1], s[2], s[3], s[4], s[5], s[5], s[6], s[7]);
            close(ref, down(y), TOL, "conv forward " + g);
        }
    }

    @Test
    void convolutionBackward() {
        for (int[] s : CONV_SHAPES) {
            if ((long) s[0] * s[1] * s[2] * s[3] > 300) {
                continue; // finite differences over every input: keep to the small shapes
            }
            ConvGeometry g = geometry(s);
            Tensor x = random(1, g.inputShape().dims()), w = random(0.5, g.weightShape().dims());
            Tensor dy = random(1, g.outputShape().dims());
            Tensor dx = zeros(g.inputShape().dims()), dw = zeros(g.weightShape().dims());
            k.fill(dx, 99f);
            k.fill(dw, 99f);
            training().conv2dBackwardData(g, dy, w, dx);
            training().conv2dBackwardWeights(g, x, dy, dw);
            double[] xd = down(x), wd = down(w), gd = down(dy);
            gradientMatches(xs -> Reference.conv(xs, wd, s[0], s[1], s[2], s[3], s[4], s[5], s[5], s[6], s[7]),
                    xd, gd, down(dx), "conv dx " + g);
            gradientMatches(ws -> Reference.conv(xd, ws, s[0], s[1], s[2], s[3], s[4], s[5], s[5], s[6], s[7]),
                    wd, gd, down(dw), "conv dw " + g);
        }
    }

    @Test
    void convolutionBackwardOnLargerShapesMatchesAdjointIdentity() {
        // <dy, conv(x, w)> = <dx, x> = <dw, w> for a linear map: checks the large shapes cheaply
        for (int[] s : new int[][]{{3, 16, 12, 12, 32, 3, 2, 1}, {1, 70, 5, 5, 65, 3, 1, 1}, {9, 8, 8, 8, 8, 3, 1, 1},
                {2, 3, 20, 20, 5, 3, 1, 1}, {5, 4, 17, 17, 6, 1, 1, 0}}) {
            ConvGeometry g = geometry(s);
            Tensor x = random(1, g.inputShape().dims()), w = random(0.5, g.weightShape().dims());
            Tensor y = zeros(g.outputShape().dims()), dy = random(1, g.outputShape().dims());
            Tensor dx = zeros(g.inputShape().dims()), dw = zeros(g.weightShape().dims());
            k.conv2dForward(g, x, w, y);
            training().conv2dBackwardData(g, dy, w, dx);
            training().conv2dBackwardWeights(g, x, dy, dw);
            double lhs = Reference.dot(down(dy), down(y));
            assertEquals(lhs, Reference.dot(down(dx), down(x)), 1e-3 * (1 + Math.abs(lhs)), "adjoint dx " + g);
            assertEquals(lhs, Reference.dot(down(dw), down(w)), 1e-3 * (1 + Math.abs(lhs)), "adjoint dw " + g);
        }
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        training();
        ConvGeometry g = new ConvGeometry(9, 8, 17, 17, 16, 3, 3, 1, 1);
        float[] xv = Reference.randomFloats(rnd, (int) g.inputShape().size(), 1);
        float[] wv = Reference.randomFloats(rnd, (int) g.weightShape().size(), 1);
        float[] gv = Reference.randomFloats(rnd, (int) g.outputShape().size(), 1);
        List<float[]> results = new ArrayList<>();
        for (int threads : new int[]{1, 2, 3}) {
            try (Backend b = createBackend(threads);
                 Tensor x = b.upload(xv, g.inputShape()); Tensor w = b.upload(wv, g.weightShape());
                 Tensor dy = b.upload(gv, g.outputShape()); Tensor y = b.allocate(g.outputShape());
                 Tensor dx = b.allocate(g.inputShape()); Tensor dw = b.allocate(g.weightShape());
                 Tensor z = b.allocate(g.inputShape()); Tensor m = b.allocate(Shape.of(9)); Tensor s = b.allocate(Shape.of(9));
                 Tensor dws = b.allocate(g.weightShape()); Tensor dxs = b.allocate(g.inputShape())) {
                Kernels kk = b.kernels();
                TrainingKernels kt = b.kernels(TrainingKernels.class);
                BinaryActivationSteps ks = BinaryActivationSteps.of(b);
                kk.conv2dForward(g, x, w, y);
                kt.conv2dBackwardData(g, dy, w, dx);
                kt.conv2dBackwardWeights(g, x, dy, dw);
                kk.rowStandardize(x, 1e-5f, z, m, s);
                ks.binaryConv2dBackwardWeights(g, x, m, dy, dws);
                ks.binaryActivationBackward(x, m, s, dx, dxs);
                float[] all = concat(b.downloadFloats(y), b.downloadFloats(dx), b.downloadFloats(dw), b.downloadFloats(z),
                        b.downloadFloats(dws), b.downloadFloats(dxs));
                results.add(all);
            }
        }
        assertArrayEquals(results.get(0), results.get(1), "1 thread against 2");
        assertArrayEquals(results.get(0), results.get(2), "1 thread against 3");
    }

    @Test
    void tasksRunOnceEachWithTheirKernelsAndAFailureReachesTheCaller() {
        assertTrue(backend.taskParallelism() >= 1, "taskParallelism " + backend.taskParallelism());
        assertTrue(backend.cacheBytesPerThread() >= 0, "cacheBytesPerThread " + backend.cacheBytesPerThread());
        try (Backend b = createBackend(2)) {
            int tasks = 5, n = 50_000;
            java.util.concurrent.atomic.AtomicIntegerArray runs = new java.util.concurrent.atomic.AtomicIntegerArray(tasks);
            float[][] sums = new float[tasks][];
            b.runTasks(tasks, i -> {
                runs.incrementAndGet(i);
                // a kernel inside a task: large enough that a backend would split it across threads elsewhere
                float[] a = new float[n];
                java.util.Arrays.fill(a, i);
                try (Tensor x = b.upload(a, Shape.of(n)); Tensor y = b.allocate(Shape.of(n))) {
                    b.kernels().add(x, x, y);
                    sums[i] = b.downloadFloats(y);
                }
            });
            for (int i = 0; i < tasks; i++) {
                assertEquals(1, runs.get(i), "task " + i + " ran once");
                assertEquals(2f * i, sums[i][0], "task " + i + "'s kernel, first element");
                assertEquals(2f * i, sums[i][n - 1], "task " + i + "'s kernel, last element");
            }
            SimanException e = assertThrows(SimanException.class, () -> b.runTasks(3, i -> {
                if (i == 1) {
                    throw new SimanException("task 1 failed");
                }
            }));
            assertEquals("task 1 failed", e.getMessage());
            assertEquals(0, b.liveTensors(), "the tasks' tensors were released");
        }
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] all = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    // ---------------------------------------------------------------- channel scale

    @Test
    void channelScaleForwardAndBackward() {
        for (int[] dims : new int[][]{{2, 3, 4, 5}, {3, 4}, {1, 1, 1, 1}}) {
            int c = dims[1], hw = dims.length == 4 ? dims[2] * dims[3] : 1;
            Tensor x = random(1, dims), s = random(1, c), y = zeros(dims);
            double[] xd = down(x), sd = down(s);
            Function<double[], double[]> fx = xs -> scaleRef(xs, sd, c, hw);
            k.channelScale(x, s, y);
            close(fx.apply(xd), down(y), TOL, "channel scale");
            Tensor dy = random(1, dims), dx = zeros(dims), ds = zeros(c);
            double[] g = down(dy);
            training().channelScaleBackward(x, s, dy, dx, ds);
            gradientMatches(fx, xd, g, down(dx), "channel scale dx");
            gradientMatches(ss -> scaleRef(xd, ss, c, hw), sd, g, down(ds), "channel scale dscale");
            k.fill(ds, 0f);
            training().channelScaleBackward(x, s, dy, null, ds);
            gradientMatches(ss -> scaleRef(xd, ss, c, hw), sd, g, down(ds), "channel scale dscale without dx");
        }
    }

    @Test
    void rowScaleScalesEachRow() {
        Tensor x = random(1, 3, 2, 2, 2), scale = random(1, 3), y = zeros(3, 2, 2, 2);
        k.rowScale(x, scale, y);
        float[] xv = backend.downloadFloats(x), sv = backend.downloadFloats(scale), yv = backend.downloadFloats(y);
        for (int i = 0; i < xv.length; i++) {
            assertEquals(xv[i] * sv[i / 8], yv[i], 0f, "row scale at " + i);
        }
    }

    @Test
    void rowScaleBackwardIsTheGradientOfTheRowScale() {
        for (int[] dims : new int[][]{{3, 2, 2, 2}, {5, 700}, {1, 1}}) {
            int rows = dims[0], n = 1;
            for (int i = 1; i < dims.length; i++) {
                n *= dims[i];
            }
            int len = n;
            Tensor x = random(1, dims), dy = random(1, dims), ds = zeros(rows);
            k.fill(ds, 99f);
            training().rowScaleBackward(x, dy, ds);
            double[] xd = down(x), g = down(dy), expected = new double[rows];
            for (int i = 0; i < xd.length; i++) {
                expected[i / len] += xd[i] * g[i];
            }
            close(expected, down(ds), 1e-5, "row scale dscale " + java.util.Arrays.toString(dims));
            // the chain rule: d/dscale of <dy, rowScale(x, scale)>
            double[] scale = down(random(1, rows));
            gradientMatches(s -> {
                double[] y = new double[xd.length];
                for (int i = 0; i < y.length; i++) {
                    y[i] = xd[i] * s[i / len];
                }
                return y;
            }, scale, g, down(ds), "row scale dscale by finite differences " + java.util.Arrays.toString(dims));
        }
    }

    @Test
    void channelAffineIsOneFusedMultiplyAdd() {
        for (int[] dims : new int[][]{{2, 3, 4, 5}, {3, 4}}) {
            int c = dims[1], hw = dims.length == 4 ? dims[2] * dims[3] : 1;
            Tensor x = random(100, dims), s = random(1, c), b = random(1, c), y = zeros(dims);
            k.channelAffine(x, s, b, y);
            float[] xv = backend.downloadFloats(x), sv = backend.downloadFloats(s), bv = backend.downloadFloats(b);
            float[] expect = new float[xv.length];
            for (int i = 0; i < xv.length; i++) {
                expect[i] = Math.fma(xv[i], sv[(i / hw) % c], bv[(i / hw) % c]);
            }
            assertArrayEquals(expect, backend.downloadFloats(y), "fma, bit for bit");
        }
    }

    private static double[] scaleRef(double[] x, double[] s, int c, int hw) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * s[(i / hw) % c];
        }
        return y;
    }

    // ---------------------------------------------------------------- batch norm

    @Test
    void batchNormTrainingInferenceAndBackward() {
        for (int[] dims : new int[][]{{4, 3, 2, 3}, {5, 6}, {2, 2, 1, 1}, {1, 2, 3, 3}}) {
            int n = dims[0], c = dims[1], hw = dims.length == 4 ? dims[2] * dims[3] : 1;
            float eps = 1e-5f, momentum = 0.1f;
            Tensor x = random(2, dims), gamma = random(1, c), beta = random(1, c);
            float[] rm0 = Reference.randomFloats(rnd, c, 1), rv0 = new float[c];
            for (int i = 0; i < c; i++) {
                rv0[i] = 0.5f + i;
            }
            Tensor rm = up(rm0.clone(), c), rv = up(rv0.clone(), c);
            Tensor y = zeros(dims), sm = zeros(c), si = zeros(c);
            training().batchNormTraining(x, gamma, beta, rm, rv, momentum, eps, y, sm, si);
            double[] xd = down(x), gd = down(gamma), bd = down(beta);
            Function<double[], double[]> fx = xs -> Reference.batchNorm(xs, gd, bd, n, c, hw, eps);
            close(fx.apply(xd), down(y), TOL, "batch norm training forward " + Shape.of(dims));
            double[] expRm = new double[c], expRv = new double[c], expMean = new double[c], expInv = new double[c];
            for (int ch = 0; ch < c; ch++) {
                double[] st = Reference.channelStats(xd, n, c, hw, ch);
                expMean[ch] = st[0];
                expInv[ch] = 1 / Math.sqrt(st[1] + eps);
                expRm[ch] = 0.9 * rm0[ch] + 0.1 * st[0];
                expRv[ch] = 0.9 * rv0[ch] + 0.1 * st[2];
            }
            close(expRm, down(rm), TOL, "running mean");
            close(expRv, down(rv), TOL, "running variance (unbiased)");
            close(expMean, down(sm), TOL, "saved mean");
            close(expInv, down(si), TOL, "saved inverse std");

            Tensor dy = random(1, dims), dx = zeros(dims), dg = zeros(c), db = zeros(c);
            double[] g = down(dy);
            training().batchNormBackward(x, dy, gamma, sm, si, dx, dg, db);
            gradientMatches(fx, xd, g, down(dx), "batch norm dx");
            gradientMatches(gs -> Reference.batchNorm(xd, gs, bd, n, c, hw, eps), gd, g, down(dg), "batch norm dgamma");
            gradientMatches(bs -> Reference.batchNorm(xd, gd, bs, n, c, hw, eps), bd, g, down(db), "batch norm dbeta");

            k.batchNormInference(x, gamma, beta, rm, rv, eps, y);
            double[] rmd = down(rm), rvd = down(rv), expect = new double[xd.length];
            for (int i = 0; i < xd.length; i++) {
                int ch = (i / hw) % c;
                expect[i] = gd[ch] * (xd[i] - rmd[ch]) / Math.sqrt(rvd[ch] + eps) + bd[ch];
            }
            close(expect, down(y), TOL, "batch norm inference");
        }
    }

    // ---------------------------------------------------------------- activations

    @Test
    void activationsAndPrelu() {
        float[] v = {-2f, -1f, -0.5f, 0f, 0.5f, 1f, 2f, 0.25f};
        Tensor x = up(v, 2, 4), y = zeros(2, 4), dy = up(new float[]{1, 2, 3, 4, 5, 6, 7, 8}, 2, 4), dx = zeros(2, 4);
        k.activation(Activation.RELU, x, y);
        assertArrayEquals(new float[]{0, 0, 0, 0, 0.5f, 1, 2, 0.25f}, backend.downloadFloats(y));
        training().activationBackward(Activation.RELU, x, dy, dx);
        assertArrayEquals(new float[]{0, 0, 0, 0, 5, 6, 7, 8}, backend.downloadFloats(dx));
        k.activation(Activation.HARDTANH, x, y);
        assertArrayEquals(new float[]{-1, -1, -0.5f, 0, 0.5f, 1, 1, 0.25f}, backend.downloadFloats(y));
        training().activationBackward(Activation.HARDTANH, x, dy, dx);
        assertArrayEquals(new float[]{0, 2, 3, 4, 5, 6, 0, 8}, backend.downloadFloats(dx));
        k.activation(Activation.RELU, x, x);
        assertArrayEquals(new float[]{0, 0, 0, 0, 0.5f, 1, 2, 0.25f}, backend.downloadFloats(x), "in place");

        for (int[] dims : new int[][]{{2, 3, 2, 2}, {4, 5}}) {
            int c = dims[1], hw = dims.length == 4 ? dims[2] * dims[3] : 1;
            float[] xv = Reference.randomFloats(rnd, (int) Shape.of(dims).size(), 1);
            for (int i = 0; i < xv.length; i++) {
                if (Math.abs(xv[i]) < 0.01f) {
                    xv[i] = 0.3f; // keep finite differences away from the kink
                }
            }
            Tensor px = up(xv, dims), slope = random(0.5, c), py = zeros(dims);
            double[] xd = down(px), sd = down(slope);
            Function<double[], double[]> f = xs -> preluRef(xs, sd, c, hw);
            k.prelu(px, slope, py);
            close(f.apply(xd), down(py), TOL, "prelu");
            Tensor pdy = random(1, dims), pdx = zeros(dims), ds = zeros(c);
            double[] g = down(pdy);
            training().preluBackward(px, slope, pdy, pdx, ds);
            gradientMatches(f, xd, g, down(pdx), "prelu dx");
            gradientMatches(ss -> preluRef(xd, ss, c, hw), sd, g, down(ds), "prelu dslope");
        }
    }

    private static double[] preluRef(double[] x, double[] s, int c, int hw) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] >= 0 ? x[i] : s[(i / hw) % c] * x[i];
        }
        return y;
    }

    // ---------------------------------------------------------------- pooling

    @Test
    void maxPooling() {
        for (int[] s : new int[][]{{2, 3, 4, 4, 2, 2, 0}, {1, 2, 5, 5, 3, 2, 1}, {1, 1, 1, 1, 1, 1, 0}, {2, 2, 7, 7, 3, 2, 1}}) {
            PoolGeometry g = new PoolGeometry(s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
            Tensor x = random(1, g.inputShape().dims()), y = zeros(g.outputShape().dims());
            Tensor am = zeros(DType.INT32, g.outputShape());
            k.maxPool2d(g, x, y, am);
            double[] xd = down(x);
            double[] expect = poolRef(xd, g, true);
            close(expect, down(y), 0, "max pool " + g);
            int[] idx = backend.downloadInts(am);
            int hw = g.inHeight() * g.inWidth(), ohw = g.outHeight() * g.outWidth();
            for (int i = 0; i < idx.length; i++) {
                assertEquals(expect[i], xd[(i / ohw) * hw + idx[i]], 0, "argmax points at the maximum");
            }
            Tensor dy = random(1, g.outputShape().dims()), dx = zeros(g.inputShape().dims());
            training().maxPool2dBackward(g, dy, am, dx);
            gradientMatches(xs -> poolRef(xs, g, true), xd, down(dy), down(dx), "max pool backward " + g);
        }
        // ties: the first maximum in scan order wins
        PoolGeometry g = new PoolGeometry(1, 1, 2, 2, 2, 2, 0);
        Tensor x = up(new float[]{1, 3, 3, 3}, 1, 1, 2, 2), y = zeros(1, 1, 1, 1), am = zeros(DType.INT32, Shape.of(1, 1, 1, 1));
        k.maxPool2d(g, x, y, am);
        assertEquals(1, backend.downloadInts(am)[0]);
    }

    @Test
    void averagePooling() {
        for (int[] s : new int[][]{{2, 3, 4, 4, 2, 2, 0}, {1, 2, 5, 5, 3, 2, 1}, {2, 3, 8, 8, 8, 1, 0}, {1, 1, 1, 1, 1, 1, 0}}) {
            PoolGeometry g = new PoolGeometry(s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
            Tensor x = random(1, g.inputShape().dims()), y = zeros(g.outputShape().dims());
            k.avgPool2d(g, x, y);
            double[] xd = down(x);
            close(poolRef(xd, g, false), down(y), TOL, "avg pool " + g);
            Tensor dy = random(1, g.outputShape().dims()), dx = zeros(g.inputShape().dims());
            training().avgPool2dBackward(g, dy, dx);
            gradientMatches(xs -> poolRef(xs, g, false), xd, down(dy), down(dx), "avg pool backward " + g);
        }
        PoolGeometry global = PoolGeometry.global(Shape.of(2, 3, 4, 4));
        assertEquals(Shape.of(2, 3, 1, 1), global.outputShape());
    }

    private static double[] poolRef(double[] x, PoolGeometry g, boolean max) {
        int ho = g.outHeight(), wo = g.outWidth(), h = g.inHeight(), w = g.inWidth();
        double[] y = new double[g.batch() * g.channels() * ho * wo];
        for (int nc = 0; nc < g.batch() * g.channels(); nc++) {
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    for (int ky = 0; ky < g.kernel(); ky++) {
                        for (int kx = 0; kx < g.kernel(); kx++) {
                            int iy = oy * g.stride() - g.padding() + ky, ix = ox * g.stride() - g.padding() + kx;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                double v = x[nc * h * w + iy * w + ix];
                                acc = max ? Math.max(acc, v) : acc + v;
                            }
                        }
                    }
                    y[nc * ho * wo + oy * wo + ox] = max ? acc : acc / (g.kernel() * g.kernel());
                }
            }
        }
        return y;
    }

    // ---------------------------------------------------------------- a bitwise layer's input

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void meanAndPackIsRowMeanThenPacking(Implementation implementation) {
        BitwiseKernels bk = bits();
        io.siman.api.steps.ActivationPackingSteps steps = steps(implementation, io.siman.api.steps.ActivationPackingSteps.class,
                io.siman.api.steps.ActivationPackingSteps::portable);
        // one and several words per position, fewer than 32 channels, planes of whole vectors and odd ones, batches
        // of one sample and of more samples than threads
        for (int[] dims : new int[][]{{1, 16, 8, 8}, {5, 16, 7, 9}, {3, 70, 4, 5}, {2, 130, 3, 3}, {4, 3, 5, 5}, {1, 64, 4, 4}}) {
            Tensor x = random(1, dims), mean = zeros(dims[0]), expectedMean = zeros(dims[0]);
            Shape bitsShape = Shape.of(dims[0], dims[2], dims[3], Shape.words(dims[1]));
            Tensor bits = zeros(DType.INT64, bitsShape), expected = zeros(DType.INT64, bitsShape);
            k.rowMean(x, expectedMean);
            bk.packActivations(x, expectedMean, expected);
            backend.write(bits, new long[(int) bitsShape.size()]);
            steps.meanAndPack(x, mean, bits);
            assertArrayEquals(backend.downloadFloats(expectedMean), backend.downloadFloats(mean), 0f, "the same means: " + Arrays.toString(dims));
            assertArrayEquals(backend.downloadLongs(expected), backend.downloadLongs(bits), "the same bits: " + Arrays.toString(dims));
        }
    }

    // ---------------------------------------------------------------- fused binarized block

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void binaryConvolutionWithResidualAndPreluIsTheThreeKernelsInOne(Implementation implementation) {
        BitwiseKernels bk = bits();
        io.siman.api.steps.BinaryBlockSteps steps = steps(implementation, io.siman.api.steps.BinaryBlockSteps.class,
                io.siman.api.steps.BinaryBlockSteps::portable);
        // narrow (receptive-field words), stride 2, whole words, partial last tiles, zero-one, 1x1
        int[][] shapes = {{2, 16, 12, 12, 16, 3, 1, 1}, {1, 32, 10, 10, 12, 3, 2, 1}, {2, 64, 5, 7, 9, 3, 1, 1},
                {1, 70, 17, 18, 7, 3, 1, 1}, {1, 16, 7, 7, 9, 1, 1, 0}};
        for (int[] sh : shapes) {
            ConvGeometry g = geometry(sh);
            for (Encoding enc : Encoding.values()) {
                Tensor x = random(1, g.inputShape().dims()), th = zeros(g.batch());
                k.rowMean(x, th);
                float[] eff = new float[(int) g.weightShape().size()];
                for (int i = 0; i < eff.length; i++) {
                    eff[i] = rnd.nextBoolean() ? 1f : (enc == Encoding.PM1 ? -1f : 0f);
                }
                Tensor ws = up(eff, g.weightShape().dims());
                Tensor xb = zeros(DType.INT64, g.packedInputShape()), wb = zeros(DType.INT64, g.packedWeightShape());
                bk.packActivations(x, th, xb);
                bk.packWeights(ws, wb);
                Tensor scale = random(1, g.outChannels()), bias = random(1, g.outChannels()), slope = random(1, g.outChannels());
                Tensor residual = random(1, g.outputShape().dims());
                Tensor sums = zeros(g.outputShape().dims()), added = zeros(g.outputShape().dims()), expected = zeros(g.outputShape().dims());
                bk.binaryConv2d(g, enc, xb, wb, scale, bias, sums);
                k.add(sums, residual, added);
                k.prelu(added, slope, expected);
                Tensor y = zeros(g.outputShape().dims());
                k.fill(y, 7f);
                steps.binaryConv2dAddPrelu(g, enc, xb, wb, scale, bias, residual, slope, y);
                assertArrayEquals(backend.downloadFloats(expected), backend.downloadFloats(y), 0f, "the same floats: " + g + " " + enc);
            }
        }
    }

    // ---------------------------------------------------------------- fused joins of a residual block's training pass

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void batchNormAddPreluIsTheThreeKernelsInOne(Implementation implementation) {
        io.siman.api.steps.ResidualTrainingSteps steps = steps(implementation, io.siman.api.steps.ResidualTrainingSteps.class,
                io.siman.api.steps.ResidualTrainingSteps::portable);
        TrainingKernels t = training();
        // planes of whole vectors, an odd plane, a plane shorter than a vector, [N, C]
        for (int[] dims : new int[][]{{4, 3, 8, 8}, {3, 5, 7, 9}, {5, 2, 1, 3}, {6, 7}}) {
            int c = dims[1];
            Tensor x = random(2, dims), residual = random(1, dims), gamma = random(1, c), beta = random(1, c), slope = random(1, c);
            Tensor rm = random(1, c), rv = up(new float[c], c), rm2 = zeros(c), rv2 = zeros(c);
            k.fill(rv, 1.5f);
            k.copy(rm, rm2);
            k.copy(rv, rv2);
            Tensor normalized = zeros(dims), sumExpected = zeros(dims), yExpected = zeros(dims), mean = zeros(c), inv = zeros(c);
            t.batchNormTraining(x, gamma, beta, rm, rv, 0.1f, 1e-5f, normalized, mean, inv);
            k.add(normalized, residual, sumExpected);
            k.prelu(sumExpected, slope, yExpected);
            Tensor sum = zeros(dims), y = zeros(dims), mean2 = zeros(c), inv2 = zeros(c);
            k.fill(sum, 7f);
            k.fill(y, 7f);
            steps.batchNormAddPrelu(x, gamma, beta, rm2, rv2, 0.1f, 1e-5f, residual, slope, sum, y, mean2, inv2);
            String what = "the same floats as batchNormTraining, add and prelu: " + Shape.of(dims);
            assertArrayEquals(backend.downloadFloats(sumExpected), backend.downloadFloats(sum), 0f, what + " (sum)");
            assertArrayEquals(backend.downloadFloats(yExpected), backend.downloadFloats(y), 0f, what + " (output)");
            assertArrayEquals(backend.downloadFloats(mean), backend.downloadFloats(mean2), 0f, what + " (saved mean)");
            assertArrayEquals(backend.downloadFloats(inv), backend.downloadFloats(inv2), 0f, what + " (saved inverse deviation)");
            assertArrayEquals(backend.downloadFloats(rm), backend.downloadFloats(rm2), 0f, what + " (running mean)");
            assertArrayEquals(backend.downloadFloats(rv), backend.downloadFloats(rv2), 0f, what + " (running variance)");
        }
        assertThrows(ShapeMismatchException.class, () -> steps.batchNormAddPrelu(zeros(2, 3, 4, 4), random(1, 3), zeros(3), zeros(3),
                zeros(3), 0.1f, 1e-5f, zeros(2, 3, 4, 5), zeros(3), zeros(2, 3, 4, 4), zeros(2, 3, 4, 4), zeros(3), zeros(3)));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void binaryActivationBackwardAddIsTheBackwardThenTheAdd(Implementation implementation) {
        io.siman.api.steps.ResidualTrainingSteps steps = steps(implementation, io.siman.api.steps.ResidualTrainingSteps.class,
                io.siman.api.steps.ResidualTrainingSteps::portable);
        BinaryActivationSteps activationSteps = BinaryActivationSteps.of(backend);
        training();
        for (int[] dims : new int[][]{{3, 2, 3, 3}, {4, 10}, {2, 130}, {5, 16, 7, 7}}) {
            int rows = dims[0];
            Tensor x = random(1.5, dims), mean = zeros(rows), inv = zeros(rows);
            k.rowStandardize(x, 1e-5f, null, mean, inv);
            Tensor dxb = random(1, dims), addend = random(1, dims), gradient = zeros(dims), expected = zeros(dims), dx = zeros(dims);
            activationSteps.binaryActivationBackward(x, mean, inv, dxb, gradient);
            k.add(gradient, addend, expected);
            k.fill(dx, 99f);
            steps.binaryActivationBackwardAdd(x, mean, inv, dxb, addend, dx);
            assertArrayEquals(backend.downloadFloats(expected), backend.downloadFloats(dx), 0f,
                    "the same floats as binaryActivationBackward then add: " + Shape.of(dims));
        }
    }

    // ---------------------------------------------------------------- shortcut A

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void optionAShortcut(Implementation implementation) {
        ShortcutSteps steps = steps(implementation, ShortcutSteps.class, ShortcutSteps::portable);
        for (int[] s : new int[][]{{2, 16, 8, 8, 32}, {1, 3, 5, 5, 7}, {1, 2, 1, 1, 2}}) {
            int n = s[0], c = s[1], h = s[2], w = s[3], cy = s[4], ho = (h + 1) / 2, wo = (w + 1) / 2, pad = (cy - c) / 2;
            Tensor x = random(1, n, c, h, w), y = zeros(n, cy, ho, wo);
            k.fill(y, 5f);
            steps.shortcutA(x, y);
            Function<double[], double[]> f = xs -> {
                double[] out = new double[n * cy * ho * wo];
                for (int i = 0; i < n; i++) {
                    for (int ch = 0; ch < c; ch++) {
                        for (int oy = 0; oy < ho; oy++) {
                            for (int ox = 0; ox < wo; ox++) {
                                out[((i * cy + ch + pad) * ho + oy) * wo + ox] = xs[((i * c + ch) * h + 2 * oy) * w + 2 * ox];
                            }
                        }
                    }
                }
                return out;
            };
            double[] xd = down(x);
            close(f.apply(xd), down(y), 0, "shortcut A");
            training(); // the backward pass is training's (its portable default uses the training group)
            Tensor dy = random(1, n, cy, ho, wo), dx = zeros(n, c, h, w);
            k.fill(dx, 5f);
            steps.shortcutABackward(dy, dx);
            gradientMatches(f, xd, down(dy), down(dx), "shortcut A backward");
        }
        assertThrows(ShapeMismatchException.class, () -> steps.shortcutA(zeros(1, 4, 4, 4), zeros(1, 7, 2, 2)));
    }

    // ---------------------------------------------------------------- loss

    @Test
    void softmaxCrossEntropy() {
        int n = 5, kk = 10;
        Tensor logits = random(4, n, kk), probs = zeros(n, kk), losses = zeros(n);
        int[] labels = {0, 9, 3, 3, 7};
        Tensor lab = upInts(labels, n);
        k.softmaxCrossEntropy(logits, lab, probs, losses);
        double[] z = down(logits);
        close(Reference.crossEntropy(z, labels, kk), down(losses), TOL, "cross-entropy");
        close(softmaxRows(z, kk), down(probs), TOL, "softmax");
        Tensor dz = zeros(n, kk);
        training().softmaxCrossEntropyBackward(probs, lab, 1f / n, dz);
        double[] numeric = Reference.numericGradient(p -> {
            double s = 0;
            for (double l : Reference.crossEntropy(p, labels, kk)) {
                s += l;
            }
            return s / n;
        }, z, 1e-4);
        close(numeric, down(dz), 2e-3, "cross-entropy gradient");
        // large logits stay finite
        Tensor big = up(new float[]{1000f, -1000f, 0f}, 1, 3), bp = zeros(1, 3), bl = zeros(1);
        k.softmaxCrossEntropy(big, upInts(new int[]{1}, 1), bp, bl);
        assertEquals(2000.0, down(bl)[0], 1e-2);
    }

    // ---------------------------------------------------------------- standardization

    @Test
    void rowStandardizeAndItsBackward() {
        for (int[] dims : new int[][]{{3, 2, 3, 3}, {4, 10}, {1, 2}, {2, 130}}) {
            int rows = dims[0];
            Tensor x = random(3, dims), z = zeros(dims), mean = zeros(rows), inv = zeros(rows), mean2 = zeros(rows);
            float eps = 1e-5f;
            k.rowStandardize(x, eps, z, mean, inv);
            double[] xd = down(x);
            Function<double[], double[]> f = xs -> Reference.rowStandardize(xs, rows, eps);
            close(f.apply(xd), down(z), TOL, "row standardize " + Shape.of(dims));
            k.rowMean(x, mean2);
            assertArrayEquals(backend.downloadFloats(mean), backend.downloadFloats(mean2),
                    "rowMean must be the very reduction rowStandardize uses");
            float[] zf = backend.downloadFloats(z), xf = backend.downloadFloats(x), mf = backend.downloadFloats(mean);
            int n = zf.length / rows;
            for (int i = 0; i < zf.length; i++) {
                assertEquals(xf[i] >= mf[i / n], zf[i] >= 0f, "sign(z) must equal sign(x - mean) at " + i);
            }
            Tensor dz = random(1, dims), dx = zeros(dims);
            training().rowStandardizeBackward(z, inv, dz, dx);
            gradientMatches(f, xd, down(dz), down(dx), "row standardize backward");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void binaryActivationBackwardIsApproxSignThenStandardization(Implementation implementation) {
        BinaryActivationSteps steps = steps(implementation, BinaryActivationSteps.class, BinaryActivationSteps::portable);
        for (int[] dims : new int[][]{{3, 2, 3, 3}, {4, 10}, {2, 130}, {5, 16, 7, 7}}) {
            int rows = dims[0];
            Tensor x = random(1.5, dims), z = zeros(dims), mean = zeros(rows), inv = zeros(rows), mean2 = zeros(rows), inv2 = zeros(rows);
            k.rowStandardize(x, 1e-5f, z, mean, inv);
            k.rowStandardize(x, 1e-5f, null, mean2, inv2);
            assertArrayEquals(backend.downloadFloats(mean), backend.downloadFloats(mean2), "statistics alone: the same mean");
            assertArrayEquals(backend.downloadFloats(inv), backend.downloadFloats(inv2), "statistics alone: the same inverse deviation");
            Tensor dxb = random(1, dims), da = zeros(dims), expected = zeros(dims), dx = zeros(dims);
            steps.approxSignBackward(z, dxb, da);
            training().rowStandardizeBackward(z, inv, da, expected);
            k.fill(dx, 99f);
            steps.binaryActivationBackward(x, mean, inv, dxb, dx);
            close(down(expected), down(dx), TOL, "fused activation binarization backward " + Shape.of(dims));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void binaryWeightGradientEqualsTheFloatGradientOfTheSigns(Implementation implementation) {
        BinaryActivationSteps steps = steps(implementation, BinaryActivationSteps.class, BinaryActivationSteps::portable);
        int[][] shapes = {
                {2, 3, 5, 5, 4, 3, 1, 1}, {3, 16, 8, 8, 8, 3, 1, 1}, {2, 5, 7, 7, 6, 3, 1, 0}, {1, 70, 4, 4, 5, 3, 2, 1},
                {2, 16, 20, 20, 5, 3, 1, 1}, {1, 4, 33, 9, 3, 3, 1, 1}, {1, 3, 6, 70, 4, 3, 1, 1}, {2, 8, 6, 6, 4, 1, 1, 0},
                {4, 9, 9, 9, 7, 3, 1, 1},
        };
        for (int[] sh : shapes) {
            ConvGeometry g = geometry(sh);
            Tensor x = random(1, g.inputShape().dims()), th = random(0.3, g.batch()), dy = random(1, g.outputShape().dims());
            float[] xv = backend.downloadFloats(x), tv = backend.downloadFloats(th);
            xv[0] = tv[0]; // on the threshold: +1
            backend.write(x, xv);
            int per = xv.length / g.batch();
            float[] signs = new float[xv.length];
            for (int i = 0; i < xv.length; i++) {
                signs[i] = xv[i] >= tv[i / per] ? 1f : -1f;
            }
            Tensor xs = up(signs, g.inputShape().dims()), expected = zeros(g.weightShape().dims()), dw = zeros(g.weightShape().dims());
            training().conv2dBackwardWeights(g, xs, dy, expected);
            k.fill(dw, 99f);
            steps.binaryConv2dBackwardWeights(g, x, th, dy, dw);
            close(down(expected), down(dw), 1e-4, "binary weight gradient " + g);
        }
    }

    /**
     * Binarized layers' shapes for their input gradients: output channels that fill groups of four and leave the last
     * part empty, 1x1 to 3x3 kernels padded 0 to 2, planes of odd sizes, a stride of 2.
     */
    private static final int[][] BINARIZED_SHAPES = {
            {2, 16, 8, 8, 16, 3, 1, 1}, {3, 5, 7, 7, 6, 3, 1, 1}, {2, 7, 6, 9, 3, 1, 1, 0}, {1, 4, 5, 5, 9, 3, 1, 2},
            {2, 9, 9, 9, 13, 3, 1, 0}, {2, 8, 9, 9, 12, 3, 2, 1}, {1, 64, 4, 4, 32, 3, 1, 1},
    };

    /** +-alpha, {0, alpha}, and a channel with a third value. */
    private static final Reference.WeightValues[] TWO_VALUED_AND_NOT = {
            Reference.WeightValues.PLUS_MINUS_ALPHA, Reference.WeightValues.ZERO_OR_ALPHA, Reference.WeightValues.THIRD_VALUE};

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void binaryInputGradientIsTheInputGradientOfItsWeights(Implementation implementation) {
        io.siman.api.steps.BinaryWeightSteps steps = steps(implementation, io.siman.api.steps.BinaryWeightSteps.class,
                io.siman.api.steps.BinaryWeightSteps::portable);
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        for (int[] sh : BINARIZED_SHAPES) {
            ConvGeometry g = geometry(sh);
            for (Reference.WeightValues kind : TWO_VALUED_AND_NOT) {
                float[] w = Reference.binarizedWeights(r, g.outChannels(), g.fanIn(), kind);
                Tensor wt = up(w, g.weightShape().dims()), dy = random(1, g.outputShape().dims());
                Tensor expected = zeros(g.inputShape().dims()), dx = zeros(g.inputShape().dims());
                training().conv2dBackwardData(g, dy, wt, expected);
                k.fill(dx, 99f);
                steps.binaryConv2dBackwardData(g, dy, wt, dx);
                close(down(expected), down(dx), TOL, "binary input gradient, weights of kind " + kind + ", " + g);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void binaryLayerInputGradientIsItsTwoStepsInOne(Implementation implementation) {
        io.siman.api.steps.BinaryInputGradientSteps steps = steps(implementation, io.siman.api.steps.BinaryInputGradientSteps.class,
                io.siman.api.steps.BinaryInputGradientSteps::portable);
        training();
        java.util.SplittableRandom r = new java.util.SplittableRandom(12);
        for (int[] sh : BINARIZED_SHAPES) {
            ConvGeometry g = geometry(sh);
            int[] in = g.inputShape().dims();
            for (Reference.WeightValues kind : TWO_VALUED_AND_NOT) {
                Tensor w = up(Reference.binarizedWeights(r, g.outChannels(), g.fanIn(), kind), g.weightShape().dims());
                Tensor dy = random(1, g.outputShape().dims()), x = random(1.5, in), addend = random(1, in);
                Tensor mean = zeros(g.batch()), inv = zeros(g.batch());
                k.rowStandardize(x, 1e-5f, null, mean, inv);
                Tensor signs = zeros(in), expected = zeros(in), expectedAdded = zeros(in), dx = zeros(in);
                io.siman.api.steps.BinaryWeightSteps.of(backend).binaryConv2dBackwardData(g, dy, w, signs);
                BinaryActivationSteps.of(backend).binaryActivationBackward(x, mean, inv, signs, expected);
                io.siman.api.steps.ResidualTrainingSteps.of(backend).binaryActivationBackwardAdd(x, mean, inv, signs, addend, expectedAdded);
                String what = "the same floats as the input gradient of the signs, then their backward pass: " + kind + ", " + g;
                k.fill(dx, 99f);
                steps.binaryConv2dInputGradient(g, dy, w, x, mean, inv, null, dx);
                assertArrayEquals(backend.downloadFloats(expected), backend.downloadFloats(dx), 0f, what);
                k.fill(dx, 99f);
                steps.binaryConv2dInputGradient(g, dy, w, x, mean, inv, addend, dx);
                assertArrayEquals(backend.downloadFloats(expectedAdded), backend.downloadFloats(dx), 0f, what + ", plus an addend");
            }
        }
        ConvGeometry g = geometry(BINARIZED_SHAPES[0]);
        Tensor w = zeros(g.weightShape().dims()), dy = zeros(g.outputShape().dims()), x = zeros(g.inputShape().dims());
        Tensor mean = zeros(g.batch()), dx = zeros(g.inputShape().dims());
        assertThrows(ShapeMismatchException.class, () -> steps.binaryConv2dInputGradient(g, dy, w, x, zeros(g.batch() + 1), mean, null, dx));
        assertThrows(ShapeMismatchException.class, () -> steps.binaryConv2dInputGradient(g, dy, w, zeros(1, 1), mean, mean, null, dx));
        assertThrows(ShapeMismatchException.class, () -> steps.binaryConv2dInputGradient(g, dy, w, x, mean, mean, zeros(3), dx));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void binaryWeightGradientFromBitsIsThatOfTheFloatInput(Implementation implementation) {
        io.siman.api.steps.BinaryWeightGradientSteps steps = steps(implementation, io.siman.api.steps.BinaryWeightGradientSteps.class,
                io.siman.api.steps.BinaryWeightGradientSteps::portable);
        training();
        BitwiseKernels bk = bits();
        // the binarized shapes, and two words of channels per position at stride 2
        int[][] shapes = java.util.Arrays.copyOf(BINARIZED_SHAPES, BINARIZED_SHAPES.length + 1);
        shapes[shapes.length - 1] = new int[]{2, 128, 5, 5, 8, 3, 2, 1};
        for (int[] sh : shapes) {
            ConvGeometry g = geometry(sh);
            Tensor x = random(1.5, g.inputShape().dims()), dy = random(1, g.outputShape().dims()), threshold = random(0.5, g.batch());
            Tensor bitsOfX = zeros(DType.INT64, g.packedInputShape());
            bk.packActivations(x, threshold, bitsOfX);
            Tensor expected = zeros(g.weightShape().dims()), dw = zeros(g.weightShape().dims());
            BinaryActivationSteps.of(backend).binaryConv2dBackwardWeights(g, x, threshold, dy, expected);
            k.fill(dw, 99f);
            steps.binaryConv2dBackwardWeightsFromBits(g, x, threshold, bitsOfX, dy, dw);
            assertArrayEquals(backend.downloadFloats(expected), backend.downloadFloats(dw), 0f,
                    "the same floats as the weight gradient of the float input's signs: " + g);
        }
        ConvGeometry g = geometry(BINARIZED_SHAPES[0]);
        Tensor x = zeros(g.inputShape().dims()), dy = zeros(g.outputShape().dims()), dw = zeros(g.weightShape().dims());
        Tensor threshold = zeros(g.batch()), bitsOfX = zeros(DType.INT64, g.packedInputShape());
        assertThrows(ShapeMismatchException.class, () -> steps.binaryConv2dBackwardWeightsFromBits(g, x, threshold,
                zeros(DType.INT64, Shape.of(g.batch(), 1)), dy, dw));
        assertThrows(ShapeMismatchException.class, () -> steps.binaryConv2dBackwardWeightsFromBits(g, x, zeros(g.batch() + 1),
                bitsOfX, dy, dw));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void approxSignBackward(Implementation implementation) {
        BinaryActivationSteps steps = steps(implementation, BinaryActivationSteps.class, BinaryActivationSteps::portable);
        Tensor a = up(new float[]{-2f, -1f, -0.5f, 0f, 0.25f, 0.9f, 1f, 3f}, 8), d = up(new float[]{1, 1, 2, 1, 1, 1, 1, 1}, 8);
        Tensor out = zeros(8);
        steps.approxSignBackward(a, d, out);
        assertArrayEquals(new float[]{0, 0, 2, 2, 1.5f, 0.2f, 0, 0}, backend.downloadFloats(out), 1e-6f);
    }

    // ---------------------------------------------------------------- generic primitives

    @Test
    void rowSubtractAndRowAbsMean() {
        Tensor x = up(new float[]{1f, -2f, 3f, 0.5f, 0.25f, -0.75f}, 2, 3), v = up(new float[]{0.5f, -1f}, 2), y = zeros(2, 3);
        k.rowSubtract(x, v, y);
        assertArrayEquals(new float[]{0.5f, -2.5f, 2.5f, 1.5f, 1.25f, 0.25f}, backend.downloadFloats(y));
        k.rowSubtract(x, v, x);
        assertArrayEquals(backend.downloadFloats(y), backend.downloadFloats(x), "in place");
        Tensor m = zeros(2);
        k.rowAbsMean(y, m);
        assertArrayEquals(new float[]{5.5f / 3, 3f / 3}, backend.downloadFloats(m), 1e-6f);
        for (int[] dims : new int[][]{{3, 2, 3, 3}, {2, 300}, {1, 2}}) {
            Tensor r = random(2, dims), rm = zeros(dims[0]);
            k.rowAbsMean(r, rm);
            double[] rd = down(r), expect = new double[dims[0]];
            int n = rd.length / dims[0];
            for (int i = 0; i < rd.length; i++) {
                expect[i / n] += Math.abs(rd[i]) / n;
            }
            close(expect, down(rm), TOL, "row abs mean " + Shape.of(dims));
        }
        assertThrows(ShapeMismatchException.class, () -> k.rowSubtract(x, zeros(3), y));
    }

    @Test
    void topMagnitudesRankRowsWithCountsPerRow() {
        Tensor x = up(new float[]{0.1f, -0.9f, 0.5f, -0.5f, 0.2f, 0.5f, 0.5f, -0.5f, 0.5f, 0f}, 2, 5), y = zeros(2, 5);
        k.topMagnitudes(x, upInts(new int[]{2, 3}, 2), 7f, -3f, y);
        assertArrayEquals(new float[]{-3, 7, 7, -3, -3, 7, 7, 7, -3, -3}, backend.downloadFloats(y), "ties go to the lower index");
        k.topMagnitudes(x, upInts(new int[]{0, 5}, 2), 1f, 0f, y);
        assertArrayEquals(new float[]{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, backend.downloadFloats(y), "counts 0 and n");
        for (int[] dims : new int[][]{{5, 3, 3, 3}, {2, 130}}) {
            Tensor z = random(2, dims), s = zeros(dims);
            int rows = dims[0], n = (int) (Shape.of(dims).size() / rows);
            int[] counts = new int[rows];
            for (int r = 0; r < rows; r++) {
                counts[r] = rnd.nextInt(n + 1);
            }
            k.topMagnitudes(z, upInts(counts, rows), 1f, 0f, s);
            float[] zf = backend.downloadFloats(z), sf = backend.downloadFloats(s);
            for (int r = 0; r < rows; r++) {
                float minOn = Float.POSITIVE_INFINITY, maxOff = 0f;
                int on = 0;
                for (int j = r * n; j < (r + 1) * n; j++) {
                    if (sf[j] == 1f) {
                        on++;
                        minOn = Math.min(minOn, Math.abs(zf[j]));
                    } else {
                        assertEquals(0f, sf[j]);
                        maxOff = Math.max(maxOff, Math.abs(zf[j]));
                    }
                }
                assertEquals(counts[r], on, "row " + r + " count");
                assertTrue(on == 0 || on == n || minOn >= maxOff, "row " + r + ": the largest magnitudes win");
            }
        }
        // many equal magnitudes in long rows: exactly the rule's choice (largest first, lower index first among equals)
        int rows = 4, n = 577;
        float[] tied = new float[rows * n];
        int[] counts = new int[rows];
        for (int i = 0; i < tied.length; i++) {
            tied[i] = (rnd.nextInt(9) - 4) * 0.125f;
        }
        for (int r = 0; r < rows; r++) {
            counts[r] = r == 0 ? n / 2 : rnd.nextInt(n + 1);
        }
        Tensor t = up(tied, rows, n), ts = zeros(rows, n);
        k.topMagnitudes(t, upInts(counts, rows), 1f, -1f, ts);
        float[] expect = new float[rows * n];
        for (int r = 0; r < rows; r++) {
            int row = r * n;
            Integer[] order = new Integer[n];
            for (int j = 0; j < n; j++) {
                order[j] = j;
            }
            java.util.Arrays.sort(order, (a, b) -> a.equals(b) ? 0
                    : Math.abs(tied[row + a]) != Math.abs(tied[row + b]) ? Float.compare(Math.abs(tied[row + b]), Math.abs(tied[row + a])) : a - b);
            java.util.Arrays.fill(expect, row, row + n, -1f);
            for (int j = 0; j < counts[r]; j++) {
                expect[row + order[j]] = 1f;
            }
        }
        assertArrayEquals(expect, backend.downloadFloats(ts), "ties in long rows go to the lower index");
        assertThrows(SimanException.class, () -> k.topMagnitudes(x, upInts(new int[]{6, 0}, 2), 1f, 0f, y));
    }

    @Test
    void magnitudePercentilesAndClamp() {
        float[] xv = Reference.gaussians(rnd, 6 * 27, 0.1);
        Tensor x = up(xv, 6, 3, 3, 3), bounds = zeros(2);
        double[] mags = new double[xv.length];
        for (int i = 0; i < xv.length; i++) {
            mags[i] = Math.abs(xv[i]);
        }
        for (float p : new float[]{0f, 7.5f, 15f, 50f}) {
            k.magnitudePercentiles(x, p, 100f - p, bounds);
            close(new double[]{Reference.percentile(mags, p), Reference.percentile(mags, 100 - p)}, down(bounds), 1e-6, "percentiles " + p);
        }
        Tensor v = up(new float[]{-2f, -0.5f, 0f, -0f, 0.1f, 3f}, 6), b = up(new float[]{0.25f, 1f}, 2), y = zeros(6);
        k.clampMagnitudes(v, b, y);
        assertArrayEquals(new float[]{-1f, -0.5f, 0.25f, 0.25f, 0.25f, 1f}, backend.downloadFloats(y), "sign(0) = +1");
        k.clampMagnitudes(v, b, v);
        assertArrayEquals(backend.downloadFloats(y), backend.downloadFloats(v), "in place");
        assertThrows(SimanException.class, () -> k.magnitudePercentiles(x, -1f, 50f, bounds));
    }

    @Test
    void maskByMagnitudeSelects() {
        Tensor x = up(new float[]{-2f, -1f, 0f, 0.5f, 1f, 1.5f}, 6), a = up(new float[]{1, 2, 3, 4, 5, 6}, 6), y = zeros(6);
        k.maskByMagnitude(x, 1f, a, y);
        assertArrayEquals(new float[]{0, 2, 3, 4, 5, 0}, backend.downloadFloats(y));
        k.maskByMagnitude(x, 0.5f, a, a);
        assertArrayEquals(new float[]{0, 0, 3, 4, 0, 0}, backend.downloadFloats(a), "in place");
    }

    @Test
    void copyChannelsCopiesARangeAndLeavesTheRest() {
        int n = 2, c1 = 3, c2 = 5, h = 2, w = 3;
        Tensor src = random(1, n, c1, h, w), dst = zeros(n, c2, h, w);
        k.fill(dst, 9f);
        k.copyChannels(src, 1, dst, 2, 2);
        float[] s = backend.downloadFloats(src), d = backend.downloadFloats(dst);
        int plane = h * w;
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c2; ch++) {
                for (int q = 0; q < plane; q++) {
                    float expect = ch == 2 || ch == 3 ? s[(i * c1 + ch - 1) * plane + q] : 9f;
                    assertEquals(expect, d[(i * c2 + ch) * plane + q], "sample " + i + " channel " + ch);
                }
            }
        }
        assertThrows(ShapeMismatchException.class, () -> k.copyChannels(src, 2, dst, 0, 2));
        assertThrows(ShapeMismatchException.class, () -> k.copyChannels(src, 0, zeros(n, c2, h, 4), 0, 1));
    }

    // ---------------------------------------------------------------- SiMaN

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void simanClipCentresAndClipsLayerWide(Implementation implementation) {
        SimanSteps steps = steps(implementation, SimanSteps.class, SimanSteps::portable);
        for (float p : new float[]{15f, 7.5f, 0f, 50f}) {
            int co = 6, n = 27;
            float[] wv = Reference.gaussians(rnd, co * n, 0.1);
            Tensor w = up(wv.clone(), co, 3, 3, 3);
            steps.simanClip(w, p);
            double[] u = new double[wv.length], mags = new double[wv.length];
            for (int r = 0; r < co; r++) {
                double m = 0;
                for (int j = 0; j < n; j++) {
                    m += wv[r * n + j];
                }
                m /= n;
                for (int j = 0; j < n; j++) {
                    u[r * n + j] = wv[r * n + j] - m;
                    mags[r * n + j] = Math.abs(u[r * n + j]);
                }
            }
            double lo = Reference.percentile(mags, p), hi = Reference.percentile(mags, 100 - p);
            double[] expect = new double[u.length];
            for (int i = 0; i < u.length; i++) {
                double m = Math.min(hi, Math.max(lo, mags[i]));
                expect[i] = u[i] >= 0 ? m : -m;
            }
            close(expect, down(w), 1e-5, "siman clip at " + p + "%");
        }
        assertThrows(SimanException.class, () -> steps.simanClip(zeros(2, 2), 60f));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void topHalfBitsTakeExactlyHalfWithLowIndexTieBreak(Implementation implementation) {
        SimanSteps steps = steps(implementation, SimanSteps.class, SimanSteps::portable);
        for (int[] dims : new int[][]{{5, 3, 3, 3}, {3, 7}, {2, 130}, {1, 1}, {4, 2}}) {
            int rows = dims[0];
            Tensor z = random(2, dims), s = zeros(dims);
            for (Encoding enc : Encoding.values()) {
                steps.topHalfBits(z, enc, s);
                float[] zf = backend.downloadFloats(z), sf = backend.downloadFloats(s);
                int n = zf.length / rows;
                for (int r = 0; r < rows; r++) {
                    Integer[] order = new Integer[n];
                    for (int j = 0; j < n; j++) {
                        order[j] = j;
                    }
                    int base = r * n;
                    java.util.Arrays.sort(order, (a, b) -> {
                        int c = Float.compare(Math.abs(zf[base + b]), Math.abs(zf[base + a]));
                        return c != 0 ? c : Integer.compare(a, b);
                    });
                    float[] expect = new float[n];
                    java.util.Arrays.fill(expect, enc == Encoding.PM1 ? -1f : 0f);
                    for (int j = 0; j < n / 2; j++) {
                        expect[order[j]] = 1f;
                    }
                    assertArrayEquals(expect, java.util.Arrays.copyOfRange(sf, base, base + n), "row " + r + " " + enc);
                }
            }
        }
        // all ties: the lower indices win
        Tensor z = up(new float[]{0.5f, -0.5f, 0.5f, -0.5f, 0.5f}, 1, 5), s = zeros(1, 5);
        steps.topHalfBits(z, Encoding.PM1, s);
        assertArrayEquals(new float[]{1, 1, -1, -1, -1}, backend.downloadFloats(s));
    }

    // ---------------------------------------------------------------- baselines

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void xnorAndItsStraightThrough(Implementation implementation) {
        XnorSteps steps = steps(implementation, XnorSteps.class, XnorSteps::portable);
        Tensor w = up(new float[]{0.5f, -1.5f, 0f, 1f, -0.2f, 0.4f}, 2, 3), s = zeros(2, 3), scale = zeros(2);
        steps.xnorWeights(w, s, scale);
        float a0 = (0.5f + 1.5f + 0f) / 3, a1 = (1f + 0.2f + 0.4f) / 3;
        assertArrayEquals(new float[]{a0, a1}, backend.downloadFloats(scale), 1e-6f);
        assertArrayEquals(new float[]{a0, -a0, a0, a1, -a1, a1}, backend.downloadFloats(s), 1e-6f);
        Tensor ds = up(new float[]{1, 2, 3, 4, 5, 6}, 2, 3), dw = zeros(2, 3);
        steps.clippedStraightThrough(w, ds, scale, 1f, dw);
        assertArrayEquals(new float[]{a0, 0, 3 * a0, 4 * a1, 5 * a1, 6 * a1}, backend.downloadFloats(dw), 1e-6f);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Implementation.class)
    void irnetAndEde(Implementation implementation) {
        IrNetSteps steps = steps(implementation, IrNetSteps.class, IrNetSteps::portable);
        // mean |z| of row 0 = 0.75 -> log2 = -0.415 -> 2^0 = 1 ... round(-0.415) = 0
        // mean |z| of row 1 = 0.3 -> log2 = -1.737 -> 2^-2 = 0.25
        Tensor z = up(new float[]{0.5f, -1f, 0.75f, -0.2f, 0.4f, 0.3f}, 2, 3), s = zeros(2, 3), scale = zeros(2);
        steps.irnetWeights(z, s, scale);
        assertArrayEquals(new float[]{1f, 0.25f}, backend.downloadFloats(scale));
        assertArrayEquals(new float[]{1, -1, 1, -0.25f, 0.25f, 0.25f}, backend.downloadFloats(s));
        float t = 0.5f, kk = 2f;
        Tensor ds = up(new float[]{1, 2, 3, 4, 5, 6}, 2, 3), dz = zeros(2, 3);
        steps.edeBackward(z, ds, scale, t, kk, dz);
        float[] zv = backend.downloadFloats(z), dsv = backend.downloadFloats(ds), sc = backend.downloadFloats(scale);
        double[] expect = new double[6];
        for (int i = 0; i < 6; i++) {
            double th = Math.tanh(t * zv[i]);
            expect[i] = dsv[i] * sc[i / 3] * kk * t * (1 - th * th);
        }
        close(expect, down(dz), 1e-6, "EDE");
    }

    // ---------------------------------------------------------------- optimizer

    @Test
    void sgdWithMomentumAndWeightDecay() {
        float[] p0 = {1f, -2f, 0.5f}, g1 = {0.1f, 0.2f, -0.3f}, g2 = {-0.5f, 0f, 0.25f};
        Tensor p = up(p0.clone(), 3), v = zeros(3);
        float lr = 0.1f, mom = 0.9f, wd = 5e-4f;
        training().sgdStep(p, up(g1, 3), v, lr, mom, wd);
        training().sgdStep(p, up(g2, 3), v, lr, mom, wd);
        double[] pd = toDouble(p0), vd = new double[3];
        for (float[] g : new float[][]{g1, g2}) {
            for (int i = 0; i < 3; i++) {
                double d = g[i] + wd * pd[i];
                vd[i] = mom * vd[i] + d;
                pd[i] -= lr * vd[i];
            }
        }
        close(pd, down(p), 1e-6, "parameters after two SGD steps");
        close(vd, down(v), 1e-6, "momentum after two SGD steps");
    }

    // ---------------------------------------------------------------- bits

    @Test
    void packingPutsChannelBitsLowFirstAndPaddingZero() {
        int co = 2, ci = 70, kh = 1, kw = 2;
        float[] s = new float[co * ci * kh * kw];
        for (int i = 0; i < s.length; i++) {
            s[i] = rnd.nextBoolean() ? 1f : -1f;
        }
        Tensor st = up(s, co, ci, kh, kw), bits = zeros(DType.INT64, Shape.of(co, kh, kw, 2));
        bits().packWeights(st, bits);
        long[] b = backend.downloadLongs(bits);
        for (int o = 0; o < co; o++) {
            for (int t = 0; t < kh * kw; t++) {
                for (int c = 0; c < 128; c++) {
                    boolean bit = (b[(o * kh * kw + t) * 2 + c / 64] >>> (c % 64) & 1L) == 1L;
                    boolean expect = c < ci && s[(o * ci + c) * kh * kw + t] > 0;
                    assertEquals(expect, bit, "weight bit o=" + o + " tap=" + t + " c=" + c);
                }
            }
        }
        // small planes, and planes of several vectors with a remainder; one and several words per position
        int[][] shapes = {{2, 70, 2, 3}, {2, 130, 5, 5}, {1, 64, 4, 4}, {3, 3, 9, 9}};
        for (int[] sh : shapes) {
            int n = sh[0], c = sh[1], h = sh[2], w = sh[3], words = Shape.words(c);
            float[] thv = new float[n];
            for (int i = 0; i < n; i++) {
                thv[i] = (float) (rnd.nextDouble() - 0.5);
            }
            Tensor x = random(1, n, c, h, w), th = up(thv, n), xb = zeros(DType.INT64, Shape.of(n, h, w, words));
            float[] xv = backend.downloadFloats(x);
            xv[0] = thv[0]; // equal to the threshold: bit 1
            backend.write(x, xv);
            bits().packActivations(x, th, xb);
            long[] a = backend.downloadLongs(xb);
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < h * w; p++) {
                    for (int ch = 0; ch < words * 64; ch++) {
                        boolean bit = (a[(i * h * w + p) * words + ch / 64] >>> (ch % 64) & 1L) == 1L;
                        boolean expect = ch < c && xv[(i * c + ch) * h * w + p] >= thv[i];
                        assertEquals(expect, bit, "activation bit " + Arrays.toString(sh) + " n=" + i + " p=" + p + " c=" + ch);
                    }
                }
            }
        }
    }

    @Test
    void binaryConvolutionEqualsFloatConvolutionOfSigns() {
        int[][] shapes = {
                {2, 3, 5, 5, 4, 3, 1, 1}, {1, 70, 4, 4, 5, 3, 2, 1}, {2, 64, 3, 3, 3, 3, 1, 1},
                {1, 130, 2, 3, 2, 1, 1, 0}, {3, 16, 6, 6, 8, 3, 2, 1}, {1, 1, 1, 1, 2, 3, 1, 1}, {2, 5, 7, 7, 3, 7, 2, 3},
                // register tiles of vectorized kernels: several positions and channel groups, with remainders
                {2, 130, 9, 9, 24, 3, 1, 1}, {1, 200, 10, 10, 40, 3, 2, 1}, {2, 64, 8, 8, 16, 3, 1, 1}, {1, 128, 6, 7, 33, 3, 1, 1},
                {1, 256, 4, 4, 64, 1, 1, 0},
                // wider planes (CPU positions-in-lanes path, both tiles): partial last tiles, channel remainders, no padding, 5x5
                {2, 70, 17, 18, 7, 3, 1, 1}, {1, 20, 18, 20, 4, 3, 1, 0}, {1, 3, 16, 33, 9, 5, 1, 2},
                // narrow layers whose windows fill words (packed along the receptive field): 16 and 32 channels,
                // taps straddling words (24, 48, 100 channels), strided, 1x1
                {2, 16, 12, 12, 16, 3, 1, 1}, {1, 32, 9, 11, 18, 3, 1, 1}, {2, 32, 10, 10, 12, 3, 2, 1},
                {1, 24, 9, 9, 10, 3, 1, 1}, {2, 48, 5, 5, 6, 3, 1, 1}, {1, 100, 6, 6, 5, 3, 1, 1}, {1, 16, 7, 7, 9, 1, 2, 0},
        };
        for (int[] sh : shapes) {
            ConvGeometry g = geometry(sh);
            for (Encoding enc : Encoding.values()) {
                Tensor x = random(1, g.inputShape().dims()), th = zeros(g.batch());
                k.rowMean(x, th);
                // float simulation: sign(x - mean) convolved with the effective weights
                float[] xv = backend.downloadFloats(x), thv = backend.downloadFloats(th);
                float[] signs = new float[xv.length];
                int per = xv.length / g.batch();
                for (int i = 0; i < xv.length; i++) {
                    signs[i] = xv[i] >= thv[i / per] ? 1f : -1f;
                }
                float[] eff = new float[(int) g.weightShape().size()];
                for (int i = 0; i < eff.length; i++) {
                    eff[i] = rnd.nextBoolean() ? 1f : (enc == Encoding.PM1 ? -1f : 0f);
                }
                Tensor xs = up(signs, g.inputShape().dims()), ws = up(eff, g.weightShape().dims());
                Tensor yf = zeros(g.outputShape().dims()), yb = zeros(g.outputShape().dims());
                k.conv2dForward(g, xs, ws, yf);
                Tensor xb = zeros(DType.INT64, g.packedInputShape()), wb = zeros(DType.INT64, g.packedWeightShape());
                bits().packActivations(x, th, xb);
                bits().packWeights(ws, wb);
                bits().binaryConv2d(g, enc, xb, wb, null, null, yb);
                assertArrayEquals(backend.downloadFloats(yf), backend.downloadFloats(yb), 0f,
                        "integer sums must be exact: " + g + " " + enc);
                Tensor scale = random(1, g.outChannels()), bias = random(1, g.outChannels());
                bits().binaryConv2d(g, enc, xb, wb, scale, bias, yb);
                float[] sums = backend.downloadFloats(yf), out = backend.downloadFloats(yb);
                float[] sc = backend.downloadFloats(scale), bi = backend.downloadFloats(bias);
                int plane = g.outHeight() * g.outWidth();
                for (int i = 0; i < out.length; i++) {
                    int c = (i / plane) % g.outChannels();
                    assertEquals(Math.fma(sums[i], sc[c], bi[c]), out[i], 0f, "affine is one fma, at " + i);
                }
            }
        }
    }
}
