package io.siman.api;

/**
 * Shapes of one 2-D pooling: input {@code [batch, channels, inHeight, inWidth]}, a square window,
 * output {@code [batch, channels, outHeight, outWidth]}. Global average pooling is a window the size
 * of the input ({@link #global}).
 */
public record PoolGeometry(int batch, int channels, int inHeight, int inWidth, int kernel, int stride, int padding) {
    public PoolGeometry {
        if (batch < 1 || channels < 1 || inHeight < 1 || inWidth < 1) {
            throw new ShapeMismatchException("pooling needs positive sizes, got " + batch + "x" + channels + "x"
                    + inHeight + "x" + inWidth);
        }
        if (2 * padding > kernel) {
            throw new ShapeMismatchException("pooling padding " + padding + " is more than half the window " + kernel);
        }
        Shape.slidingOutput(inHeight, kernel, stride, padding);
        Shape.slidingOutput(inWidth, kernel, stride, padding);
    }

    public static PoolGeometry of(Shape input, int kernel, int stride, int padding) {
        if (input.rank() != 4) {
            throw new ShapeMismatchException("pooling input must be [N, C, H, W], got " + input);
        }
        return new PoolGeometry(input.dim(0), input.dim(1), input.dim(2), input.dim(3), kernel, stride, padding);
    }

    /** A window covering the whole (square) input: global average pooling. */
    public static PoolGeometry global(Shape input) {
        if (input.rank() != 4 || input.dim(2) != input.dim(3)) {
            throw new ShapeMismatchException("global pooling needs a square [N, C, H, W] input, got " + input);
        }
        return of(input, input.dim(2), 1, 0);
    }

    public int outHeight() {
        return Shape.slidingOutput(inHeight, kernel, stride, padding);
    }

    public int outWidth() {
        return Shape.slidingOutput(inWidth, kernel, stride, padding);
    }

    public Shape inputShape() {
        return Shape.of(batch, channels, inHeight, inWidth);
    }

    public Shape outputShape() {
        return Shape.of(batch, channels, outHeight(), outWidth());
    }
}
