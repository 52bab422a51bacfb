package io.siman.backend.cpu;

import io.siman.api.ConvGeometry;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.KernelShapes;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.Tensor;

import java.util.Arrays;

import static io.siman.api.KernelShapes.expect;

/** Packing and the popcount convolution, with the popcount strategy the vectorization choice gave. */
final class BitwiseConvolutionKernels extends CpuKernelFamily {
    /** The popcount strategy of this path. */
    private final BitKernels bits;
    private final Reductions red;

    BitwiseConvolutionKernels(CpuBackend backend, Parallel par, BitKernels bits, Reductions red) {
        super(backend, par);
        this.bits = bits;
        this.red = red;
    }

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

    public void packActivations(Tensor x, Tensor threshold, Tensor bits) {
        pack("packActivations", "threshold", x, threshold, bits, null);
    }

    /** {@code ActivationPackingSteps}: each sample's mean, then its bits, by one task while the sample is in cache. */
    public void meanAndPack(Tensor x, Tensor mean, Tensor bits) {
        pack("meanAndPack", "mean", x, mean, bits, red);
    }

    /** Both packings' shape rules and call: with {@code red}, {@code threshold} is written as each sample's mean first. */
    private void pack(String op, String thresholdName, Tensor x, Tensor threshold, Tensor bits, Reductions red) {
        if (x.shape().rank() != 4) {
            throw new ShapeMismatchException(op + ": input must be [N, C, H, W], got " + x.shape());
        }
        int n = x.shape().dim(0), c = x.shape().dim(1), h = x.shape().dim(2), w = x.shape().dim(3);
        expect(op, thresholdName, threshold, Shape.of(n));
        expect(op, "bits", bits, Shape.of(n, h, w, Shape.words(c)));
        this.bits.packActivations(n, c, h * w, f(x), f(threshold), longsOut(bits), red, par);
    }

    public void binaryConv2d(ConvGeometry g, Encoding encoding, Tensor xBits, Tensor wBits, Tensor scale, Tensor bias, Tensor y) {
        KernelShapes.binaryConvolution(g, xBits, wBits, scale, bias, y);
        bits.binaryConv2d(g, encoding == Encoding.PM1, longs(xBits), backend.own(wBits, DType.INT64), scale == null ? null : f(scale),
                bias == null ? null : f(bias), null, f(y), par);
    }

    /** {@code BinaryBlockSteps}: the convolution with the residual add and PReLU fused into its last pass. */
    public void binaryConv2dAddPrelu(ConvGeometry g, Encoding encoding, Tensor xBits, Tensor wBits, Tensor scale, Tensor bias,
                                     Tensor residual, Tensor slope, Tensor y) {
        KernelShapes.binaryConvolution(g, xBits, wBits, scale, bias, y);
        expect("binaryConv2dAddPrelu", "residual", residual, g.outputShape());
        expect("binaryConv2dAddPrelu", "slope", slope, Shape.of(g.outChannels()));
        float[] out = f(y), res = f(residual);
        if (out == res) {
            throw new io.siman.api.SimanException("binaryConv2dAddPrelu: y must not be the residual tensor");
        }
        bits.binaryConv2d(g, encoding == Encoding.PM1, longs(xBits), backend.own(wBits, DType.INT64), scale == null ? null : f(scale),
                bias == null ? null : f(bias), new BitKernels.Epilogue(res, f(slope)), out, par);
    }
}
