package io.siman.bench;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.ConvGeometry;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.BackendRegistry;
import io.siman.api.TrainingKernels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ND4J as an independent oracle: our convolution (forward, gradient of the input, gradient of the weights) and
 * our matrix product against libnd4j's and OpenBLAS's, on random shapes, through both the vectorized and the
 * plain-Java paths of the CPU backend.
 */
class Nd4jOracleTest {
    private static Backend vectorized;
    private static Backend plain;

    @BeforeAll
    static void backends() {
        Nd4jConv.useThreads(2);
        vectorized = BackendRegistry.discover().provider("cpu").create(new BackendOptions(2, Map.of()));
        plain = BackendRegistry.discover().provider("cpu").create(new BackendOptions(2, Map.of("cpu.vectorize", "false")));
    }

    @AfterAll
    static void close() {
        vectorized.close();
        plain.close();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void convolutionAgreesWithNd4j(int seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int kernel = r.nextBoolean() ? 3 : 1 + 2 * r.nextInt(3);       // 1, 3 or 5
        int stride = 1 + r.nextInt(2);
        int padding = r.nextInt(kernel / 2 + 1);
        int h = kernel + r.nextInt(14);
        int w = kernel + r.nextInt(14);
        ConvGeometry g = new ConvGeometry(1 + r.nextInt(4), 1 + r.nextInt(40), h, w, 1 + r.nextInt(40), kernel, kernel, stride, padding);
        compare(g, r);
    }

    /**
     * Wide layers on small planes, where the CPU backend takes the weight gradient as one matrix product over chunks
     * of samples (the second shape needs two chunks); its results must not depend on the thread count either.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"3 20 8 8 130 1", "13 600 8 8 128 1", "2 64 16 16 256 1", "4 130 9 7 128 2"})
    void wideLayersOnSmallPlanesAgreeWithNd4jAndAcrossThreads(String spec) {
        int[] v = java.util.Arrays.stream(spec.split(" ")).mapToInt(Integer::parseInt).toArray();
        ConvGeometry g = new ConvGeometry(v[0], v[1], v[2], v[3], v[4], 3, 3, v[5], 1);
        SplittableRandom r = new SplittableRandom(spec.hashCode());
        float[][] data = compare(g, r);
        try (Backend one = BackendRegistry.discover().provider("cpu").create(new BackendOptions(1, Map.of()));
             Tensor tx = one.upload(data[0], g.inputShape()); Tensor tdy = one.upload(data[2], g.outputShape());
             Tensor tdw = one.allocate(g.weightShape())) {
            one.kernels(TrainingKernels.class).conv2dBackwardWeights(g, tx, tdy, tdw);
            try (Tensor vx = vectorized.upload(data[0], g.inputShape()); Tensor vdy = vectorized.upload(data[2], g.outputShape());
                 Tensor vdw = vectorized.allocate(g.weightShape())) {
                vectorized.kernels(TrainingKernels.class).conv2dBackwardWeights(g, vx, vdy, vdw);
                org.junit.jupiter.api.Assertions.assertArrayEquals(one.downloadFloats(tdw), vectorized.downloadFloats(vdw),
                        "the weight gradient with 1 and 2 threads");
            }
        }
    }

    /** Runs {@code g} in ND4J and in both paths of the CPU backend on random data; returns the data (x, w, dy). */
    private static float[][] compare(ConvGeometry g, SplittableRandom r) {
        float[] x = random(r, g.inputShape().intSize());
        float[] wt = random(r, g.weightShape().intSize());
        float[] dy = random(r, g.outputShape().intSize());

        INDArray nx = BenchSupport.array(x, g.inputShape());
        INDArray nw = BenchSupport.array(wt, g.weightShape());
        INDArray ndy = BenchSupport.array(dy, g.outputShape());
        INDArray ny = BenchSupport.zeros(g.outputShape());
        INDArray ndx = BenchSupport.zeros(g.inputShape());
        INDArray ndw = BenchSupport.zeros(g.weightShape());
        Nd4jConv.forward(g, nx, nw, ny);
        Nd4jConv.backward(g, nx, nw, ndy, ndx, ndw);

        for (Backend b : new Backend[]{vectorized, plain}) {
            try (Tensor tx = b.upload(x, g.inputShape()); Tensor tw = b.upload(wt, g.weightShape()); Tensor tdy = b.upload(dy, g.outputShape());
                 Tensor ty = b.allocate(g.outputShape()); Tensor tdx = b.allocate(g.inputShape()); Tensor tdw = b.allocate(g.weightShape())) {
                b.kernels().conv2dForward(g, tx, tw, ty);
                b.kernels(TrainingKernels.class).conv2dBackwardData(g, tdy, tw, tdx);
                b.kernels(TrainingKernels.class).conv2dBackwardWeights(g, tx, tdy, tdw);
                String what = b.name() + (b == plain ? " (plain Java)" : " (vectorized)") + " " + g;
                assertClose("forward " + what, ny, b.downloadFloats(ty));
                assertClose("input gradient " + what, ndx, b.downloadFloats(tdx));
                assertClose("weight gradient " + what, ndw, b.downloadFloats(tdw));
            }
        }
        return new float[][]{x, wt, dy};
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6})
    void matrixProductAgreesWithNd4j(int seed) {
        SplittableRandom r = new SplittableRandom(100 + seed);
        int n = 1 + r.nextInt(300);
        int k = 1 + r.nextInt(700);
        int m = 1 + r.nextInt(300);
        float[] x = random(r, n * k);
        float[] wt = random(r, m * k);
        INDArray ny = BenchSupport.zeros(Shape.of(n, m));
        Nd4jConv.gemmTransposedB(BenchSupport.array(x, Shape.of(n, k)), BenchSupport.array(wt, Shape.of(m, k)), ny);
        for (Backend b : new Backend[]{vectorized, plain}) {
            try (Tensor tx = b.upload(x, Shape.of(n, k)); Tensor tw = b.upload(wt, Shape.of(m, k)); Tensor ty = b.allocate(Shape.of(n, m))) {
                b.kernels().linearForward(tx, tw, null, ty);
                assertClose("gemm " + n + "x" + k + "x" + m + " " + (b == plain ? "plain" : "vectorized"), ny, b.downloadFloats(ty));
            }
        }
    }

    /**
     * Float sums of up to a few thousand products in different orders differ by rounding only: each element must
     * agree within 1e-5 of the largest magnitude of the reference, far below any indexing or padding error
     * (which moves elements by the size of a whole product, about 0.1 of that magnitude here).
     */
    private static void assertClose(String what, INDArray expected, float[] actual) {
        float[] e = expected.dup().data().asFloat();
        assertTrue(e.length == actual.length, what + ": sizes differ");
        double scale = 0;
        for (float v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertTrue(scale > 0, what + ": the reference is all zeros");
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs(e[i] - actual[i]);
            if (!(d <= 1e-5 * scale)) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", ND4J says " + e[i] + " (scale " + scale + ")");
            }
        }
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }
}
