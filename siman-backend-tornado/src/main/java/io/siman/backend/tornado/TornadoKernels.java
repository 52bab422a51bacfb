package io.siman.backend.tornado;

import io.siman.api.Activation;
import io.siman.api.BitwiseKernels;
import io.siman.api.ConvGeometry;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.KernelShapes;
import io.siman.api.MagnitudePercentiles;
import io.siman.api.Kernels;
import io.siman.api.PoolGeometry;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.SimanException;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;

import java.util.Arrays;

import static io.siman.api.KernelShapes.channels;
import static io.siman.api.KernelShapes.expect;
import static io.siman.api.KernelShapes.expectSize;
import static io.siman.api.KernelShapes.plane;

/**
 * The host side of the {@code tornado} backend's kernels: the contract's shape rules, then one launch of a
 * {@link DeviceKernels} task with the tensors' pool offsets. Implements the core and both groups (bitwise and
 * training); the step families run their portable defaults on these kernels. {@code magnitudePercentiles} sorts on the host: TornadoVM
 * has no sort, and a one-work-item sort of a whole layer's weights would serialize the device.
 */
final class TornadoKernels implements Kernels, BitwiseKernels, TrainingKernels {
    private final TornadoBackend backend;
    private final TornadoEngine engine;

    TornadoKernels(TornadoBackend backend, TornadoEngine engine) {
        this.backend = backend;
        this.engine = engine;
    }

    private int f(Tensor t) {
        return backend.own(t, DType.FLOAT32).offset;
    }

    private int fOrNone(Tensor t) {
        return t == null ? -1 : f(t);
    }

    private int ints(Tensor t) {
        return backend.own(t, DType.INT32).offset;
    }

    private int longs(Tensor t) {
        return backend.own(t, DType.INT64).offset;
    }

    private static int size(Tensor t) {
        return t.shape().intSize();
    }

    private void run(String kernel, long work, int[] p, float... q) {
        engine.run(kernel, work, p, q);
    }

    // ---------------------------------------------------------------- element-wise

    @Override
    public void fill(Tensor x, float value) {
        run("fill", size(x), new int[]{f(x), size(x)}, value);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        KernelShapes.copy(src, dst);
        int type = switch (src.dtype()) {
            case FLOAT32 -> 0;
            case INT32 -> 1;
            case INT64 -> 2;
        };
        int s = type == 0 ? f(src) : type == 1 ? ints(src) : longs(src);
        int d = type == 0 ? f(dst) : type == 1 ? ints(dst) : longs(dst);
        run("copy", size(src), new int[]{s, d, size(src), type});
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        expectSize("add", "b", b, a.shape().size());
        expectSize("add", "out", out, a.shape().size());
        run("add", size(a), new int[]{f(a), f(b), f(out), size(a)});
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        expectSize("axpy", "y", y, x.shape().size());
        run("axpy", size(x), new int[]{f(x), f(y), size(x)}, alpha);
    }

    @Override
    public void sign(Tensor x, Tensor out) {
        expectSize("sign", "out", out, x.shape().size());
        run("signs", size(x), new int[]{f(x), f(x), f(out), size(x), 0});
    }

    @Override
    public void mulSign(Tensor x, Tensor s, Tensor out) {
        expectSize("mulSign", "s", s, x.shape().size());
        expectSize("mulSign", "out", out, x.shape().size());
        run("signs", size(x), new int[]{f(x), f(s), f(out), size(x), 1});
    }

    // ---------------------------------------------------------------- dense and convolution

    @Override
    public void linearForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        String op = "linearForward";
        if (x.shape().rank() != 2 || w.shape().rank() != 2 || x.shape().dim(1) != w.shape().dim(1)) {
            throw new ShapeMismatchException(op + ": x " + x.shape() + " and w " + w.shape() + " do not fit");
        }
        int n = x.shape().dim(0), in = x.shape().dim(1), out = w.shape().dim(0);
        expect(op, "y", y, Shape.of(n, out));
        if (bias != null) {
            expect(op, "bias", bias, Shape.of(out));
        }
        run("linear", (long) n * out, new int[]{f(x), f(w), fOrNone(bias), f(y), n, in, out});
    }

    private static int[] geometry(ConvGeometry g, int... head) {
        int[] tail = {g.batch(), g.inChannels(), g.inHeight(), g.inWidth(), g.outChannels(), g.kernelH(), g.kernelW(), g.stride(),
                g.padding(), g.outHeight(), g.outWidth()};
        int[] all = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    @Override
    public void conv2dForward(ConvGeometry g, Tensor x, Tensor w, Tensor y) {
        KernelShapes.convolution("conv2dForward", g, x, w, y);
        run("conv", g.outputShape().size(), geometry(g, f(x), f(w), f(y)));
    }

    // ---------------------------------------------------------------- per-channel and per-row scale

    @Override
    public void channelScale(Tensor x, Tensor scale, Tensor y) {
        int c = channels("channelScale", x);
        expect("channelScale", "scale", scale, Shape.of(c));
        expect("channelScale", "y", y, x.shape());
        run("affine", size(x), new int[]{f(x), f(scale), -1, f(y), size(x), c, plane(x), 0});
    }

    @Override
    public void channelAffine(Tensor x, Tensor scale, Tensor bias, Tensor y) {
        int c = KernelShapes.channelAffine(x, scale, bias, y);
        run("affine", size(x), new int[]{f(x), f(scale), f(bias), f(y), size(x), c, plane(x), 0});
    }

    @Override
    public void rowScale(Tensor x, Tensor scale, Tensor y) {
        int r = KernelShapes.rowScale(x, scale, y);
        run("affine", size(x), new int[]{f(x), f(scale), -1, f(y), size(x), r, x.shape().rowLength(), 1});
    }

    // ---------------------------------------------------------------- batch norm, activations, pooling

    @Override
    public void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps, Tensor y) {
        int c = KernelShapes.batchNormForward("batchNormInference", x, y, gamma, beta, runningMean, runningVar);
        run("batchNormInference", size(x), new int[]{f(x), f(gamma), f(beta), f(runningMean), f(runningVar), f(y), size(x), c, plane(x)}, eps);
    }

    @Override
    public void activation(Activation kind, Tensor x, Tensor y) {
        expectSize("activation", "y", y, x.shape().size());
        int k = switch (kind) {
            case RELU -> 0;
            case HARDTANH -> 1;
        };
        run("activation", size(x), new int[]{f(x), -1, f(y), size(x), 1, 1, k});
    }

    @Override
    public void prelu(Tensor x, Tensor slope, Tensor y) {
        int c = channels("prelu", x);
        expect("prelu", "slope", slope, Shape.of(c));
        expect("prelu", "y", y, x.shape());
        run("activation", size(x), new int[]{f(x), f(slope), f(y), size(x), c, plane(x), 2});
    }

    private static int[] pool(PoolGeometry g, int x, int y, int argmax) {
        return new int[]{x, y, argmax, g.batch() * g.channels(), g.inHeight(), g.inWidth(), g.kernel(), g.stride(), g.padding(),
                g.outHeight(), g.outWidth()};
    }

    @Override
    public void maxPool2d(PoolGeometry g, Tensor x, Tensor y, Tensor argmax) {
        expect("maxPool2d", "x", x, g.inputShape());
        expect("maxPool2d", "y", y, g.outputShape());
        expect("maxPool2d", "argmax", argmax, g.outputShape());
        run("pool", g.outputShape().size(), pool(g, f(x), f(y), ints(argmax)));
    }

    @Override
    public void avgPool2d(PoolGeometry g, Tensor x, Tensor y) {
        expect("avgPool2d", "x", x, g.inputShape());
        expect("avgPool2d", "y", y, g.outputShape());
        run("pool", g.outputShape().size(), pool(g, f(x), f(y), -1));
    }

    // ---------------------------------------------------------------- loss and per-row statistics

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor losses) {
        KernelShapes.softmaxCrossEntropy(logits, labels, probs, losses);
        int n = logits.shape().dim(0), k = logits.shape().dim(1);
        // labels are few: checked on the host, so a bad one is a one-line error, not an out-of-range read
        int[] y = backend.downloadInts(labels);
        for (int i = 0; i < n; i++) {
            if (y[i] < 0 || y[i] >= k) {
                throw new SimanException("softmaxCrossEntropy: label " + y[i] + " of sample " + i + " is outside [0, " + k + ")");
            }
        }
        run("softmaxCrossEntropy", n, new int[]{f(logits), ints(labels), f(probs), f(losses), n, k});
    }

    @Override
    public void rowMean(Tensor x, Tensor mean) {
        int r = KernelShapes.perRow("rowMean", x, mean, null);
        run("rowStatistics", r, new int[]{f(x), -1, f(mean), f(mean), r, x.shape().rowLength(), 0}, 0f);
    }

    @Override
    public void rowStandardize(Tensor x, float eps, Tensor z, Tensor mean, Tensor invStd) {
        KernelShapes.rowStandardize(x, z, mean, invStd);
        int r = x.shape().dim(0);
        run("rowStatistics", r, new int[]{f(x), fOrNone(z), f(mean), f(invStd), r, x.shape().rowLength(), 1}, eps);
    }

    // ---------------------------------------------------------------- generic primitives

    @Override
    public void rowSubtract(Tensor x, Tensor values, Tensor y) {
        KernelShapes.perRow("rowSubtract", x, values, y);
        run("rowSubtract", size(x), new int[]{f(x), f(values), f(y), size(x), x.shape().rowLength()});
    }

    @Override
    public void rowAbsMean(Tensor x, Tensor mean) {
        int r = KernelShapes.perRow("rowAbsMean", x, mean, null);
        run("rowStatistics", r, new int[]{f(x), -1, f(mean), f(mean), r, x.shape().rowLength(), 2}, 0f);
    }

    @Override
    public void topMagnitudes(Tensor x, Tensor counts, float high, float low, Tensor y) {
        int r = x.shape().dim(0), n = x.shape().rowLength();
        expect("topMagnitudes", "counts", counts, Shape.of(r));
        expect("topMagnitudes", "y", y, x.shape());
        int[] c = backend.downloadInts(counts);
        for (int i = 0; i < r; i++) {
            if (c[i] < 0 || c[i] > n) {
                throw new SimanException("topMagnitudes: count " + c[i] + " of row " + i + " is outside [0, " + n + "]");
            }
        }
        run("topMagnitudes", size(x), new int[]{f(x), ints(counts), f(y), size(x), n}, high, low);
    }

    @Override
    public void magnitudePercentiles(Tensor x, float lowPercent, float highPercent, Tensor bounds) {
        KernelShapes.magnitudePercentiles(x, lowPercent, highPercent, bounds);
        backend.write(bounds, MagnitudePercentiles.of(backend.downloadFloats(x), lowPercent, highPercent));
    }


    @Override
    public void clampMagnitudes(Tensor x, Tensor bounds, Tensor y) {
        KernelShapes.sameShape("clampMagnitudes", x, y, y);
        expect("clampMagnitudes", "bounds", bounds, Shape.of(2));
        run("magnitudeSelect", size(x), new int[]{f(x), f(bounds), f(y), size(x), 0, 0});
    }

    @Override
    public void maskByMagnitude(Tensor x, float limit, Tensor a, Tensor y) {
        KernelShapes.sameShape("maskByMagnitude", x, a, y);
        run("magnitudeSelect", size(x), new int[]{f(x), 0, f(y), size(x), 1, f(a)}, limit);
    }

    @Override
    public void copyChannels(Tensor src, int srcChannel, Tensor dst, int dstChannel, int count) {
        KernelShapes.copyChannels(src, srcChannel, dst, dstChannel, count);
        int plane = plane(src), total = src.shape().dim(0) * count * plane;
        run("copyChannels", total, new int[]{f(src), src.shape().dim(1), srcChannel, f(dst), dst.shape().dim(1), dstChannel, count, plane, total});
    }

    // ---------------------------------------------------------------- bitwise group

    @Override
    public void packWeights(Tensor s, Tensor bits) {
        if (s.shape().rank() != 4) {
            throw new ShapeMismatchException("packWeights: weights must be [Co, Ci, kh, kw], got " + s.shape());
        }
        int co = s.shape().dim(0), ci = s.shape().dim(1), taps = s.shape().dim(2) * s.shape().dim(3), words = Shape.words(ci);
        expect("packWeights", "bits", bits, Shape.of(co, s.shape().dim(2), s.shape().dim(3), words));
        run("pack", (long) co * taps * words, new int[]{f(s), 0, longs(bits), co, ci, taps, words, 0});
    }

    @Override
    public void packActivations(Tensor x, Tensor threshold, Tensor bits) {
        if (x.shape().rank() != 4) {
            throw new ShapeMismatchException("packActivations: input must be [N, C, H, W], got " + x.shape());
        }
        int n = x.shape().dim(0), c = x.shape().dim(1), plane = plane(x), words = Shape.words(c);
        expect("packActivations", "threshold", threshold, Shape.of(n));
        expect("packActivations", "bits", bits, Shape.of(n, x.shape().dim(2), x.shape().dim(3), words));
        run("pack", (long) n * plane * words, new int[]{f(x), f(threshold), longs(bits), n, c, plane, words, 1});
    }

    @Override
    public void binaryConv2d(ConvGeometry g, Encoding encoding, Tensor xBits, Tensor wBits, Tensor scale, Tensor bias, Tensor y) {
        KernelShapes.binaryConvolution(g, xBits, wBits, scale, bias, y);
        int[] p = {longs(xBits), longs(wBits), fOrNone(scale), fOrNone(bias), f(y), g.batch(), g.inChannels(), g.inHeight(), g.inWidth(),
                g.outChannels(), g.kernelH(), g.kernelW(), g.stride(), g.padding(), g.outHeight(), g.outWidth(), Shape.words(g.inChannels()),
                encoding == Encoding.PM1 ? 1 : 0};
        run("binaryConv", g.outputShape().size(), p);
    }

    // ---------------------------------------------------------------- training group

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias) {
        String op = "linearBackward";
        int n = x.shape().dim(0), in = x.shape().dim(1), out = w.shape().dim(0);
        expect(op, "w", w, Shape.of(out, in));
        expect(op, "dy", dy, Shape.of(n, out));
        expect(op, "dw", dw, w.shape());
        if (dx != null) {
            expect(op, "dx", dx, x.shape());
            run("linearBackwardData", (long) n * in, new int[]{f(x), f(w), f(dy), f(dx), n, in, out});
        }
        run("linearBackwardWeights", (long) out * in, new int[]{f(x), f(w), f(dy), f(dw), n, in, out});
        if (dbias != null) {
            expect(op, "dbias", dbias, Shape.of(out));
            run("linearBackwardBias", out, new int[]{f(x), f(w), f(dy), f(dbias), n, in, out});
        }
    }

    @Override
    public void conv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        KernelShapes.convolution("conv2dBackwardData", g, dx, w, dy);
        run("convBackwardData", g.inputShape().size(), geometry(g, f(dy), f(w), f(dx)));
    }

    @Override
    public void conv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        KernelShapes.convolution("conv2dBackwardWeights", g, x, dw, dy);
        run("convBackwardWeights", g.weightShape().size(), geometry(g, f(x), f(dy), f(dw)));
    }

    @Override
    public void channelScaleBackward(Tensor x, Tensor scale, Tensor dy, Tensor dx, Tensor dscale) {
        int c = KernelShapes.channelScaleBackward(x, scale, dy, dscale);
        if (dx != null) {
            expect("channelScaleBackward", "dx", dx, x.shape());
            run("affine", size(x), new int[]{f(dy), f(scale), -1, f(dx), size(x), c, plane(x), 0});
        }
        run("channelDot", c, new int[]{f(dy), f(x), f(dscale), c, plane(x), x.shape().dim(0), 0});
    }

    @Override
    public void rowScaleBackward(Tensor x, Tensor dy, Tensor dscale) {
        int r = KernelShapes.rowScaleBackward(x, dy, dscale);
        run("rowDot", r, new int[]{f(x), f(dy), f(dscale), r, x.shape().rowLength()});
    }

    @Override
    public void batchNormTraining(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                  float momentum, float eps, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        String op = "batchNormTraining";
        int c = KernelShapes.batchNormForward(op, x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd);
        int n = x.shape().dim(0), plane = plane(x);
        if ((long) n * plane < 2) {
            throw new ShapeMismatchException(op + ": needs more than one value per channel, got input " + x.shape());
        }
        run("batchNormStatistics", c, new int[]{f(x), f(runningMean), f(runningVar), f(saveMean), f(saveInvStd), c, plane, n}, momentum, eps);
        run("batchNormApply", size(x), new int[]{f(x), f(gamma), f(beta), f(saveMean), f(saveInvStd), f(y), size(x), c, plane});
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta) {
        int c = KernelShapes.batchNormBackward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        int n = x.shape().dim(0), plane = plane(x);
        run("batchNormBackwardSums", c, new int[]{f(x), f(dy), f(saveMean), f(saveInvStd), f(dgamma), f(dbeta), c, plane, n});
        run("batchNormBackwardApply", size(x), new int[]{f(x), f(dy), f(gamma), f(saveMean), f(saveInvStd), f(dgamma), f(dbeta), f(dx),
                size(x), c, plane}, 1f / ((float) n * plane));
    }

    @Override
    public void activationBackward(Activation kind, Tensor x, Tensor dy, Tensor dx) {
        expect("activationBackward", "dy", dy, x.shape());
        expect("activationBackward", "dx", dx, x.shape());
        int k = switch (kind) {
            case RELU -> 0;
            case HARDTANH -> 1;
        };
        run("activationBackward", size(x), new int[]{f(x), f(dy), -1, f(dx), size(x), 1, 1, k});
    }

    @Override
    public void preluBackward(Tensor x, Tensor slope, Tensor dy, Tensor dx, Tensor dslope) {
        int c = KernelShapes.preluBackward(x, slope, dy, dx, dslope);
        run("activationBackward", size(x), new int[]{f(x), f(dy), f(slope), f(dx), size(x), c, plane(x), 2});
        run("channelDot", c, new int[]{f(dy), f(x), f(dslope), c, plane(x), x.shape().dim(0), 1});
    }

    @Override
    public void maxPool2dBackward(PoolGeometry g, Tensor dy, Tensor argmax, Tensor dx) {
        expect("maxPool2dBackward", "dy", dy, g.outputShape());
        expect("maxPool2dBackward", "argmax", argmax, g.outputShape());
        expect("maxPool2dBackward", "dx", dx, g.inputShape());
        run("poolBackward", (long) g.batch() * g.channels(), pool(g, f(dy), ints(argmax), f(dx)));
    }

    @Override
    public void avgPool2dBackward(PoolGeometry g, Tensor dy, Tensor dx) {
        expect("avgPool2dBackward", "dy", dy, g.outputShape());
        expect("avgPool2dBackward", "dx", dx, g.inputShape());
        run("poolBackward", (long) g.batch() * g.channels(), pool(g, f(dy), -1, f(dx)));
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, float scale, Tensor dlogits) {
        KernelShapes.softmaxCrossEntropyBackward(probs, labels, dlogits);
        int n = probs.shape().dim(0), k = probs.shape().rowLength();
        int[] y = backend.downloadInts(labels);
        for (int i = 0; i < n; i++) {
            if (y[i] < 0 || y[i] >= k) {
                throw new SimanException("softmaxCrossEntropyBackward: label " + y[i] + " of sample " + i + " is outside [0, " + k + ")");
            }
        }
        run("softmaxCrossEntropyBackward", size(probs), new int[]{f(probs), ints(labels), f(dlogits), size(probs), k}, scale);
    }

    @Override
    public void rowStandardizeBackward(Tensor z, Tensor invStd, Tensor dz, Tensor dx) {
        String op = "rowStandardizeBackward";
        int r = z.shape().dim(0);
        expect(op, "invStd", invStd, Shape.of(r));
        expect(op, "dz", dz, z.shape());
        expect(op, "dx", dx, z.shape());
        run("rowStandardizeBackward", r, new int[]{f(z), f(invStd), f(dz), f(dx), r, z.shape().rowLength()});
    }

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay) {
        expectSize("sgdStep", "grad", grad, param.shape().size());
        expectSize("sgdStep", "velocity", velocity, param.shape().size());
        run("sgdStep", size(param), new int[]{f(param), f(grad), f(velocity), size(param)}, lr, momentum, weightDecay);
    }
}
