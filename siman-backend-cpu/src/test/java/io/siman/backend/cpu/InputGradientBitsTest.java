package io.siman.backend.cpu;

import io.siman.api.Backend;
import io.siman.api.ConvGeometry;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;
import io.siman.api.steps.BinaryWeightSteps;
import io.siman.testkit.Reference;
import io.siman.testkit.Reference.WeightValues;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static io.siman.backend.cpu.SameBits.assertSameBits;
import static io.siman.backend.cpu.SameBits.gaussian;
import static io.siman.testkit.Reference.WeightValues.ONE_VALUE;
import static io.siman.testkit.Reference.WeightValues.PLUS_MINUS_ALPHA;
import static io.siman.testkit.Reference.WeightValues.THIRD_VALUE;
import static io.siman.testkit.Reference.WeightValues.ZERO_OR_ALPHA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The input gradient of two-valued weights ({@link TwoValuedInputGradient}'s pattern sums): the vector path gives the
 * plain path's bits on 1 and 2 threads, for +-alpha, {0, alpha} and one-valued channels, output channels that leave the
 * last group of four part empty, kernels of 1 to 3 padded 0 to 2, strides 1 to 3, and planes that leave vectors part
 * full; the sums equal the general input gradient's to float rounding; and weights with a third value take the general
 * input gradient itself. The module's second surefire run repeats it at 128 bits.
 */
class InputGradientBitsTest {
    /** in channels, out channels, size, kernel, stride, padding, batch. */
    private static final int[][] SHAPES = {
            {16, 16, 12, 3, 1, 1, 3}, {1, 16, 9, 3, 1, 1, 2}, {5, 6, 7, 3, 1, 1, 2}, {5, 24, 8, 3, 1, 0, 2},
            {7, 3, 6, 1, 1, 0, 3}, {4, 9, 5, 3, 1, 2, 1}, {9, 33, 9, 2, 1, 0, 2}, {32, 32, 8, 3, 1, 1, 2},
            {12, 64, 4, 3, 1, 1, 2}, {3, 13, 19, 3, 1, 1, 1},
            // strided: phases of inputs reached by 1, 2 or 4 taps (3x3), or by none (1x1), even and odd sizes
            {16, 32, 32, 3, 2, 1, 2}, {8, 12, 9, 3, 2, 1, 2}, {5, 7, 10, 3, 2, 0, 1}, {6, 10, 8, 1, 2, 0, 2},
            {4, 6, 11, 3, 3, 2, 1}, {3, 5, 7, 2, 2, 1, 2}};

    private static float[] twoValued(SplittableRandom r, ConvGeometry g, WeightValues kind) {
        return Reference.binarizedWeights(r, g.outChannels(), g.fanIn(), kind);
    }

    @Test
    void theVectorPatternSumsGiveThePlainPathsBits() {
        for (int threads : new int[]{1, 2}) {
            try (Backend vector = CpuKernelsContractTest.cpu(threads, Map.of());
                 Backend plain = CpuKernelsContractTest.cpu(threads, Map.of(Vectorization.PROPERTY, "false"))) {
                assertTrue(((CpuBackend) vector).kernelPath().startsWith("vector"), ((CpuBackend) vector).kernelPath());
                SplittableRandom r = new SplittableRandom(7);
                for (int[] s : SHAPES) {
                    ConvGeometry g = ConvGeometry.of(Shape.of(s[6], s[0], s[2], s[2]), s[1], s[3], s[4], s[5]);
                    for (WeightValues kind : new WeightValues[]{PLUS_MINUS_ALPHA, ZERO_OR_ALPHA, ONE_VALUE}) {
                        float[] w = twoValued(r, g, kind), dy = gaussian(r, (int) g.outputShape().size());
                        String at = threads + " threads, " + kind + ", " + g;
                        float[] expected = inputGradient(plain, g, dy, w, false);
                        assertSameBits(expected, inputGradient(vector, g, dy, w, false), at);
                        close(inputGradient(plain, g, dy, w, true), expected, at);
                    }
                }
            }
        }
    }

    @Test
    void weightsOfThreeValuesTakeTheGeneralInputGradient() {
        try (Backend vector = CpuKernelsContractTest.cpu(2, Map.of());
             Backend plain = CpuKernelsContractTest.cpu(2, Map.of(Vectorization.PROPERTY, "false"))) {
            SplittableRandom r = new SplittableRandom(8);
            ConvGeometry g = ConvGeometry.of(Shape.of(2, 8, 9, 9), 12, 3, 1, 1);
            float[] three = twoValued(r, g, THIRD_VALUE);
            float[] dy = gaussian(r, (int) g.outputShape().size());
            for (Backend b : new Backend[]{vector, plain}) {
                assertSameBits(inputGradient(b, g, dy, three, true), inputGradient(b, g, dy, three, false), "three values");
            }
        }
    }

    private static float[] inputGradient(Backend b, ConvGeometry g, float[] dy, float[] w, boolean general) {
        try (Tensor dyt = b.upload(dy, g.outputShape()); Tensor wt = b.upload(w, g.weightShape());
             Tensor dx = b.allocate(g.inputShape())) {
            if (general) {
                b.kernels(TrainingKernels.class).conv2dBackwardData(g, dyt, wt, dx);
            } else {
                BinaryWeightSteps.of(b).binaryConv2dBackwardData(g, dyt, wt, dx);
            }
            return b.downloadFloats(dx);
        }
    }

    private static void close(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4 * (1 + Math.abs(expected[i])), what + ": element " + i);
        }
    }
}
