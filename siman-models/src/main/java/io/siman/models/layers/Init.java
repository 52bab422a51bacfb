package io.siman.models.layers;

import java.util.SplittableRandom;

/** Weight initializations of docs/method.md section 5, from a seeded generator. */
public final class Init {
    private Init() {
    }

    public static float[] normal(SplittableRandom rnd, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i += 2) {
            double u1 = 1 - rnd.nextDouble(), u2 = rnd.nextDouble();
            double r = Math.sqrt(-2 * Math.log(u1)) * std;
            a[i] = (float) (r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) {
                a[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
            }
        }
        return a;
    }

    public static float[] uniform(SplittableRandom rnd, int n, double bound) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        }
        return a;
    }

    public static float[] constant(int n, float value) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, value);
        return a;
    }

    /** Kaiming normal, gain sqrt(2), over the given fan (PyTorch's {@code kaiming_normal_}). */
    public static float[] kaimingNormal(SplittableRandom rnd, int n, int fan) {
        return normal(rnd, n, Math.sqrt(2.0 / fan));
    }
}
