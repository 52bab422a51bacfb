package io.siman.backend.cpu;

import io.siman.api.KernelShapes;
import io.siman.api.Shape;
import io.siman.api.Tensor;

import java.util.Arrays;

import static io.siman.api.KernelShapes.expect;
import static io.siman.api.KernelShapes.expectSize;
import static io.siman.api.KernelShapes.plane;

/** Element-wise kernels: arithmetic, signs, the masked and clamped selects, channel copies. */
final class ElementwiseKernels extends CpuKernelFamily {
    ElementwiseKernels(CpuBackend backend, Parallel par) {
        super(backend, par);
    }

    public void fill(Tensor x, float value) {
        float[] a = f(x);
        par.forRange(a.length, 1, (from, to) -> Arrays.fill(a, from, to, value));
    }

    public void copy(Tensor src, Tensor dst) {
        KernelShapes.copy(src, dst);
        Object s = switch (src.dtype()) {
            case FLOAT32 -> f(src);
            case INT32 -> ints(src);
            case INT64 -> longs(src);
        };
        Object d = switch (dst.dtype()) {
            case FLOAT32 -> f(dst);
            case INT32 -> ints(dst);
            case INT64 -> longsOut(dst);
        };
        System.arraycopy(s, 0, d, 0, src.shape().intSize());
    }

    public void add(Tensor a, Tensor b, Tensor out) {
        float[] x = f(a), y = f(b), o = f(out);
        expectSize("add", "b", b, x.length);
        expectSize("add", "out", out, x.length);
        par.forRange(x.length, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                o[i] = x[i] + y[i];
            }
        });
    }

    public void axpy(float alpha, Tensor x, Tensor y) {
        float[] a = f(x), b = f(y);
        expectSize("axpy", "y", y, a.length);
        par.forRange(a.length, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                b[i] = Math.fma(alpha, a[i], b[i]);
            }
        });
    }

    public void sign(Tensor x, Tensor out) {
        float[] a = f(x), o = f(out);
        expectSize("sign", "out", out, a.length);
        par.forRange(a.length, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                // branch-free (random signs defeat branch prediction); "+ 0f" turns -0 into +0, so sign(-0) = +1
                o[i] = Math.copySign(1f, a[i] + 0f);
            }
        });
    }

    public void mulSign(Tensor x, Tensor s, Tensor out) {
        float[] a = f(x), b = f(s), o = f(out);
        expectSize("mulSign", "s", s, a.length);
        expectSize("mulSign", "out", out, a.length);
        par.forRange(a.length, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                o[i] = a[i] * Math.copySign(1f, b[i] + 0f);
            }
        });
    }

    public void rowSubtract(Tensor x, Tensor values, Tensor y) {
        int r = KernelShapes.perRow("rowSubtract", x, values, y), n = x.shape().rowLength();
        float[] a = f(x), v = f(values), o = f(y);
        par.forRange(r, n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float m = v[i];
                for (int j = i * n; j < (i + 1) * n; j++) {
                    o[j] = a[j] - m;
                }
            }
        });
    }

    public void clampMagnitudes(Tensor x, Tensor bounds, Tensor y) {
        KernelShapes.sameShape("clampMagnitudes", x, y, y);
        expect("clampMagnitudes", "bounds", bounds, Shape.of(2));
        float[] b = f(bounds);
        clamp(par, f(x), b[0], b[1], f(y));
    }

    /** {@code y = sign(x) * clamp(par, |x|, lo, hi)}, {@code sign(0) = +1}; {@code y} may be {@code x}. */
    static void clamp(Parallel par, float[] a, float lo, float hi, float[] o) {
        par.forRange(a.length, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                float m = Math.min(hi, Math.max(lo, Math.abs(a[i])));
                o[i] = a[i] >= 0f ? m : -m;
            }
        });
    }

    public void maskByMagnitude(Tensor x, float limit, Tensor a, Tensor y) {
        KernelShapes.sameShape("maskByMagnitude", x, a, y);
        float[] c = f(x), v = f(a), o = f(y);
        par.forRange(c.length, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                o[i] = Math.abs(c[i]) <= limit ? v[i] : 0f;
            }
        });
    }

    public void copyChannels(Tensor src, int srcChannel, Tensor dst, int dstChannel, int count) {
        KernelShapes.copyChannels(src, srcChannel, dst, dstChannel, count);
        float[] s = f(src), d = f(dst);
        int n = src.shape().dim(0), cs = src.shape().dim(1), cd = dst.shape().dim(1), plane = plane(src);
        par.forRange(n, (long) count * plane, (from, to) -> {
            for (int i = from; i < to; i++) {
                System.arraycopy(s, (i * cs + srcChannel) * plane, d, (i * cd + dstChannel) * plane, count * plane);
            }
        });
    }
}
