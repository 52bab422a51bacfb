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
}
