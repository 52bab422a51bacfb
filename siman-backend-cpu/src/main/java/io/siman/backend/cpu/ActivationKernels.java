package io.siman.backend.cpu;

import io.siman.api.Activation;
import io.siman.api.KernelShapes;
import io.siman.api.Shape;
import io.siman.api.Tensor;

import static io.siman.api.KernelShapes.channels;
import static io.siman.api.KernelShapes.expect;
import static io.siman.api.KernelShapes.plane;

/** Activations, PReLU, and the backward passes of the activation binarization. */
final class ActivationKernels extends CpuKernelFamily {
    /** The reductions of this path (fixed summation order on every path). */
    private final Reductions red;
    private final Pointwise pointwise;

    ActivationKernels(CpuBackend backend, Parallel par, Reductions red, Pointwise pointwise) {
        super(backend, par);
        this.red = red;
        this.pointwise = pointwise;
    }

    public void activation(Activation kind, Tensor x, Tensor y) {
        float[] a = f(x), o = f(y);
        expect("activation", "y", y, x.shape());
        par.forRange(a.length, 1, (from, to) -> {
            switch (kind) {
                case RELU -> {
                    for (int i = from; i < to; i++) {
                        o[i] = Math.max(0f, a[i]);
                    }
                }
                case HARDTANH -> {
                    for (int i = from; i < to; i++) {
                        o[i] = Math.max(-1f, Math.min(1f, a[i]));
                    }
                }
            }
        });
    }

    public void activationBackward(Activation kind, Tensor x, Tensor dy, Tensor dx) {
        float[] a = f(x), d = f(dy), o = f(dx);
        expect("activationBackward", "dy", dy, x.shape());
        expect("activationBackward", "dx", dx, x.shape());
        par.forRange(a.length, 1, (from, to) -> {
            switch (kind) {
                case RELU -> {
                    for (int i = from; i < to; i++) {
                        o[i] = a[i] > 0f ? d[i] : 0f;
                    }
                }
                case HARDTANH -> {
                    for (int i = from; i < to; i++) {
                        o[i] = a[i] >= -1f && a[i] <= 1f ? d[i] : 0f;
                    }
                }
            }
        });
    }

    public void prelu(Tensor x, Tensor slope, Tensor y) {
        int c = channels("prelu", x);
        expect("prelu", "slope", slope, Shape.of(c));
        expect("prelu", "y", y, x.shape());
        float[] a = f(x), s = f(slope), o = f(y);
        int hw = plane(x);
        par.forRange(x.shape().dim(0) * c, hw, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                pointwise.prelu(a, nc * hw, hw, s[nc % c], o);
            }
        });
    }

    public void preluBackward(Tensor x, Tensor slope, Tensor dy, Tensor dx, Tensor dslope) {
        int c = KernelShapes.preluBackward(x, slope, dy, dx, dslope);
        float[] a = f(x), s = f(slope), d = f(dy), o = f(dx), ds = f(dslope);
        int n = x.shape().dim(0), hw = plane(x);
        par.forRange(c, (long) n * hw, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                // the factor of a negative input as 1 + (slope - 1), the form this kernel has always used
                float negative = 1f + (s[ch] - 1f);
                double acc = 0;
                // a few planes at a time: their slope-gradient sums side by side, while the planes are in cache
                for (int i0 = 0; i0 < n; i0 += Reductions.PLANES) {
                    int planes = Math.min(Reductions.PLANES, n - i0);
                    for (int i = i0; i < i0 + planes; i++) {
                        pointwise.preluBackward(a, d, (i * c + ch) * hw, hw, negative, o);
                    }
                    acc += red.negativeDotPlanes(d, a, (i0 * c + ch) * hw, c * hw, planes, hw);
                }
                ds[ch] = (float) acc;
            }
        });
    }

    public void approxSignBackward(Tensor a1, Tensor dxb, Tensor da1) {
        float[] a = f(a1), d = f(dxb), o = f(da1);
        expect("approxSignBackward", "dxb", dxb, a1.shape());
        expect("approxSignBackward", "da1", da1, a1.shape());
        par.forRange(a.length, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                o[i] = d[i] * Math.max(0f, 2f - 2f * Math.abs(a[i]));
            }
        });
    }

    public void binaryActivationBackward(Tensor x, Tensor mean, Tensor invStd, Tensor dxb, Tensor dx) {
        binaryActivationBackward("binaryActivationBackward", x, mean, invStd, dxb, null, dx);
    }

    /** {@code ResidualTrainingSteps}: the other branch's gradient added as each value is written. */
    public void binaryActivationBackwardAdd(Tensor x, Tensor mean, Tensor invStd, Tensor dxb, Tensor addend, Tensor dx) {
        binaryActivationBackward("binaryActivationBackwardAdd", x, mean, invStd, dxb, addend, dx);
    }

    private void binaryActivationBackward(String op, Tensor x, Tensor mean, Tensor invStd, Tensor dxb, Tensor addend, Tensor dx) {
        int r = x.shape().dim(0), n = x.shape().rowLength();
        expect(op, "dxb", dxb, x.shape());
        SampleGradient backward = throughSign(op, x, mean, invStd, addend, dx);
        float[] d = f(dxb);
        par.forRange(r, n * 6L, (from, to) -> {
            for (int i = from; i < to; i++) {
                backward.accept(i, d, i * n);
            }
        });
    }

    /**
     * The binarization's backward pass of one sample at a time ({@code binaryActivationBackward}, plus {@code addend}
     * unless it is null), given the gradient of its signs from wherever it lies: the step family's kernel hands over
     * rows of {@code dxb}, the fused input gradient a task's buffer. Checks the shapes once, here.
     */
    SampleGradient throughSign(String op, Tensor x, Tensor mean, Tensor invStd, Tensor addend, Tensor dx) {
        int r = x.shape().dim(0), n = x.shape().rowLength();
        expect(op, "mean", mean, Shape.of(r));
        expect(op, "invStd", invStd, Shape.of(r));
        expect(op, "dx", dx, x.shape());
        if (addend != null) {
            expect(op, "addend", addend, x.shape());
        }
        float[] a = f(x), m = f(mean), s = f(invStd), o = f(dx), e = addend == null ? null : f(addend);
        return (i, d, dOff) -> {
            int off = i * n;
            float mu = m[i], inv = s[i];
            double[] sums = SUMS.get();
            red.approxSignSums(a, off, d, dOff, n, mu, inv, sums);
            double sum = sums[0], dot = sums[1];
            // pass 2: dx = inv * da1 - inv * proj * a1 - inv * mean(da1)
            float c1 = (float) (-(double) inv * dot / (n - 1)), c0 = (float) (-(double) inv * sum / n);
            pointwise.approxSignBackward(a, off, d, dOff, n, mu, inv, c1, c0, e, o);
        };
    }

    /** A task's two sums of {@link Reductions#approxSignSums}, reused so the training loop does not allocate. */
    private static final ThreadLocal<double[]> SUMS = ThreadLocal.withInitial(() -> new double[2]);
}
