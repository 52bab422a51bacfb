package io.siman.bench;

import io.siman.api.Backend;
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
 * Our matrix product ({@code linearForward}: {@code y[N, M] = x[N, K] * w[M, K]^T}) against {@code Nd4j.gemm}
 * (OpenBLAS's sgemm) with the same transposition, into a preallocated output. Shapes are {@code NxKxM}: two
 * square ones and the im2col product of the first VGG-small layer.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class GemmBenchmark {
    @Param({"512x512x512", "1024x1024x1024", "4096x1152x128"})
    public String shape;

    private Backend backend;
    private Tensor x, w, y;
    private INDArray nx, nw, ny;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        int n = Integer.parseInt(p[0]);
        int kk = Integer.parseInt(p[1]);
        int m = Integer.parseInt(p[2]);
        backend = BenchSupport.cpuBackend(true);
        float[] xs = BenchSupport.random(1, n * kk);
        float[] ws = BenchSupport.random(2, m * kk);
        x = backend.upload(xs, Shape.of(n, kk));
        w = backend.upload(ws, Shape.of(m, kk));
        y = backend.allocate(Shape.of(n, m));
        nx = BenchSupport.array(xs, Shape.of(n, kk));
        nw = BenchSupport.array(ws, Shape.of(m, kk));
        ny = BenchSupport.zeros(Shape.of(n, m));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public Tensor siman() {
        backend.kernels().linearForward(x, w, null, y);
        return y;
    }

    @Benchmark
    public INDArray nd4j() {
        Nd4jConv.gemmTransposedB(nx, nw, ny);
        return ny;
    }
}
