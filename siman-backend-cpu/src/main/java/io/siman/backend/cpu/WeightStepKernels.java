package io.siman.backend.cpu;

import io.siman.api.Encoding;
import io.siman.api.KernelShapes;
import io.siman.api.MagnitudePercentiles;
import io.siman.api.Shape;
import io.siman.api.SimanException;
import io.siman.api.Tensor;

import static io.siman.api.KernelShapes.expect;

/** The method-specific weight steps: SiMaN's clip and bits, XNOR-Net's and IR-Net's signs and gradients. */
final class WeightStepKernels extends CpuKernelFamily {
    /** The reductions of this path (fixed summation order on every path). */
    private final Reductions red;

    WeightStepKernels(CpuBackend backend, Parallel par, Reductions red) {
        super(backend, par);
        this.red = red;
    }

    public void simanClip(Tensor w, float percent) {
        if (!(percent >= 0f && percent <= 50f)) {
            throw new SimanException("simanClip: percent must be in [0, 50], got " + percent);
        }
        float[] a = f(w);
        int r = w.shape().dim(0), n = w.shape().rowLength();
        par.forRange(r, n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float mu = RowStatisticsKernels.rowMeanOf(red, a, i * n, n);
                for (int j = i * n; j < (i + 1) * n; j++) {
                    a[j] -= mu;
                }
            }
        });
        if (percent == 0f) {
            return;
        }
        float[] bounds = MagnitudePercentiles.of(a, percent, 100f - percent);
        ElementwiseKernels.clamp(par, a, bounds[0], bounds[1], a);
    }

    public void topHalfBits(Tensor z, Encoding encoding, Tensor s) {
        int r = z.shape().dim(0), n = z.shape().rowLength();
        expect("topHalfBits", "s", s, z.shape());
        float[] za = f(z), sa = f(s);
        float low = encoding == Encoding.PM1 ? -1f : 0f;
        par.forRange(r, n * 16L, (from, to) -> {
            long[] keys = new long[n];
            for (int i = from; i < to; i++) {
                RowStatisticsKernels.rankRow(za, i * n, n, n / 2, 1f, low, sa, keys);
            }
        });
    }

    public void xnorWeights(Tensor w, Tensor s, Tensor scale) {
        int r = w.shape().dim(0), n = w.shape().rowLength();
        expect("xnorWeights", "s", s, w.shape());
        expect("xnorWeights", "scale", scale, Shape.of(r));
        float[] a = f(w), o = f(s), sc = f(scale);
        par.forRange(r, n * 2L, (from, to) -> {
            for (int i = from; i < to; i++) {
                float alpha = (float) (RowStatisticsKernels.absSum(a, i * n, n) / n);
                sc[i] = alpha;
                for (int j = i * n; j < (i + 1) * n; j++) {
                    o[j] = a[j] >= 0f ? alpha : -alpha;
                }
            }
        });
    }

    public void clippedStraightThrough(Tensor w, Tensor ds, Tensor scale, float limit, Tensor dw) {
        int r = w.shape().dim(0), n = w.shape().rowLength();
        expect("clippedStraightThrough", "ds", ds, w.shape());
        expect("clippedStraightThrough", "scale", scale, Shape.of(r));
        expect("clippedStraightThrough", "dw", dw, w.shape());
        float[] a = f(w), d = f(ds), sc = f(scale), o = f(dw);
        par.forRange(r, n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float alpha = sc[i];
                for (int j = i * n; j < (i + 1) * n; j++) {
                    o[j] = Math.abs(a[j]) <= limit ? d[j] * alpha : 0f;
                }
            }
        });
    }

    public void irnetWeights(Tensor z, Tensor s, Tensor scale) {
        int r = z.shape().dim(0), n = z.shape().rowLength();
        expect("irnetWeights", "s", s, z.shape());
        expect("irnetWeights", "scale", scale, Shape.of(r));
        float[] a = f(z), o = f(s), sc = f(scale);
        par.forRange(r, n * 2L, (from, to) -> {
            for (int i = from; i < to; i++) {
                double m = RowStatisticsKernels.absSum(a, i * n, n) / n;
                // round half to even, as torch.round does
                float alpha = m > 0 ? (float) Math.pow(2, Math.rint(Math.log(m) / Math.log(2))) : 0f;
                sc[i] = alpha;
                for (int j = i * n; j < (i + 1) * n; j++) {
                    o[j] = a[j] >= 0f ? alpha : -alpha;
                }
            }
        });
    }

    public void edeBackward(Tensor z, Tensor ds, Tensor scale, float t, float k, Tensor dz) {
        int r = z.shape().dim(0), n = z.shape().rowLength();
        expect("edeBackward", "ds", ds, z.shape());
        expect("edeBackward", "scale", scale, Shape.of(r));
        expect("edeBackward", "dz", dz, z.shape());
        float[] a = f(z), d = f(ds), sc = f(scale), o = f(dz);
        par.forRange(r, n * 8L, (from, to) -> {
            for (int i = from; i < to; i++) {
                double alpha = sc[i];
                for (int j = i * n; j < (i + 1) * n; j++) {
                    double th = Math.tanh(t * (double) a[j]);
                    o[j] = (float) (d[j] * alpha * k * t * (1 - th * th));
                }
            }
        });
    }
}
