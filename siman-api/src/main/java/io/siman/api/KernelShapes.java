package io.siman.api;

/**
 * The shape rules of the kernel contract, written once for every backend: each check throws a
 * {@link ShapeMismatchException} naming the kernel, the argument and the shapes.
 */
public final class KernelShapes {
    private KernelShapes() {
    }

    /** {@code t} must have exactly {@code shape}. */
    public static void expect(String op, String what, Tensor t, Shape shape) {
        if (!t.shape().equals(shape)) {
            throw new ShapeMismatchException(op + ": " + what + " has shape " + t.shape() + ", expected " + shape);
        }
    }

    /** {@code t} must hold {@code size} values, whatever its shape. */
    public static void expectSize(String op, String what, Tensor t, long size) {
        if (t.shape().size() != size) {
            throw new ShapeMismatchException(op + ": " + what + " has shape " + t.shape() + " (" + t.shape().size()
                    + " values), expected " + size + " values");
        }
    }

    /** Channels of a rank-2 {@code [N, C]} or rank-4 {@code [N, C, H, W]} tensor. */
    public static int channels(String op, Tensor x) {
        int r = x.shape().rank();
        if (r != 2 && r != 4) {
            throw new ShapeMismatchException(op + ": input must be [N, C] or [N, C, H, W], got " + x.shape());
        }
        return x.shape().dim(1);
    }

    /** Positions per channel of a rank-2 (1) or rank-4 ({@code H * W}) tensor. */
    public static int plane(Tensor x) {
        return x.shape().rank() == 4 ? x.shape().dim(2) * x.shape().dim(3) : 1;
    }

    /** A convolution's input, weights and output against its geometry. */
    public static void convolution(String op, ConvGeometry g, Tensor x, Tensor w, Tensor y) {
        expect(op, "input", x, g.inputShape());
        expect(op, "weights", w, g.weightShape());
        expect(op, "output", y, g.outputShape());
    }

    /** Per-channel tensors of batch normalization (nulls skipped) hold one value per channel. */
    public static void perChannel(String op, int c, Tensor... perChannel) {
        for (Tensor t : perChannel) {
            if (t != null) {
                expect(op, "per-channel tensor", t, Shape.of(c));
            }
        }
    }

    /** The channel padding {@code p} of the option-A shortcut from {@code x} to {@code y}. */
    public static int shortcutPadding(String op, Shape x, Shape y) {
        if (x.rank() != 4 || y.rank() != 4 || x.dim(0) != y.dim(0)
                || y.dim(2) != (x.dim(2) + 1) / 2 || y.dim(3) != (x.dim(3) + 1) / 2
                || y.dim(1) < x.dim(1) || (y.dim(1) - x.dim(1)) % 2 != 0) {
            throw new ShapeMismatchException(op + ": cannot map " + x + " to " + y
                    + " (needs [N, C + 2p, ceil(H/2), ceil(W/2)])");
        }
        return (y.dim(1) - x.dim(1)) / 2;
    }
    /** Same types, and {@code dst} holds as many values as {@code src}. */
    public static void copy(Tensor src, Tensor dst) {
        if (src.dtype() != dst.dtype()) {
            throw new ShapeMismatchException("copy: " + src + " and " + dst + " differ in type");
        }
        expectSize("copy", "destination", dst, src.shape().size());
    }

    /** Returns the channels; {@code y} has the input's shape, the others one value per channel. */
    public static int batchNormForward(String op, Tensor x, Tensor y, Tensor... perChannel) {
        int c = channels(op, x);
        perChannel(op, c, perChannel);
        expect(op, "y", y, x.shape());
        return c;
    }

    /** Returns the channels. */
    public static int batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                        Tensor dx, Tensor dgamma, Tensor dbeta) {
        String op = "batchNormBackward";
        int c = channels(op, x);
        perChannel(op, c, gamma, saveMean, saveInvStd, dgamma, dbeta);
        expect(op, "dy", dy, x.shape());
        expect(op, "dx", dx, x.shape());
        return c;
    }

    /** Returns the channels. */
    public static int channelAffine(Tensor x, Tensor scale, Tensor bias, Tensor y) {
        int c = channels("channelAffine", x);
        expect("channelAffine", "scale", scale, Shape.of(c));
        expect("channelAffine", "bias", bias, Shape.of(c));
        expect("channelAffine", "y", y, x.shape());
        return c;
    }

    /** Returns the channels; {@code dx} (optional) is checked by the caller's use of {@code dy}'s shape. */
    public static int channelScaleBackward(Tensor x, Tensor scale, Tensor dy, Tensor dscale) {
        int c = channels("channelScaleBackward", x);
        expect("channelScaleBackward", "scale", scale, Shape.of(c));
        expect("channelScaleBackward", "dy", dy, x.shape());
        expect("channelScaleBackward", "dscale", dscale, Shape.of(c));
        return c;
    }

    /** {@code rowScale}: one scale per row (the first dimension), {@code y} shaped as {@code x}. Returns the rows. */
    public static int rowScale(Tensor x, Tensor scale, Tensor y) {
        int r = x.shape().dim(0);
        expect("rowScale", "scale", scale, Shape.of(r));
        expect("rowScale", "y", y, x.shape());
        return r;
    }

    /** {@code rowScaleBackward}: {@code dy} shaped as {@code x}, one gradient per row. Returns the rows. */
    public static int rowScaleBackward(Tensor x, Tensor dy, Tensor dscale) {
        int r = x.shape().dim(0);
        expect("rowScaleBackward", "dy", dy, x.shape());
        expect("rowScaleBackward", "dscale", dscale, Shape.of(r));
        return r;
    }

    /** Returns the channels. */
    public static int preluBackward(Tensor x, Tensor slope, Tensor dy, Tensor dx, Tensor dslope) {
        int c = channels("preluBackward", x);
        expect("preluBackward", "slope", slope, Shape.of(c));
        expect("preluBackward", "dy", dy, x.shape());
        expect("preluBackward", "dx", dx, x.shape());
        expect("preluBackward", "dslope", dslope, Shape.of(c));
        return c;
    }

    /** Logits {@code [N, K]}, labels {@code [N]}, probabilities like the logits, losses {@code [N]}. */
    public static void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor losses) {
        String op = "softmaxCrossEntropy";
        if (logits.shape().rank() != 2) {
            throw new ShapeMismatchException(op + ": logits must be [N, K], got " + logits.shape());
        }
        int n = logits.shape().dim(0);
        expect(op, "labels", labels, Shape.of(n));
        expect(op, "probs", probs, logits.shape());
        expect(op, "losses", losses, Shape.of(n));
    }

    public static void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, Tensor dlogits) {
        String op = "softmaxCrossEntropyBackward";
        expect(op, "labels", labels, Shape.of(probs.shape().dim(0)));
        expect(op, "dlogits", dlogits, probs.shape());
    }

    /** Rows of at least 2 values; {@code z} (optional) like {@code x}, {@code mean} and {@code invStd} one per row. */
    public static void rowStandardize(Tensor x, Tensor z, Tensor mean, Tensor invStd) {
        String op = "rowStandardize";
        int r = x.shape().dim(0), n = x.shape().rowLength();
        if (n < 2) {
            throw new ShapeMismatchException(op + ": rows need at least 2 values, got " + x.shape());
        }
        if (z != null) {
            expect(op, "z", z, x.shape());
        }
        expect(op, "mean", mean, Shape.of(r));
        expect(op, "invStd", invStd, Shape.of(r));
    }

    /** Packed input and weights, output, and the optional per-channel affine of a binary convolution. */
    public static void binaryConvolution(ConvGeometry g, Tensor xBits, Tensor wBits, Tensor scale, Tensor bias, Tensor y) {
        String op = "binaryConv2d";
        expect(op, "xBits", xBits, g.packedInputShape());
        expect(op, "wBits", wBits, g.packedWeightShape());
        expect(op, "y", y, g.outputShape());
        if (scale != null) {
            expect(op, "scale", scale, Shape.of(g.outChannels()));
        }
        if (bias != null) {
            expect(op, "bias", bias, Shape.of(g.outChannels()));
        }
    }

    /** A row-view kernel's per-row tensor ({@code [R]}) and its output shaped as the input. Returns the rows. */
    public static int perRow(String op, Tensor x, Tensor perRow, Tensor y) {
        int r = x.shape().dim(0);
        expect(op, "per-row tensor", perRow, Shape.of(r));
        if (y != null) {
            expect(op, "y", y, x.shape());
        }
        return r;
    }

    /** Weights a binarizer accepts: {@code [Co, Ci, kh, kw]} with at least 2 values per channel. Returns {@code Co}. */
    public static int binarizedWeights(Shape weightShape) {
        if (weightShape.rank() != 4 || weightShape.rowLength() < 2) {
            throw new SimanException("binarized weights must be [Co, Ci, kh, kw] with at least 2 values per channel, got " + weightShape);
        }
        return weightShape.dim(0);
    }

    /** {@code magnitudePercentiles}: percents in [0, 100], two bounds. */
    public static void magnitudePercentiles(Tensor x, float lowPercent, float highPercent, Tensor bounds) {
        String op = "magnitudePercentiles";
        if (!(lowPercent >= 0f && lowPercent <= 100f && highPercent >= 0f && highPercent <= 100f)) {
            throw new SimanException(op + ": percents must be in [0, 100], got " + lowPercent + " and " + highPercent);
        }
        expect(op, "bounds", bounds, Shape.of(2));
    }

    /** {@code clampMagnitudes} and {@code maskByMagnitude}: an operand and the output shaped as {@code x}. */
    public static void sameShape(String op, Tensor x, Tensor a, Tensor y) {
        expect(op, "operand", a, x.shape());
        expect(op, "y", y, x.shape());
    }

    /** {@code copyChannels}: rank-4 tensors of one batch and plane, channel ranges inside both. */
    public static void copyChannels(Tensor src, int srcChannel, Tensor dst, int dstChannel, int count) {
        Shape s = src.shape(), d = dst.shape();
        if (s.rank() != 4 || d.rank() != 4 || s.dim(0) != d.dim(0) || s.dim(2) != d.dim(2) || s.dim(3) != d.dim(3)) {
            throw new ShapeMismatchException("copyChannels: needs [N, C, H, W] tensors of the same N, H and W, got " + s + " and " + d);
        }
        if (count < 0 || srcChannel < 0 || dstChannel < 0 || srcChannel + count > s.dim(1) || dstChannel + count > d.dim(1)) {
            throw new ShapeMismatchException("copyChannels: channels [" + srcChannel + ", " + (srcChannel + count) + ") of " + s
                    + " to [" + dstChannel + ", " + (dstChannel + count) + ") of " + d + " fall outside");
        }
    }

    /**
     * The tensor as backend {@code owner}'s own implementation {@code type}, open, of type {@code dtype}: what every
     * backend checks of the tensors it is handed.
     */
    public static <T extends Tensor> T own(Backend owner, Class<T> type, Tensor t, DType dtype) {
        if (t == null) {
            throw new SimanException("missing tensor (null) where a " + dtype + " tensor is required");
        }
        if (!type.isInstance(t) || t.backend() != owner) {
            throw new SimanException("tensor " + t + " belongs to another backend (" + t.backend().name() + ")");
        }
        if (t.isClosed()) {
            throw new SimanException("tensor " + t + " was used after it was closed");
        }
        if (t.dtype() != dtype) {
            throw new ShapeMismatchException("tensor " + t + " has type " + t.dtype() + ", expected " + dtype);
        }
        return type.cast(t);
    }

    /** {@code length} values written into {@code t} must fill it exactly. */
    public static void writeLength(Tensor t, int length) {
        if (t.shape().size() != length) {
            throw new ShapeMismatchException("cannot write " + length + " values into a tensor of shape " + t.shape());
        }
    }
}
