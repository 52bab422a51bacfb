package io.siman.backend.cpu;

import io.siman.api.ConvGeometry;
import io.siman.api.KernelShapes;
import io.siman.api.Shape;
import io.siman.api.Tensor;

import java.util.Arrays;

import static io.siman.api.KernelShapes.channels;
import static io.siman.api.KernelShapes.expect;
import static io.siman.api.KernelShapes.plane;

/**
 * Convolutions: forward, both gradients, and the weight gradient of binary activations. Every path computes the same
 * bits (docs/kernels.md, "The same bits on every path"): the forward pass chains each output's fused multiply-adds
 * over (channel, ky, kx), by im2col and the matrix product or by {@link VectorConv}'s direct loops; a stride-1 input
 * gradient is that forward convolution of the framed output gradient with the turned weights; the weight gradient
 * chains each weight over (sample, position): in one matrix product on the plain path ({@link #weightGradientByRows}),
 * with output channels in vector lanes on the vector path ({@link VectorConv#weightGradient}); a binarized layer's
 * input gradient is made of pattern sums ({@link TwoValuedInputGradient}).
 */
final class ConvolutionKernels extends CpuKernelFamily {
    /** The matrix product of this path. */
    private final MatMul gemm;
    /** Stride-1 convolutions without im2col (vector path only); null: im2col and the matrix product. */
    private final VectorConv direct;

    ConvolutionKernels(CpuBackend backend, Parallel par, MatMul gemm, VectorConv direct) {
        super(backend, par);
        this.gemm = gemm;
        this.direct = direct;
    }

    /** Whether the input gradient is a forward convolution (stride 1, square kernel, padding below it). */
    static boolean inputGradientIsAForward(ConvGeometry g) {
        return g.stride() == 1 && g.kernelH() == g.kernelW() && g.padding() < g.kernelH();
    }

    /** Floats of window rows per chunk of samples in the weight gradient (16 MiB). */
    private static final long ROWS_GRADIENT_FLOATS = 1L << 22;

    private final ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[2][0]);

    private final ThreadLocal<float[][]> callerScratch = ThreadLocal.withInitial(() -> new float[4][0]);

    /**
     * Scratch owned by the calling thread for the length of one kernel call (workers write disjoint parts
     * of it); reused so the training loop does not allocate. Slot 0 holds the turned weights of the input gradient,
     * slot 1 the signs of the binary weight gradient, slots 2 and 3 the weight gradient's matrices.
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

    public void conv2dForward(ConvGeometry g, Tensor x, Tensor w, Tensor y) {
        KernelShapes.convolution("conv2dForward", g, x, w, y);
        forward(g, f(x), f(w), f(y));
    }

    /** The forward convolution: each output one chain of fused multiply-adds over (channel, ky, kx), on every path. */
    private void forward(ConvGeometry g, float[] xa, float[] wa, float[] ya) {
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

    public void conv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        KernelShapes.convolution("conv2dBackwardData", g, dx, w, dy);
        float[] dya = f(dy), wa = f(w), dxa = f(dx);
        if (inputGradientIsAForward(g)) {
            // stride 1: the forward convolution of dy, framed by k - 1 - pad, with the weights transposed and turned
            int ci = g.inChannels(), co = g.outChannels(), kh = g.kernelH(), kw = g.kernelW();
            ConvGeometry t = new ConvGeometry(g.batch(), co, g.outHeight(), g.outWidth(), ci, kh, kw, 1, kh - 1 - g.padding());
            float[] turned = callerScratch(0, ci * co * kh * kw);
            for (int o = 0; o < co; o++) {
                for (int c = 0; c < ci; c++) {
                    for (int ky = 0; ky < kh; ky++) {
                        for (int kx = 0; kx < kw; kx++) {
                            turned[((c * co + o) * kh + (kh - 1 - ky)) * kw + (kw - 1 - kx)] = wa[((o * ci + c) * kh + ky) * kw + kx];
                        }
                    }
                }
            }
            forward(t, dya, turned, dxa);
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

    /**
     * The input gradient of two-valued weights: by {@link TwoValuedInputGradient}'s pattern sums where it takes the shape
     * and every output channel's weights take at most two values, else
     * {@link #conv2dBackwardData}; both paths decide alike, so they give the same bits.
     */
    public void binaryConv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        KernelShapes.convolution("binaryConv2dBackwardData", g, dx, w, dy);
        inputGradient(g, dy, w, TwoValuedInputGradient.values(g, f(w)), dx);
    }

    /**
     * {@link #binaryConv2dBackwardData}'s gradient handed to {@code sink} sample by sample, in the same floats: the
     * vector path's pattern sums hand each sample over from the task that made it, while it is in that task's cache;
     * the other paths make the whole gradient in a temporary, then hand it over.
     */
    void binaryConv2dBackwardData(String op, ConvGeometry g, Tensor dy, Tensor w, SampleGradient sink) {
        expect(op, "weights", w, g.weightShape());
        expect(op, "output gradient", dy, g.outputShape());
        float[] wa = f(w), values = TwoValuedInputGradient.values(g, wa);
        if (values != null && direct != null) {
            direct.twoValuedInputGradient(g, f(dy), values, TwoValuedInputGradient.patterns(g, wa, values), null, sink, par);
            return;
        }
        int sample = (int) (g.inputShape().size() / g.batch());
        try (Tensor whole = backend.allocate(g.inputShape())) {
            inputGradient(g, dy, w, values, whole);
            float[] signs = f(whole);
            par.forRange(g.batch(), 6L * sample, (from, to) -> {
                for (int n = from; n < to; n++) {
                    sink.accept(n, signs, n * sample);
                }
            });
        }
    }

    /** The input gradient into {@code dx}: by pattern sums of the weights' {@code values}, or the general one where null. */
    private void inputGradient(ConvGeometry g, Tensor dy, Tensor w, float[] values, Tensor dx) {
        if (values == null) {
            conv2dBackwardData(g, dy, w, dx);
            return;
        }
        int[] patterns = TwoValuedInputGradient.patterns(g, f(w), values);
        if (direct != null) {
            direct.twoValuedInputGradient(g, f(dy), values, patterns, f(dx), null, par);
        } else {
            TwoValuedInputGradient.inputGradient(g, f(dy), values, patterns, f(dx), par);
        }
    }

    public void conv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        KernelShapes.convolution("conv2dBackwardWeights", g, x, dw, dy);
        weightGradient(g, f(x), null, null, f(dy), f(dw));
    }

    /**
     * The weight gradient of {@code x}, or of its signs at {@code threshold} (null: of {@code x} itself): on the vector
     * path's direct kernel where it takes the geometry, else as the matrix product over im2col rows; the same bits.
     * {@code bits}: null, or those signs packed, which the direct kernel may read instead of {@code x}.
     */
    private void weightGradient(ConvGeometry g, float[] xa, float[] threshold, long[] bits, float[] dya, float[] dwa) {
        if (direct != null && VectorConv.handles(g)) {
            direct.weightGradient(g, xa, threshold, bits, dya, dwa, par);
            return;
        }
        if (threshold == null) {
            weightGradientByRows(g, xa, dya, dwa);
            return;
        }
        // the definition: the float gradient of the signs
        int per = g.inChannels() * g.inHeight() * g.inWidth();
        float[] signs = callerScratch(1, per * g.batch());
        par.forRange(g.batch(), per, (from, to) -> {
            for (int n = from; n < to; n++) {
                float t = threshold[n];
                for (int i = n * per; i < (n + 1) * per; i++) {
                    signs[i] = xa[i] >= t ? 1f : -1f;
                }
            }
        });
        weightGradientByRows(g, signs, dya, dwa);
    }

    /**
     * The weight gradient as one long matrix product, {@code dw[co, k] = dy[co, S*p] * rows[S*p, k]}, over chunks of
     * {@code S} samples: {@code rows} holds every output position's input window as a row (im2col transposed), and
     * {@code dy} the chunk's output gradients side by side. The reduction runs over {@code S*p} and the vectorized
     * micro-kernel along {@code k}, so each element is one chain of fused multiply-adds over (sample, position) in
     * increasing order, carried from chunk to chunk, whatever the vector width; threads split output channels, so
     * results do not depend on the thread count either. (Dot products along the positions, in vector lanes, were
     * about as fast on ResNet-20 but summed in an order set by the width.)
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

    public void binaryConv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor threshold, Tensor dy, Tensor dw) {
        binaryWeightGradient("binaryConv2dBackwardWeights", g, x, threshold, null, dy, dw);
    }

    /**
     * {@code BinaryWeightGradientSteps}: as {@link #binaryConv2dBackwardWeights}, the vector path's channels-last
     * layout framing each sample from its bits. The same bits either way.
     */
    public void binaryConv2dBackwardWeightsFromBits(ConvGeometry g, Tensor x, Tensor threshold, Tensor xBits, Tensor dy, Tensor dw) {
        String op = "binaryConv2dBackwardWeightsFromBits";
        expect(op, "xBits", xBits, g.packedInputShape());
        binaryWeightGradient(op, g, x, threshold, longs(xBits), dy, dw);
    }

    /** Both binary weight gradients' shape rules and call; every tensor checked whichever of x and its bits is read. */
    private void binaryWeightGradient(String op, ConvGeometry g, Tensor x, Tensor threshold, long[] bits, Tensor dy, Tensor dw) {
        KernelShapes.convolution(op, g, x, dw, dy);
        expect(op, "threshold", threshold, Shape.of(g.batch()));
        weightGradient(g, f(x), f(threshold), bits, f(dy), f(dw));
    }
}
