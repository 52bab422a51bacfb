package io.siman.api;

/**
 * Shapes of one 2-D convolution: input {@code [batch, inChannels, inHeight, inWidth]}, weights
 * {@code [outChannels, inChannels, kernelH, kernelW]}, output {@code [batch, outChannels, outHeight, outWidth]}.
 * Square strides and symmetric zero padding, as every network of the zoo uses.
 */
public record ConvGeometry(int batch, int inChannels, int inHeight, int inWidth,
                           int outChannels, int kernelH, int kernelW, int stride, int padding) {
    public ConvGeometry {
        if (batch < 1 || inChannels < 1 || inHeight < 1 || inWidth < 1 || outChannels < 1) {
            throw new ShapeMismatchException("convolution needs positive sizes, got batch " + batch + ", "
                    + inChannels + "x" + inHeight + "x" + inWidth + " -> " + outChannels + " channels");
        }
        Shape.slidingOutput(inHeight, kernelH, stride, padding);
        Shape.slidingOutput(inWidth, kernelW, stride, padding);
    }

    /** Geometry of a square-kernel convolution applied to an input of the given shape. */
    public static ConvGeometry of(Shape input, int outChannels, int kernel, int stride, int padding) {
        if (input.rank() != 4) {
            throw new ShapeMismatchException("convolution input must be [N, C, H, W], got " + input);
        }
        return new ConvGeometry(input.dim(0), input.dim(1), input.dim(2), input.dim(3),
                outChannels, kernel, kernel, stride, padding);
    }

    public int outHeight() {
        return Shape.slidingOutput(inHeight, kernelH, stride, padding);
    }

    public int outWidth() {
        return Shape.slidingOutput(inWidth, kernelW, stride, padding);
    }

    /** Taps per output value: {@code inChannels * kernelH * kernelW}. */
    public int fanIn() {
        return inChannels * kernelH * kernelW;
    }

    public Shape inputShape() {
        return Shape.of(batch, inChannels, inHeight, inWidth);
    }

    public Shape weightShape() {
        return Shape.of(outChannels, inChannels, kernelH, kernelW);
    }

    public Shape outputShape() {
        return Shape.of(batch, outChannels, outHeight(), outWidth());
    }

    /** Packed activations: {@code [batch, inHeight, inWidth, words(inChannels)]}, channels innermost. */
    public Shape packedInputShape() {
        return Shape.of(batch, inHeight, inWidth, Shape.words(inChannels));
    }

    /** Packed weights: {@code [outChannels, kernelH, kernelW, words(inChannels)]}, channels innermost. */
    public Shape packedWeightShape() {
        return Shape.of(outChannels, kernelH, kernelW, Shape.words(inChannels));
    }

    /** The same convolution for another batch size. */
    public ConvGeometry withBatch(int newBatch) {
        return new ConvGeometry(newBatch, inChannels, inHeight, inWidth, outChannels, kernelH, kernelW, stride, padding);
    }
}
