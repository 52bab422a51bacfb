package io.siman.bench;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendRegistry;
import io.siman.api.Shape;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;
import java.util.SplittableRandom;

/** What every benchmark state shares: the thread count, the CPU backend, seeded data in both libraries. */
final class BenchSupport {
    /** Threads for both libraries; the runner passes it to the forked JVMs. */
    static final String THREADS_PROPERTY = "siman.bench.threads";

    private BenchSupport() {
    }

    static int threads() {
        return Integer.getInteger(THREADS_PROPERTY, 2);
    }

    /** The CPU backend as the registry builds it; {@code vectorize=false} gives the plain-Java kernels. */
    static Backend cpuBackend(boolean vectorize) {
        Nd4jConv.useThreads(threads());
        return BackendRegistry.discover().provider("cpu")
                .create(new BackendOptions(threads(), vectorize ? Map.of() : Map.of("cpu.vectorize", "false")));
    }

    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }

    static INDArray array(float[] data, Shape s) {
        return Nd4j.create(data, dims(s), 'c');
    }

    static INDArray zeros(Shape s) {
        return Nd4j.create(DataType.FLOAT, dims(s));
    }

    private static long[] dims(Shape s) {
        long[] d = new long[s.rank()];
        for (int i = 0; i < d.length; i++) {
            d[i] = s.dim(i);
        }
        return d;
    }
}
