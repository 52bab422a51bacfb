package io.siman.backend.cpu;

import io.siman.api.Activation;
import io.siman.api.ConvGeometry;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.KernelShapes;
import io.siman.api.Kernels;
import io.siman.api.PoolGeometry;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.SimanException;
import io.siman.api.Tensor;

import java.util.Arrays;

import static io.siman.api.KernelShapes.channels;
import static io.siman.api.KernelShapes.expect;
import static io.siman.api.KernelShapes.expectSize;
import static io.siman.api.KernelShapes.plane;

/**
 * Every kernel of the contract in plain Java. Loops are split across threads by output element (samples,
 * channels or rows), so each output is computed by one thread in a fixed order.
 */
final class CpuKernels implements Kernels {
    /** Samples per partial sum of the weight gradient; fixed so the reduction order never changes. */
    private static final int WEIGHT_GRAD_CHUNK = 8;
    /** Output planes smaller than this take the transposed route in the weight gradient (short dot products are slow). */
    private static final int TRANSPOSE_BELOW = 256;
    /**
     * Output planes up to this size, with at least this many output channels, take the weight gradient by one matrix
     * product over samples ({@link #weightGradientByRows}); measured on VGG-small's 16x16 and 8x8 layers (1.7x and
     * 4.8x faster than the direct path), slower than it on ResNet-20's narrow layers.
     */
    private static final int ROWS_GRADIENT_PLANE = 256, ROWS_GRADIENT_CHANNELS = 128;
    /** Floats of window rows per chunk of samples there (16 MiB). */
    private static final long ROWS_GRADIENT_FLOATS = 1L << 22;

    private final CpuBackend backend;
    private final Parallel par;
    private final MatMul gemm;
    private final BitKernels bits;
    private final Reductions red;
    /** Stride-1 convolutions without im2col (vector path only); null: im2col and the matrix multiply. */
    private final VectorConv direct;
    private final ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[2][0]);

    CpuKernels(CpuBackend backend, Parallel parallel, MatMul gemm, VectorConv direct, BitKernels bits, Reductions red) {
        this.backend = backend;
        this.par = parallel;
        this.gemm = gemm;
        this.bits = bits;
        this.direct = direct;
        this.red = red;
    }

    /** Which matrix-multiply path the float kernels use. */
    String matMulPath() {
        return gemm.describe();
    }

    // ---------------------------------------------------------------- access and checks

    private float[] f(Tensor t) {
        return backend.own(t, DType.FLOAT32).f;
    }

    private int[] ints(Tensor t) {
        return backend.own(t, DType.INT32).i;
    }

    private long[] longs(Tensor t) {
        return backend.own(t, DType.INT64).l;
    }

    /** An INT64 tensor about to be written: marked changed, so nothing derived from its old bits is reused. */
    private long[] longsOut(Tensor t) {
        CpuTensor c = backend.own(t, DType.INT64);
        c.changed();
        return c.l;
    }

    private final ThreadLocal<float[][]> callerScratch = ThreadLocal.withInitial(() -> new float[4][0]);

    /**
     * Scratch owned by the calling thread for the length of one kernel call (workers write disjoint parts
     * of it); reused so the training loop does not allocate. Slot 0 belongs to the weight gradient, slot 1 to
     * the kernels that call it, slots 2 and 3 to the weight gradient by one matrix product.
     */
    private float[] callerScratch(int slot, int n) {
        float[][] s = callerScratch.get();
        if (s[slot].length < n) {
            s[slot] = new float[n];
        }
        return s[slot];
    }

    /** A per-thread scratch array of at least {@code n} floats (slot 0 or 1). */
    private float[] scratch(int slot, int n) {
        float[][] s = scratch.get();
        if (s[slot].length < n) {
            s[slot] = new float[n];
        }
        return s[slot];
    }

    // ---------------------------------------------------------------- element-wise

    @Override
    public void fill(Tensor x, float value) {
        float[] a = f(x);
        par.forRange(a.length, 1, (from, to) -> Arrays.fill(a, from, to, value));
    }

    @Override
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

    @Override
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

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        float[] a = f(x), b = f(y);
        expectSize("axpy", "y", y, a.length);
        par.forRange(a.length, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                b[i] = Math.fma(alpha, a[i], b[i]);
            }
        });
    }

    @Override
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

    @Override
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

    // ---------------------------------------------------------------- dense

    @Override
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

    @Override
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

    // ---------------------------------------------------------------- convolution

    private static boolean isPointwise(ConvGeometry g) {
        return g.kernelH() == 1 && g.kernelW() == 1 && g.stride() == 1 && g.padding() == 0;
    }

    /** First output index {@code o} whose input index {@code o*stride - pad + k} is at least 0. */
    private static int firstInside(int k, int stride, int pad) {
        int need = pad - k;
        return need <= 0 ? 0 : (need + stride - 1) / stride;
    }

    /** One past the last output index whose input index {@code o*stride - pad + k} is below {@code size}. */
    private static int endInside(int k, int stride, int pad, int size, int outSize) {
        int limit = size - 1 + pad - k;
        return limit < 0 ? 0 : Math.min(outSize, limit / stride + 1);
    }

    /** {@code col[K, P]}: column {@code p} holds the input window of output position {@code p}. */
    private static void im2col(ConvGeometry g, float[] x, int xOff, float[] col) {
        int h = g.inHeight(), w = g.inWidth(), ho = g.outHeight(), wo = g.outWidth(), p = ho * wo;
        int s = g.stride(), pad = g.padding();
        int row = 0;
        for (int c = 0; c < g.inChannels(); c++) {
            int plane = xOff + c * h * w;
            for (int ky = 0; ky < g.kernelH(); ky++) {
                int oy0 = Math.min(ho, firstInside(ky, s, pad)), oy1 = Math.max(oy0, endInside(ky, s, pad, h, ho));
                for (int kx = 0; kx < g.kernelW(); kx++, row++) {
                    int base = row * p;
                    int ox0 = Math.min(wo, firstInside(kx, s, pad)), ox1 = Math.max(ox0, endInside(kx, s, pad, w, wo));
                    Arrays.fill(col, base, base + oy0 * wo, 0f);
                    for (int oy = oy0; oy < oy1; oy++) {
                        int o = base + oy * wo;
                        int src = plane + (oy * s - pad + ky) * w - pad + kx;
                        Arrays.fill(col, o, o + ox0, 0f);
                        if (s == 1) {
                            System.arraycopy(x, src + ox0, col, o + ox0, ox1 - ox0);
                        } else {
                            for (int ox = ox0; ox < ox1; ox++) {
                                col[o + ox] = x[src + ox * s];
                            }
                        }
                        Arrays.fill(col, o + ox1, o + wo, 0f);
                    }
                    Arrays.fill(col, base + oy1 * wo, base + p, 0f);
                }
            }
        }
    }

    /** Adds {@code col[K, P]} back into the image {@code dx} (the adjoint of {@link #im2col}). */
    private static void col2imAdd(ConvGeometry g, float[] col, float[] dx, int dxOff) {
        int h = g.inHeight(), w = g.inWidth(), ho = g.outHeight(), wo = g.outWidth(), p = ho * wo;
        int s = g.stride(), pad = g.padding();
        int row = 0;
        for (int c = 0; c < g.inChannels(); c++) {
            int plane = dxOff + c * h * w;
            for (int ky = 0; ky < g.kernelH(); ky++) {
                int oy0 = firstInside(ky, s, pad), oy1 = endInside(ky, s, pad, h, ho);
                for (int kx = 0; kx < g.kernelW(); kx++, row++) {
                    int base = row * p;
                    int ox0 = firstInside(kx, s, pad), ox1 = endInside(kx, s, pad, w, wo);
                    for (int oy = oy0; oy < oy1; oy++) {
                        int o = base + oy * wo;
                        int dst = plane + (oy * s - pad + ky) * w - pad + kx;
                        if (s == 1) {
                            for (int ox = ox0; ox < ox1; ox++) {
                                dx[dst + ox] += col[o + ox];
                            }
                        } else {
                            for (int ox = ox0; ox < ox1; ox++) {
                                dx[dst + ox * s] += col[o + ox];
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void conv2dForward(ConvGeometry g, Tensor x, Tensor w, Tensor y) {
        KernelShapes.convolution("conv2dForward", g, x, w, y);
        float[] xa = f(x), wa = f(w), ya = f(y);
        if (direct != null && VectorConv.handles(g)) {
            direct.forward(g, xa, wa, ya, par);
            return;
        }
        int k = g.fanIn(), p = g.outHeight() * g.outWidth(), co = g.outChannels();
        int inSize = g.inChannels() * g.inHeight() * g.inWidth(), outSize = co * p;
        boolean pointwise = isPointwise(g);
        long costPerSample = (long) k * p * co;
        if (g.batch() >= par.threads()) {
            par.forRange(g.batch(), costPerSample, (from, to) -> {
                for (int n = from; n < to; n++) {
                    float[] col = pointwise ? xa : scratch(0, k * p);
                    int colOff = pointwise ? n * inSize : 0;
                    if (!pointwise) {
                        im2col(g, xa, n * inSize, col);
                    }
                    gemm.multiply(p, k, wa, 0, k, col, colOff, p, ya, n * outSize, p, false, 0, co);
                }
            });
        } else {
            for (int n = 0; n < g.batch(); n++) {
                float[] col = pointwise ? xa : scratch(0, k * p);
                int colOff = pointwise ? n * inSize : 0;
                if (!pointwise) {
                    im2col(g, xa, n * inSize, col);
                }
                int yOff = n * outSize;
                par.forThreadBlocks(co, (long) k * p, (from, to) ->
                        gemm.multiply(p, k, wa, 0, k, col, colOff, p, ya, yOff, p, false, from, to));
            }
        }
    }

    @Override
    public void conv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        KernelShapes.convolution("conv2dBackwardData", g, dx, w, dy);
        float[] dya = f(dy), wa = f(w), dxa = f(dx);
        if (direct != null && VectorConv.handlesInputGradient(g)) {
            direct.backwardData(g, dya, wa, dxa, par);
            return;
        }
        int k = g.fanIn(), p = g.outHeight() * g.outWidth(), co = g.outChannels();
        int inSize = g.inChannels() * g.inHeight() * g.inWidth(), outSize = co * p;
        boolean pointwise = isPointwise(g);
        par.forRange(g.batch(), (long) k * p * co, (from, to) -> {
            for (int n = from; n < to; n++) {
                if (pointwise) {
                    gemm.multiply(p, co, wa, 0, k, true, dya, n * outSize, p, false, dxa, n * inSize, p, false, 0, k);
                } else {
                    float[] col = scratch(0, k * p);
                    gemm.multiply(p, co, wa, 0, k, true, dya, n * outSize, p, false, col, 0, p, false, 0, k);
                    Arrays.fill(dxa, n * inSize, (n + 1) * inSize, 0f);
                    col2imAdd(g, col, dxa, n * inSize);
                }
            }
        });
    }

    @Override
    public void conv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        KernelShapes.convolution("conv2dBackwardWeights", g, x, dw, dy);
        weightGradient(g, f(x), f(dy), f(dw));
    }

    private void weightGradient(ConvGeometry g, float[] xa, float[] dya, float[] dwa) {
        if (direct != null && g.outHeight() * g.outWidth() <= ROWS_GRADIENT_PLANE && g.outChannels() >= ROWS_GRADIENT_CHANNELS) {
            weightGradientByRows(g, xa, dya, dwa);
            return;
        }
        if (direct != null && VectorConv.handles(g)) {
            direct.backwardWeights(g, xa, dya, dwa, par);
            return;
        }
        int k = g.fanIn(), p = g.outHeight() * g.outWidth(), co = g.outChannels();
        int inSize = g.inChannels() * g.inHeight() * g.inWidth(), outSize = co * p;
        int chunks = (g.batch() + WEIGHT_GRAD_CHUNK - 1) / WEIGHT_GRAD_CHUNK;
        int wSize = co * k;
        float[] partial = chunks == 1 ? dwa : callerScratch(0, chunks * wSize);
        boolean pointwise = isPointwise(g);
        // long rows: dot products of dy and the windows; short rows: transpose the windows, then row-by-row updates
        boolean dots = p >= TRANSPOSE_BELOW;
        par.forRange(chunks, (long) WEIGHT_GRAD_CHUNK * k * p * co, (from, to) -> {
            float[] col = pointwise && dots ? null : scratch(1, k * p);
            float[] rows = dots ? null : scratch(0, k * p);
            for (int c = from; c < to; c++) {
                int nEnd = Math.min(g.batch(), (c + 1) * WEIGHT_GRAD_CHUNK);
                for (int n = c * WEIGHT_GRAD_CHUNK; n < nEnd; n++) {
                    float[] windows = xa;
                    int windowsOff = n * inSize;
                    if (!pointwise) {
                        im2col(g, xa, n * inSize, col);
                        windows = col;
                        windowsOff = 0;
                    }
                    boolean add = n != c * WEIGHT_GRAD_CHUNK;
                    if (dots) {
                        gemm.multiply(k, p, dya, n * outSize, p, false, windows, windowsOff, p, true, partial, c * wSize, k, add, 0, co);
                    } else {
                        Gemm.transpose(windows, windowsOff, k, p, rows, 0);
                        gemm.multiply(k, p, dya, n * outSize, p, rows, 0, k, partial, c * wSize, k, add, 0, co);
                    }
                }
            }
        });
        if (chunks > 1) {
            par.forRange(wSize, chunks, (from, to) -> {
                for (int i = from; i < to; i++) {
                    float s = 0f;
                    for (int c = 0; c < chunks; c++) {
                        s += partial[c * wSize + i];
                    }
                    dwa[i] = s;
                }
            });
        }
    }

    /**
     * The weight gradient as one long matrix product, {@code dw[co, k] = dy[co, S*p] * rows[S*p, k]}, over chunks of
     * {@code S} samples: {@code rows} holds every output position's input window as a row (im2col transposed), and
     * {@code dy} the chunk's output gradients side by side. Small output planes give the direct path dot products
     * too short to pay for their reductions; here the reduction runs over {@code S*p} and the vectorized
     * micro-kernel runs along {@code k}. Each element is one chain of fused multiply-adds over (sample, position)
     * in increasing order, carried from chunk to chunk, and threads split output channels: results do not depend
     * on the thread count.
     */
    private void weightGradientByRows(ConvGeometry g, float[] xa, float[] dya, float[] dwa) {
        int k = g.fanIn(), p = g.outHeight() * g.outWidth(), co = g.outChannels(), batch = g.batch();
        int inSize = g.inChannels() * g.inHeight() * g.inWidth(), outSize = co * p;
        int chunk = (int) Math.max(1, Math.min(batch, ROWS_GRADIENT_FLOATS / ((long) p * k)));
        float[] rows = callerScratch(3, chunk * p * k);
        float[] dyc = callerScratch(2, co * chunk * p);
        for (int n0 = 0; n0 < batch; n0 += chunk) {
            int s = Math.min(chunk, batch - n0), first = n0, width = s * p;
            par.forRange(s, (long) k * p, (from, to) -> {
                float[] col = scratch(1, k * p);
                for (int i = from; i < to; i++) {
                    im2col(g, xa, (first + i) * inSize, col);
                    Gemm.transpose(col, 0, k, p, rows, i * p * k);
                }
            });
            par.forRange(co, (long) width, (from, to) -> {
                for (int c = from; c < to; c++) {
                    for (int i = 0; i < s; i++) {
                        System.arraycopy(dya, (first + i) * outSize + c * p, dyc, c * width + i * p, p);
                    }
                }
            });
            boolean add = n0 > 0;
            par.forThreadBlocks(co, (long) width * k, (from, to) ->
                    gemm.multiply(k, width, dyc, 0, width, rows, 0, k, dwa, 0, k, add, from, to));
        }
    }

    @Override
    public void binaryConv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor threshold, Tensor dy, Tensor dw) {
        KernelShapes.convolution("binaryConv2dBackwardWeights", g, x, dw, dy);
        expect("binaryConv2dBackwardWeights", "threshold", threshold, Shape.of(g.batch()));
        float[] xa = f(x), th = f(threshold), dya = f(dy), dwa = f(dw);
        if (direct != null && VectorConv.handles(g)) {
            direct.backwardWeightsOfSigns(g, xa, th, dya, dwa, par);
            return;
        }
        // the definition: the float gradient of the signs
        int per = g.inChannels() * g.inHeight() * g.inWidth();
        float[] signs = callerScratch(1, per * g.batch());
        par.forRange(g.batch(), per, (from, to) -> {
            for (int n = from; n < to; n++) {
                float t = th[n];
                for (int i = n * per; i < (n + 1) * per; i++) {
                    signs[i] = xa[i] >= t ? 1f : -1f;
                }
            }
        });
        weightGradient(g, signs, dya, dwa);
    }

    // ---------------------------------------------------------------- per-channel scale

    @Override
    public void channelScale(Tensor x, Tensor scale, Tensor y) {
        int c = channels("channelScale", x);
        expect("channelScale", "scale", scale, Shape.of(c));
        expect("channelScale", "y", y, x.shape());
        float[] xa = f(x), s = f(scale), ya = f(y);
        int hw = plane(x);
        par.forRange(x.shape().dim(0) * c, hw, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                float sc = s[nc % c];
                int o = nc * hw;
                for (int i = 0; i < hw; i++) {
                    ya[o + i] = xa[o + i] * sc;
                }
            }
        });
    }

    @Override
    public void channelAffine(Tensor x, Tensor scale, Tensor bias, Tensor y) {
        int c = KernelShapes.channelAffine(x, scale, bias, y);
        float[] xa = f(x), s = f(scale), b = f(bias), ya = f(y);
        int hw = plane(x);
        par.forRange(x.shape().dim(0) * c, hw, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                float sc = s[nc % c], bi = b[nc % c];
                int o = nc * hw;
                for (int i = 0; i < hw; i++) {
                    ya[o + i] = Math.fma(xa[o + i], sc, bi);
                }
            }
        });
    }

    @Override
    public void rowScale(Tensor x, Tensor scale, Tensor y) {
        int r = KernelShapes.rowScale(x, scale, y), n = x.shape().rowLength();
        float[] xa = f(x), s = f(scale), ya = f(y);
        par.forRange(r, n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float sc = s[i];
                for (int j = i * n; j < (i + 1) * n; j++) {
                    ya[j] = xa[j] * sc;
                }
            }
        });
    }

    @Override
    public void rowScaleBackward(Tensor x, Tensor dy, Tensor dscale) {
        int r = KernelShapes.rowScaleBackward(x, dy, dscale), n = x.shape().rowLength();
        float[] xa = f(x), d = f(dy), ds = f(dscale);
        par.forRange(r, n, (from, to) -> {
            for (int i = from; i < to; i++) {
                ds[i] = (float) red.dot(xa, i * n, d, i * n, n);
            }
        });
    }

    @Override
    public void channelScaleBackward(Tensor x, Tensor scale, Tensor dy, Tensor dx, Tensor dscale) {
        int c = KernelShapes.channelScaleBackward(x, scale, dy, dscale);
        float[] xa = f(x), s = f(scale), dya = f(dy), ds = f(dscale);
        float[] dxa = dx == null ? null : f(dx);
        if (dx != null) {
            expect("channelScaleBackward", "dx", dx, x.shape());
        }
        int n = x.shape().dim(0), hw = plane(x);
        par.forRange(c, (long) n * hw, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double acc = 0;
                float sc = s[ch];
                for (int i = 0; i < n; i++) {
                    int o = (i * c + ch) * hw;
                    acc += red.dot(dya, o, xa, o, hw);
                    if (dxa != null) {
                        for (int j = 0; j < hw; j++) {
                            dxa[o + j] = dya[o + j] * sc;
                        }
                    }
                }
                ds[ch] = (float) acc;
            }
        });
    }

    // ---------------------------------------------------------------- batch normalization

    @Override
    public void batchNormTraining(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                  float momentum, float eps, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        String op = "batchNormTraining";
        int c = KernelShapes.batchNormForward(op, x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd);
        int n = x.shape().dim(0), hw = plane(x);
        long count = (long) n * hw;
        if (count < 2) {
            throw new ShapeMismatchException(op + ": needs more than one value per channel, got input " + x.shape());
        }
        float[] xa = f(x), g = f(gamma), b = f(beta), rm = f(runningMean), rv = f(runningVar), ya = f(y),
                sm = f(saveMean), si = f(saveInvStd);
        par.forRange(c, count * 3, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += red.sum(xa, (i * c + ch) * hw, hw);
                }
                double mean = sum / count;
                double sq = 0;
                for (int i = 0; i < n; i++) {
                    sq += red.squares(xa, (i * c + ch) * hw, hw, mean);
                }
                double biased = sq / count;
                double inv = 1.0 / Math.sqrt(biased + eps);
                float scale = (float) (g[ch] * inv);
                float shift = (float) (b[ch] - mean * g[ch] * inv);
                for (int i = 0; i < n; i++) {
                    int o = (i * c + ch) * hw;
                    for (int j = 0; j < hw; j++) {
                        ya[o + j] = Math.fma(xa[o + j], scale, shift);
                    }
                }
                sm[ch] = (float) mean;
                si[ch] = (float) inv;
                rm[ch] = (float) ((1 - momentum) * rm[ch] + momentum * mean);
                rv[ch] = (float) ((1 - momentum) * rv[ch] + momentum * sq / (count - 1));
            }
        });
    }

    @Override
    public void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                   float eps, Tensor y) {
        int c = KernelShapes.batchNormForward("batchNormInference", x, y, gamma, beta, runningMean, runningVar);
        float[] xa = f(x), g = f(gamma), b = f(beta), rm = f(runningMean), rv = f(runningVar), ya = f(y);
        int hw = plane(x);
        par.forRange(x.shape().dim(0) * c, hw, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int ch = nc % c;
                double inv = 1.0 / Math.sqrt((double) rv[ch] + eps);
                float scale = (float) (g[ch] * inv);
                float shift = (float) (b[ch] - rm[ch] * g[ch] * inv);
                int o = nc * hw;
                for (int j = 0; j < hw; j++) {
                    ya[o + j] = Math.fma(xa[o + j], scale, shift);
                }
            }
        });
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta) {
        int c = KernelShapes.batchNormBackward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        int n = x.shape().dim(0), hw = plane(x);
        long count = (long) n * hw;
        float[] xa = f(x), dya = f(dy), g = f(gamma), sm = f(saveMean), si = f(saveInvStd), dxa = f(dx),
                dg = f(dgamma), db = f(dbeta);
        par.forRange(c, count * 3, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double mean = sm[ch], inv = si[ch];
                double sumDy = 0, sumDyCentred = 0;
                for (int i = 0; i < n; i++) {
                    int o = (i * c + ch) * hw;
                    sumDy += red.sum(dya, o, hw);
                    sumDyCentred += red.dotCentred(dya, o, xa, o, hw, mean);
                }
                double sumDyXhat = sumDyCentred * inv;
                dg[ch] = (float) sumDyXhat;
                db[ch] = (float) sumDy;
                // dx = k * (dy - mean(dy) - xhat * mean(dy * xhat)) = a * dy + b * x + c, per channel
                double k = g[ch] * inv;
                double meanDy = sumDy / count, meanDyXhat = sumDyXhat / count;
                float a = (float) k, bx = (float) (-k * inv * meanDyXhat), c0 = (float) (-k * meanDy + k * inv * meanDyXhat * mean);
                for (int i = 0; i < n; i++) {
                    int o = (i * c + ch) * hw;
                    for (int j = 0; j < hw; j++) {
                        dxa[o + j] = Math.fma(a, dya[o + j], Math.fma(bx, xa[o + j], c0));
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- activations

    @Override
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

    @Override
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

    @Override
    public void prelu(Tensor x, Tensor slope, Tensor y) {
        int c = channels("prelu", x);
        expect("prelu", "slope", slope, Shape.of(c));
        expect("prelu", "y", y, x.shape());
        float[] a = f(x), s = f(slope), o = f(y);
        int hw = plane(x);
        par.forRange(x.shape().dim(0) * c, hw, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                float sl = s[nc % c];
                int off = nc * hw;
                for (int j = 0; j < hw; j++) {
                    float v = a[off + j];
                    o[off + j] = Math.max(v, 0f) + sl * Math.min(v, 0f);
                }
            }
        });
    }

    @Override
    public void preluBackward(Tensor x, Tensor slope, Tensor dy, Tensor dx, Tensor dslope) {
        int c = KernelShapes.preluBackward(x, slope, dy, dx, dslope);
        float[] a = f(x), s = f(slope), d = f(dy), o = f(dx), ds = f(dslope);
        int n = x.shape().dim(0), hw = plane(x);
        par.forRange(c, (long) n * hw, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                float sl = s[ch];
                double acc = 0;
                for (int i = 0; i < n; i++) {
                    int off = (i * c + ch) * hw;
                    for (int j = 0; j < hw; j++) {
                        // branch-free (signs are random): neg is 1 where v < 0, else 0
                        float v = a[off + j], neg = Math.min(1f, Math.max(0f, -Math.signum(v)));
                        o[off + j] = d[off + j] * (1f + (sl - 1f) * neg);
                    }
                    acc += red.negativeDot(d, a, off, hw);
                }
                ds[ch] = (float) acc;
            }
        });
    }

    // ---------------------------------------------------------------- pooling

    @Override
    public void maxPool2d(PoolGeometry g, Tensor x, Tensor y, Tensor argmax) {
        expect("maxPool2d", "x", x, g.inputShape());
        expect("maxPool2d", "y", y, g.outputShape());
        expect("maxPool2d", "argmax", argmax, g.outputShape());
        float[] xa = f(x), ya = f(y);
        int[] am = ints(argmax);
        int h = g.inHeight(), w = g.inWidth(), ho = g.outHeight(), wo = g.outWidth(), k = g.kernel();
        par.forRange(g.batch() * g.channels(), (long) ho * wo * k * k, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int in = nc * h * w, out = nc * ho * wo;
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        float best = Float.NEGATIVE_INFINITY;
                        int bestAt = -1;
                        for (int ky = 0; ky < k; ky++) {
                            int iy = oy * g.stride() - g.padding() + ky;
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            for (int kx = 0; kx < k; kx++) {
                                int ix = ox * g.stride() - g.padding() + kx;
                                if (ix < 0 || ix >= w) {
                                    continue;
                                }
                                float v = xa[in + iy * w + ix];
                                if (bestAt < 0 || v > best || Float.isNaN(v) && !Float.isNaN(best)) {
                                    best = v;
                                    bestAt = iy * w + ix;
                                }
                            }
                        }
                        ya[out + oy * wo + ox] = best;
                        am[out + oy * wo + ox] = bestAt;
                    }
                }
            }
        });
    }

    @Override
    public void maxPool2dBackward(PoolGeometry g, Tensor dy, Tensor argmax, Tensor dx) {
        expect("maxPool2dBackward", "dy", dy, g.outputShape());
        expect("maxPool2dBackward", "argmax", argmax, g.outputShape());
        expect("maxPool2dBackward", "dx", dx, g.inputShape());
        float[] d = f(dy), o = f(dx);
        int[] am = ints(argmax);
        int hw = g.inHeight() * g.inWidth(), ohw = g.outHeight() * g.outWidth();
        par.forRange(g.batch() * g.channels(), hw + ohw, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                Arrays.fill(o, nc * hw, (nc + 1) * hw, 0f);
                for (int j = 0; j < ohw; j++) {
                    int at = am[nc * ohw + j];
                    if (at < 0 || at >= hw) {
                        throw new SimanException("maxPool2dBackward: argmax " + at + " outside the input plane of " + hw);
                    }
                    o[nc * hw + at] += d[nc * ohw + j];
                }
            }
        });
    }

    @Override
    public void avgPool2d(PoolGeometry g, Tensor x, Tensor y) {
        expect("avgPool2d", "x", x, g.inputShape());
        expect("avgPool2d", "y", y, g.outputShape());
        float[] xa = f(x), ya = f(y);
        int h = g.inHeight(), w = g.inWidth(), ho = g.outHeight(), wo = g.outWidth(), k = g.kernel();
        double area = (double) k * k;
        par.forRange(g.batch() * g.channels(), (long) ho * wo * k * k, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int in = nc * h * w, out = nc * ho * wo;
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        double s = 0;
                        for (int ky = 0; ky < k; ky++) {
                            int iy = oy * g.stride() - g.padding() + ky;
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            for (int kx = 0; kx < k; kx++) {
                                int ix = ox * g.stride() - g.padding() + kx;
                                if (ix >= 0 && ix < w) {
                                    s += xa[in + iy * w + ix];
                                }
                            }
                        }
                        ya[out + oy * wo + ox] = (float) (s / area);
                    }
                }
            }
        });
    }

    @Override
    public void avgPool2dBackward(PoolGeometry g, Tensor dy, Tensor dx) {
        expect("avgPool2dBackward", "dy", dy, g.outputShape());
        expect("avgPool2dBackward", "dx", dx, g.inputShape());
        float[] d = f(dy), o = f(dx);
        int h = g.inHeight(), w = g.inWidth(), ho = g.outHeight(), wo = g.outWidth(), k = g.kernel();
        float inv = (float) (1.0 / ((double) k * k));
        par.forRange(g.batch() * g.channels(), (long) ho * wo * k * k, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int in = nc * h * w, out = nc * ho * wo;
                Arrays.fill(o, in, in + h * w, 0f);
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        float v = d[out + oy * wo + ox] * inv;
                        for (int ky = 0; ky < k; ky++) {
                            int iy = oy * g.stride() - g.padding() + ky;
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            for (int kx = 0; kx < k; kx++) {
                                int ix = ox * g.stride() - g.padding() + kx;
                                if (ix >= 0 && ix < w) {
                                    o[in + iy * w + ix] += v;
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- option-A shortcut

    @Override
    public void shortcutA(Tensor x, Tensor y) {
        int pad = KernelShapes.shortcutPadding("shortcutA", x.shape(), y.shape());
        float[] xa = f(x), ya = f(y);
        int n = x.shape().dim(0), c = x.shape().dim(1), h = x.shape().dim(2), w = x.shape().dim(3);
        int cy = y.shape().dim(1), ho = y.shape().dim(2), wo = y.shape().dim(3);
        par.forRange(n * cy, (long) ho * wo, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int i = nc / cy, ch = nc % cy - pad;
                int out = nc * ho * wo;
                if (ch < 0 || ch >= c) {
                    Arrays.fill(ya, out, out + ho * wo, 0f);
                    continue;
                }
                int in = (i * c + ch) * h * w;
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        ya[out + oy * wo + ox] = xa[in + 2 * oy * w + 2 * ox];
                    }
                }
            }
        });
    }

    @Override
    public void shortcutABackward(Tensor dy, Tensor dx) {
        int pad = KernelShapes.shortcutPadding("shortcutABackward", dx.shape(), dy.shape());
        float[] d = f(dy), o = f(dx);
        int n = dx.shape().dim(0), c = dx.shape().dim(1), h = dx.shape().dim(2), w = dx.shape().dim(3);
        int cy = dy.shape().dim(1), ho = dy.shape().dim(2), wo = dy.shape().dim(3);
        par.forRange(n * c, (long) h * w, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int i = nc / c, ch = nc % c;
                int in = nc * h * w, out = (i * cy + ch + pad) * ho * wo;
                Arrays.fill(o, in, in + h * w, 0f);
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        o[in + 2 * oy * w + 2 * ox] = d[out + oy * wo + ox];
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- loss

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor losses) {
        String op = "softmaxCrossEntropy";
        KernelShapes.softmaxCrossEntropy(logits, labels, probs, losses);
        int n = logits.shape().dim(0), k = logits.shape().dim(1);
        float[] z = f(logits), p = f(probs), l = f(losses);
        int[] y = ints(labels);
        par.forRange(n, k * 4L, (from, to) -> {
            for (int i = from; i < to; i++) {
                int label = y[i];
                if (label < 0 || label >= k) {
                    throw new SimanException(op + ": label " + label + " of sample " + i + " is outside [0, " + k + ")");
                }
                int o = i * k;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < k; j++) {
                    max = Math.max(max, z[o + j]);
                }
                double sum = 0;
                for (int j = 0; j < k; j++) {
                    sum += Math.exp(z[o + j] - max);
                }
                double logSum = Math.log(sum);
                for (int j = 0; j < k; j++) {
                    p[o + j] = (float) Math.exp(z[o + j] - max - logSum);
                }
                l[i] = (float) (logSum - (z[o + label] - max));
            }
        });
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, float scale, Tensor dlogits) {
        String op = "softmaxCrossEntropyBackward";
        KernelShapes.softmaxCrossEntropyBackward(probs, labels, dlogits);
        int n = probs.shape().dim(0), k = probs.shape().rowLength();
        float[] p = f(probs), d = f(dlogits);
        int[] y = ints(labels);
        for (int i = 0; i < n; i++) {
            if (y[i] < 0 || y[i] >= k) {
                throw new SimanException(op + ": label " + y[i] + " of sample " + i + " is outside [0, " + k + ")");
            }
            for (int j = 0; j < k; j++) {
                d[i * k + j] = scale * (p[i * k + j] - (j == y[i] ? 1f : 0f));
            }
        }
    }

    // ---------------------------------------------------------------- standardization

    /**
     * The row mean, rounded to float: the one reduction both the float and the bitwise paths threshold at.
     * Eight interleaved partial sums, added in a fixed order at the end, keep eight additions in flight
     * instead of waiting on one chain, and give the same bits on every path and thread count.
     */
    private float rowMeanOf(float[] x, int off, int n) {
        return (float) (red.sum(x, off, n) / n);
    }






    @Override
    public void rowMean(Tensor x, Tensor mean) {
        int r = x.shape().dim(0), n = x.shape().rowLength();
        expect("rowMean", "mean", mean, Shape.of(r));
        float[] a = f(x), m = f(mean);
        par.forRange(r, n, (from, to) -> {
            for (int i = from; i < to; i++) {
                m[i] = rowMeanOf(a, i * n, n);
            }
        });
    }

    @Override
    public void rowStandardize(Tensor x, float eps, Tensor z, Tensor mean, Tensor invStd) {
        KernelShapes.rowStandardize(x, z, mean, invStd);
        int r = x.shape().dim(0), n = x.shape().rowLength();
        float[] a = f(x), za = z == null ? null : f(z), m = f(mean), s = f(invStd);
        par.forRange(r, n * 3L, (from, to) -> {
            for (int i = from; i < to; i++) {
                int off = i * n;
                float mu = rowMeanOf(a, off, n);
                double sq = red.squares(a, off, n, mu);
                float inv = (float) (1.0 / Math.sqrt(sq / (n - 1) + eps));
                // x - mean is exact in sign (and zero only where x equals the mean), so sign(z) = +1 exactly
                // where x >= mean: the threshold bitwise packing uses
                if (za != null) {
                    for (int j = 0; j < n; j++) {
                        za[off + j] = (a[off + j] - mu) * inv;
                    }
                }
                m[i] = mu;
                s[i] = inv;
            }
        });
    }

    @Override
    public void rowStandardizeBackward(Tensor z, Tensor invStd, Tensor dz, Tensor dx) {
        String op = "rowStandardizeBackward";
        int r = z.shape().dim(0), n = z.shape().rowLength();
        expect(op, "invStd", invStd, Shape.of(r));
        expect(op, "dz", dz, z.shape());
        expect(op, "dx", dx, z.shape());
        float[] za = f(z), s = f(invStd), g = f(dz), o = f(dx);
        par.forRange(r, n * 3L, (from, to) -> {
            for (int i = from; i < to; i++) {
                int off = i * n;
                double mean = red.sum(g, off, n) / n, proj = red.dot(g, off, za, off, n) / (n - 1), inv = s[i];
                // dx = inv * dz - inv * proj * z - inv * mean, in float: one pass the JIT vectorizes
                float a = (float) inv, b = (float) (-inv * proj), c = (float) (-inv * mean);
                for (int j = 0; j < n; j++) {
                    o[off + j] = Math.fma(a, g[off + j], Math.fma(b, za[off + j], c));
                }
            }
        });
    }

    @Override
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

    @Override
    public void binaryActivationBackward(Tensor x, Tensor mean, Tensor invStd, Tensor dxb, Tensor dx) {
        String op = "binaryActivationBackward";
        int r = x.shape().dim(0), n = x.shape().rowLength();
        expect(op, "mean", mean, Shape.of(r));
        expect(op, "invStd", invStd, Shape.of(r));
        expect(op, "dxb", dxb, x.shape());
        expect(op, "dx", dx, x.shape());
        float[] a = f(x), m = f(mean), s = f(invStd), d = f(dxb), o = f(dx);
        par.forRange(r, n * 6L, (from, to) -> {
            double[] sums = new double[2];
            for (int i = from; i < to; i++) {
                int off = i * n;
                float mu = m[i], inv = s[i];
                red.approxSignSums(a, d, off, n, mu, inv, sums);
                double sum = sums[0], dot = sums[1];
                // pass 2: dx = inv * da1 - inv * proj * a1 - inv * mean(da1)
                float c1 = (float) (-(double) inv * dot / (n - 1)), c0 = (float) (-(double) inv * sum / n);
                for (int q = 0; q < n; q++) {
                    float a1 = (a[off + q] - mu) * inv;
                    float da = d[off + q] * Math.max(0f, 2f - 2f * Math.abs(a1));
                    o[off + q] = Math.fma(inv, da, Math.fma(c1, a1, c0));
                }
            }
        });
    }

    // ---------------------------------------------------------------- SiMaN weight steps

    @Override
    public void simanClip(Tensor w, float percent) {
        if (!(percent >= 0f && percent <= 50f)) {
            throw new SimanException("simanClip: percent must be in [0, 50], got " + percent);
        }
        float[] a = f(w);
        int r = w.shape().dim(0), n = w.shape().rowLength();
        par.forRange(r, n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float mu = rowMeanOf(a, i * n, n);
                for (int j = i * n; j < (i + 1) * n; j++) {
                    a[j] -= mu;
                }
            }
        });
        if (percent == 0f) {
            return;
        }
        float[] mags = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            mags[i] = Math.abs(a[i]);
        }
        Arrays.sort(mags);
        float lo = percentileOfSorted(mags, percent), hi = percentileOfSorted(mags, 100f - percent);
        par.forRange(a.length, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                float m = Math.min(hi, Math.max(lo, Math.abs(a[i])));
                a[i] = a[i] >= 0f ? m : -m;
            }
        });
    }

    /** numpy's default ("linear") percentile of sorted values. */
    static float percentileOfSorted(float[] sorted, double percent) {
        double pos = percent / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        double frac = pos - lo;
        return (float) (sorted[lo] + (sorted[hi] - (double) sorted[lo]) * frac);
    }

    @Override
    public void topHalfBits(Tensor z, Encoding encoding, Tensor s) {
        int r = z.shape().dim(0), n = z.shape().rowLength(), k = n / 2;
        expect("topHalfBits", "s", s, z.shape());
        float[] za = f(z), sa = f(s);
        float low = encoding == Encoding.PM1 ? -1f : 0f;
        par.forRange(r, n * 16L, (from, to) -> {
            long[] keys = new long[n];
            for (int i = from; i < to; i++) {
                int off = i * n;
                for (int j = 0; j < n; j++) {
                    // magnitude bits order like the magnitudes; the low half prefers lower indices on ties
                    long mag = Float.floatToRawIntBits(Math.abs(za[off + j])) & 0x7fffffffL;
                    keys[j] = mag << 32 | (0xffffffffL - j);
                }
                Arrays.sort(keys);
                Arrays.fill(sa, off, off + n, low);
                for (int j = n - k; j < n; j++) {
                    int idx = (int) (0xffffffffL - (keys[j] & 0xffffffffL));
                    sa[off + idx] = 1f;
                }
            }
        });
    }

    // ---------------------------------------------------------------- sign-based baselines

    @Override
    public void xnorWeights(Tensor w, Tensor s, Tensor scale) {
        int r = w.shape().dim(0), n = w.shape().rowLength();
        expect("xnorWeights", "s", s, w.shape());
        expect("xnorWeights", "scale", scale, Shape.of(r));
        float[] a = f(w), o = f(s), sc = f(scale);
        par.forRange(r, n * 2L, (from, to) -> {
            for (int i = from; i < to; i++) {
                double m = 0;
                for (int j = i * n; j < (i + 1) * n; j++) {
                    m += Math.abs(a[j]);
                }
                float alpha = (float) (m / n);
                sc[i] = alpha;
                for (int j = i * n; j < (i + 1) * n; j++) {
                    o[j] = a[j] >= 0f ? alpha : -alpha;
                }
            }
        });
    }

    @Override
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

    @Override
    public void irnetWeights(Tensor z, Tensor s, Tensor scale) {
        int r = z.shape().dim(0), n = z.shape().rowLength();
        expect("irnetWeights", "s", s, z.shape());
        expect("irnetWeights", "scale", scale, Shape.of(r));
        float[] a = f(z), o = f(s), sc = f(scale);
        par.forRange(r, n * 2L, (from, to) -> {
            for (int i = from; i < to; i++) {
                double m = 0;
                for (int j = i * n; j < (i + 1) * n; j++) {
                    m += Math.abs(a[j]);
                }
                m /= n;
                // round half to even, as torch.round does
                float alpha = m > 0 ? (float) Math.pow(2, Math.rint(Math.log(m) / Math.log(2))) : 0f;
                sc[i] = alpha;
                for (int j = i * n; j < (i + 1) * n; j++) {
                    o[j] = a[j] >= 0f ? alpha : -alpha;
                }
            }
        });
    }

    @Override
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

    // ---------------------------------------------------------------- optimizer

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay) {
        float[] p = f(param), g = f(grad), v = f(velocity);
        expectSize("sgdStep", "grad", grad, p.length);
        expectSize("sgdStep", "velocity", velocity, p.length);
        par.forRange(p.length, 2, (from, to) -> {
            for (int i = from; i < to; i++) {
                float d = Math.fma(weightDecay, p[i], g[i]);
                float vel = Math.fma(momentum, v[i], d);
                v[i] = vel;
                p[i] = Math.fma(-lr, vel, p[i]);
            }
        });
    }

    // ---------------------------------------------------------------- bits

    @Override
    public void packWeights(Tensor s, Tensor bits) {
        if (s.shape().rank() != 4) {
            throw new ShapeMismatchException("packWeights: weights must be [Co, Ci, kh, kw], got " + s.shape());
        }
        int co = s.shape().dim(0), ci = s.shape().dim(1), kh = s.shape().dim(2), kw = s.shape().dim(3);
        int words = Shape.words(ci);
        expect("packWeights", "bits", bits, Shape.of(co, kh, kw, words));
        float[] a = f(s);
        long[] b = longsOut(bits);
        par.forRange(co, (long) ci * kh * kw, (from, to) -> {
            for (int o = from; o < to; o++) {
                Arrays.fill(b, o * kh * kw * words, (o + 1) * kh * kw * words, 0L);
                for (int c = 0; c < ci; c++) {
                    for (int t = 0; t < kh * kw; t++) {
                        if (a[(o * ci + c) * kh * kw + t] > 0f) {
                            b[(o * kh * kw + t) * words + (c >>> 6)] |= 1L << (c & 63);
                        }
                    }
                }
            }
        });
    }

    @Override
    public void packActivations(Tensor x, Tensor threshold, Tensor bits) {
        if (x.shape().rank() != 4) {
            throw new ShapeMismatchException("packActivations: input must be [N, C, H, W], got " + x.shape());
        }
        int n = x.shape().dim(0), c = x.shape().dim(1), h = x.shape().dim(2), w = x.shape().dim(3);
        expect("packActivations", "threshold", threshold, Shape.of(n));
        expect("packActivations", "bits", bits, Shape.of(n, h, w, Shape.words(c)));
        this.bits.packActivations(n, c, h * w, f(x), f(threshold), longsOut(bits), par);
    }

    @Override
    public void binaryConv2d(ConvGeometry g, Encoding encoding, Tensor xBits, Tensor wBits, Tensor scale, Tensor bias, Tensor y) {
        KernelShapes.binaryConvolution(g, xBits, wBits, scale, bias, y);
        bits.binaryConv2d(g, encoding == Encoding.PM1, longs(xBits), backend.own(wBits, DType.INT64), scale == null ? null : f(scale),
                bias == null ? null : f(bias), f(y), par);
    }
}
