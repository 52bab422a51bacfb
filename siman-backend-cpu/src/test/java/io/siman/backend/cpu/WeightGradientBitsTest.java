package io.siman.backend.cpu;

import io.siman.api.Backend;
import io.siman.api.ConvGeometry;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;
import io.siman.api.steps.BinaryActivationSteps;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static io.siman.backend.cpu.SameBits.assertSameBits;
import static io.siman.backend.cpu.SameBits.gaussian;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vector path's weight gradient ({@link VectorConv#weightGradient}: input channels in the lanes where they fill
 * whole vectors, output channels otherwise) gives the plain path's bits (one matrix product over im2col rows) on
 * shapes that leave lanes and tap tiles part empty, strided and padded, for float inputs and for the signs of the
 * binary convolution; on 1 and 2 threads. The module's second surefire run repeats it at 128 bits.
 */
class WeightGradientBitsTest {
    /** in channels, out channels, size, kernel, stride, padding, batch. */
    private static final int[][] SHAPES = {
            {16, 16, 12, 3, 1, 1, 3}, {1, 16, 9, 3, 1, 1, 2}, {3, 10, 7, 3, 2, 1, 2}, {5, 24, 8, 3, 1, 0, 2},
            {16, 32, 10, 3, 2, 1, 2}, {7, 40, 6, 1, 1, 0, 3}, {4, 64, 5, 3, 1, 2, 1}, {9, 33, 9, 2, 2, 0, 2},
            // input channels in the lanes (whole vectors of them at 128, 256 and 512 bits): padded 1 and 2, strided
            {32, 24, 6, 3, 1, 1, 2}, {16, 8, 5, 3, 1, 2, 2}, {32, 16, 9, 3, 2, 1, 2}, {64, 16, 4, 1, 1, 0, 2},
            // rows framed in blocks transposed in registers and a remainder, at every width
            {16, 8, 18, 3, 1, 1, 2}, {32, 16, 19, 3, 2, 1, 1}};

    @Test
    void theVectorWeightGradientGivesThePlainPathsBits() {
        for (int threads : new int[]{1, 2}) {
            try (Backend vector = CpuKernelsContractTest.cpu(threads, Map.of());
                 Backend plain = CpuKernelsContractTest.cpu(threads, Map.of(Vectorization.PROPERTY, "false"))) {
                assertTrue(((CpuBackend) vector).kernelPath().startsWith("vector"), ((CpuBackend) vector).kernelPath());
                SplittableRandom r = new SplittableRandom(5);
                for (int[] s : SHAPES) {
                    ConvGeometry g = ConvGeometry.of(Shape.of(s[6], s[0], s[2], s[2]), s[1], s[3], s[4], s[5]);
                    float[] x = gaussian(r, (int) g.inputShape().size()), dy = gaussian(r, (int) g.outputShape().size());
                    float[] threshold = gaussian(r, g.batch());
                    x[1] = threshold[0]; // on the threshold: +1
                    String at = threads + " threads, " + g;
                    assertSameBits(weightGradient(plain, g, x, null, dy), weightGradient(vector, g, x, null, dy), "float input, " + at);
                    assertSameBits(weightGradient(plain, g, x, threshold, dy), weightGradient(vector, g, x, threshold, dy), "signs, " + at);
                }
            }
        }
    }

    private static float[] weightGradient(Backend b, ConvGeometry g, float[] x, float[] threshold, float[] dy) {
        try (Tensor xt = b.upload(x, g.inputShape()); Tensor dyt = b.upload(dy, g.outputShape());
             Tensor dw = b.allocate(g.weightShape())) {
            if (threshold == null) {
                b.kernels(TrainingKernels.class).conv2dBackwardWeights(g, xt, dyt, dw);
            } else {
                try (Tensor t = b.upload(threshold, Shape.of(g.batch()))) {
                    BinaryActivationSteps.of(b).binaryConv2dBackwardWeights(g, xt, t, dyt, dw);
                }
            }
            return b.downloadFloats(dw);
        }
    }
}
