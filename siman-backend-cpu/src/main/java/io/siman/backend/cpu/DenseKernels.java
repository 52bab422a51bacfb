package io.siman.backend.cpu;

import io.siman.api.KernelShapes;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.Tensor;

import static io.siman.api.KernelShapes.expect;

/** The dense layer, forward and backward, on the matrix product. */
final class DenseKernels extends CpuKernelFamily {
    /** The matrix product of this path. */
    private final MatMul gemm;

    DenseKernels(CpuBackend backend, Parallel par, MatMul gemm) {
        super(backend, par);
        this.gemm = gemm;
    }

    public void linearForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        String op = "linearForward";
        if (x.shape().rank() != 2 || w.shape().rank() != 2) {
            throw new ShapeMismatchException(op + ": x must be [N, in] and w [out, in], got " + x.shape() + " and " + w.shape());
        }
        int n = x.shape().dim(0), in = x.shape().dim(1), out = w.shape().dim(0);
        expect(op, "w", w, Shape.of(out, in));
        expect(op, "y", y, Shape.of(n, out));
        if (bias != null) {
            expect(op, "bias", bias, Shape.of(out));
        }
        float[] xa = f(x), wa = f(w), ya = f(y), ba = bias == null ? null : f(bias);
        par.forThreadBlocks(n, (long) in * out, (from, to) -> {
            for (int i = from; i < to; i++) {
                if (ba != null) {
                    System.arraycopy(ba, 0, ya, i * out, out);
                }
            }
            gemm.multiply(out, in, xa, 0, in, false, wa, 0, in, true, ya, 0, out, ba != null, from, to);
        });
    }

    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias) {
        String op = "linearBackward";
        int n = x.shape().dim(0), in = x.shape().rowLength(), out = w.shape().dim(0);
        expect(op, "w", w, Shape.of(out, in));
        expect(op, "dy", dy, Shape.of(n, out));
        expect(op, "dw", dw, Shape.of(out, in));
        float[] xa = f(x), wa = f(w), dya = f(dy), dwa = f(dw);
        if (dx != null) {
            expect(op, "dx", dx, x.shape());
            float[] dxa = f(dx);
            par.forThreadBlocks(n, (long) in * out, (from, to) ->
                    gemm.multiply(in, out, dya, 0, out, wa, 0, in, dxa, 0, in, false, from, to));
        }
        par.forThreadBlocks(out, (long) in * n, (from, to) ->
                gemm.multiply(in, n, dya, 0, out, true, xa, 0, in, false, dwa, 0, in, false, from, to));
        if (dbias != null) {
            expect(op, "dbias", dbias, Shape.of(out));
            float[] db = f(dbias);
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += dya[i * out + o];
                }
                db[o] = (float) s;
            }
        }
    }
}
