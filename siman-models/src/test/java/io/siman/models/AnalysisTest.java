package io.siman.models;

import io.siman.models.analysis.CheckpointInspection;
import io.siman.models.analysis.WeightStatistics;
import io.siman.models.io.Checkpoint;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The statistics behind 'siman inspect', on samples whose answers are known (docs/method.md section 1). */
class AnalysisTest {
    private static float[] laplace(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble() - 0.5;
            x[i] = (float) (-0.02 * Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
        }
        return x;
    }

    private static float[] gauss(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (0.05 * r.nextGaussian());
        }
        return x;
    }

    @Test
    void laplacianWeightsFavourAThirdOfTheBitsAndFitTheLaplacian() {
        WeightStatistics s = WeightStatistics.of(laplace(new SplittableRandom(1), 200_000), 1, null, 40);
        assertEquals(1 / Math.E, s.kStarFraction(), 0.01, "k*/n of Laplacian weights tends to 1/e");
        assertEquals("laplace", s.betterFit());
        assertEquals(3.0, s.excessKurtosis(), 0.3);
        assertEquals(0.02, s.laplaceScale(), 0.001);
        assertEquals(0.9495, s.kStarEntropy(), 0.01, "the entropy of a bit set with probability 1/e");
        assertTrue(Double.isNaN(s.onesFraction()), "no bits given");
    }

    @Test
    void gaussianWeightsFavourMoreThanHalfAndFitTheGaussian() {
        WeightStatistics s = WeightStatistics.of(gauss(new SplittableRandom(2), 200_000), 1, null, 40);
        assertEquals(0.5405, s.kStarFraction(), 0.01, "k*/n of Gaussian weights tends to 0.5405");
        assertEquals("gauss", s.betterFit());
        assertEquals(0.0, s.excessKurtosis(), 0.1);
        assertEquals(0.05, s.gaussStd(), 0.001);
    }

    @Test
    void bitsHistogramAndEntropy() {
        float[] w = gauss(new SplittableRandom(3), 4 * 1000);
        boolean[] bits = new boolean[w.length];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = i % 4 == 0;
        }
        WeightStatistics s = WeightStatistics.of(w, 4, bits, 50);
        assertEquals(0.25, s.onesFraction(), 1e-12);
        assertEquals(0.8113, s.bitEntropy(), 1e-4);
        assertEquals(1.0, WeightStatistics.entropy(0.5), 1e-12);
        long counted = 0;
        for (long c : s.histogram().counts()) {
            counted += c;
        }
        assertTrue(counted >= 0.997 * w.length && counted <= w.length, "the histogram covers the central 99.8%: " + counted);
        double area = 0;
        for (double d : s.histogram().density()) {
            area += d * s.histogram().width();
        }
        assertEquals(1.0, area, 1e-9, "densities integrate to one");
    }

    @Test
    void weightsHashIgnoresOptimizerStateAndOrderButNotValues() {
        Map<String, Checkpoint.StoredTensor> a = new LinkedHashMap<>();
        a.put("conv.weight", new Checkpoint.StoredTensor(new int[]{2, 2}, new float[]{1, 2, 3, 4}));
        a.put("bn.running_mean", new Checkpoint.StoredTensor(new int[]{2}, new float[]{0.5f, -1}));
        Map<String, Checkpoint.StoredTensor> b = new LinkedHashMap<>();
        b.put("bn.running_mean", a.get("bn.running_mean"));
        b.put("conv.weight", a.get("conv.weight"));
        b.put("velocity:conv.weight", new Checkpoint.StoredTensor(new int[]{2, 2}, new float[]{9, 9, 9, 9}));
        String ha = CheckpointInspection.weightsSha256(new Checkpoint(Map.of(), Map.of(), Map.of(), a));
        String hb = CheckpointInspection.weightsSha256(new Checkpoint(Map.of("x", "y"), Map.of(), Map.of("epoch", "3"), b));
        assertEquals(ha, hb);
        assertEquals(64, ha.length());
        a.put("conv.weight", new Checkpoint.StoredTensor(new int[]{2, 2}, new float[]{1, 2, 3, 4.0000005f}));
        assertNotEquals(ha, CheckpointInspection.weightsSha256(new Checkpoint(Map.of(), Map.of(), Map.of(), a)));
        a.put("conv.weight", new Checkpoint.StoredTensor(new int[]{4}, new float[]{1, 2, 3, 4}));
        assertNotEquals(ha, CheckpointInspection.weightsSha256(new Checkpoint(Map.of(), Map.of(), Map.of(), a)), "shape matters");
    }
}
