package io.siman.bench;

import io.siman.api.Backend;
import io.siman.api.ConvGeometry;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.BitwiseKernels;
import io.siman.api.Kernels;
import io.siman.api.TrainingKernels;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * One 3x3 convolution layer of the zoo, in every form: our float forward and backward against ND4J's
 * {@code conv2d} and {@code conv2d_bp} on the same data and threads, and our binary convolution (XOR and
 * popcount over packed words) with and without packing its input. Outputs are preallocated in both libraries.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ConvolutionBenchmark {
    @Param({"R20_16X32", "R20_32X16", "R20_64X8", "VGG_128X32", "VGG_256X16", "VGG_512X8"})
    public String layer;

    @Param({"64"})
    public int batch;

    private Backend backend;
    private Kernels k;
    private TrainingKernels training;
    private BitwiseKernels bits;
    private ConvGeometry g;
    private Tensor x, w, y, dy, dx, dw, threshold, xBits, wBits;
    private INDArray nx, nw, ny, ndy, ndx, ndw;

    @Setup(Level.Trial)
    public void setUp() {
        backend = BenchSupport.cpuBackend(true);
        k = backend.kernels();
        training = backend.kernels(TrainingKernels.class);
        bits = backend.kernels(BitwiseKernels.class);
        g = LayerShapes.named(layer).geometry(batch);
        float[] xs = BenchSupport.random(1, g.inputShape().intSize());
        float[] ws = BenchSupport.random(2, g.weightShape().intSize());
        float[] dys = BenchSupport.random(3, g.outputShape().intSize());
        x = backend.upload(xs, g.inputShape());
        w = backend.upload(ws, g.weightShape());
        dy = backend.upload(dys, g.outputShape());
        y = backend.allocate(g.outputShape());
        dx = backend.allocate(g.inputShape());
        dw = backend.allocate(g.weightShape());
        threshold = backend.allocate(Shape.of(batch));
        k.rowMean(x, threshold);
        xBits = backend.allocate(DType.INT64, g.packedInputShape());
        wBits = backend.allocate(DType.INT64, g.packedWeightShape());
        try (Tensor s = backend.allocate(g.weightShape())) {
            k.sign(w, s);
            bits.packWeights(s, wBits);
        }
        bits.packActivations(x, threshold, xBits);
        nx = BenchSupport.array(xs, g.inputShape());
        nw = BenchSupport.array(ws, g.weightShape());
        ndy = BenchSupport.array(dys, g.outputShape());
        ny = BenchSupport.zeros(g.outputShape());
        ndx = BenchSupport.zeros(g.inputShape());
        ndw = BenchSupport.zeros(g.weightShape());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public Tensor simanForward() {
        k.conv2dForward(g, x, w, y);
        return y;
    }

    @Benchmark
    public INDArray nd4jForward() {
        Nd4jConv.forward(g, nx, nw, ny);
        return ny;
    }

    /** Both gradients, as a training step needs them. */
    @Benchmark
    public Tensor simanBackward() {
        training.conv2dBackwardData(g, dy, w, dx);
        training.conv2dBackwardWeights(g, x, dy, dw);
        return dw;
    }

    /** The two halves of {@link #simanBackward}, for finding where its time goes (BenchMain runs them with --detail). */
    @Benchmark
    public Tensor simanBackwardData() {
        training.conv2dBackwardData(g, dy, w, dx);
        return dx;
    }

    @Benchmark
    public Tensor simanBackwardWeights() {
        training.conv2dBackwardWeights(g, x, dy, dw);
        return dw;
    }

    @Benchmark
    public INDArray nd4jBackward() {
        Nd4jConv.backward(g, nx, nw, ndy, ndx, ndw);
        return ndw;
    }

    /** The binary convolution alone, on activations already packed (as the previous layer leaves them). */
    @Benchmark
    public Tensor simanBinary() {
        bits.binaryConv2d(g, Encoding.PM1, xBits, wBits, null, null, y);
        return y;
    }

    /** Thresholding and packing the float input, then the binary convolution: a binarized layer's whole cost. */
    @Benchmark
    public Tensor simanPackAndBinary() {
        bits.packActivations(x, threshold, xBits);
        bits.binaryConv2d(g, Encoding.PM1, xBits, wBits, null, null, y);
        return y;
    }
}
