package io.siman.api;

import java.util.Arrays;

/**
 * The dimensions of a tensor, outermost first (images are {@code [N, C, H, W]}). Immutable.
 * The one place where the output-size rule of convolution and pooling is written.
 */
public final class Shape {
    private final int[] dims;
    private final long size;

    private Shape(int[] dims) {
        long n = 1;
        for (int d : dims) {
            if (d < 0) {
                throw new ShapeMismatchException("negative dimension in shape " + Arrays.toString(dims));
            }
            n = Math.multiplyExact(n, d);
        }
        this.dims = dims;
        this.size = n;
    }

    public static Shape of(int... dims) {
        return new Shape(dims.clone());
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int axis) {
        return dims[axis < 0 ? dims.length + axis : axis];
    }

    public int[] dims() {
        return dims.clone();
    }

    /** Number of elements. */
    public long size() {
        return size;
    }

    /** Number of elements, checked to fit an array index. */
    public int intSize() {
        if (size > Integer.MAX_VALUE - 8) {
            throw new ShapeMismatchException("tensor of shape " + this + " is too large (" + size + " elements)");
        }
        return (int) size;
    }

    /** Product of all dimensions after the first: the row length when the tensor is read as a matrix. */
    public int rowLength() {
        if (dims.length == 0) {
            return 1;
        }
        return Math.toIntExact(size / Math.max(1, dims[0]));
    }

    /**
     * Output length of a sliding window: {@code floor((in + 2*pad - kernel) / stride) + 1}.
     *
     * @throws ShapeMismatchException when the window does not fit
     */
    public static int slidingOutput(int in, int kernel, int stride, int pad) {
        if (kernel < 1 || stride < 1 || pad < 0) {
            throw new ShapeMismatchException("bad window: kernel " + kernel + ", stride " + stride + ", padding " + pad);
        }
        int span = in + 2 * pad - kernel;
        if (span < 0) {
            throw new ShapeMismatchException("window of " + kernel + " does not fit input of " + in + " with padding " + pad);
        }
        return span / stride + 1;
    }

    /** Number of 64-bit words that hold {@code bits} bits. */
    public static int words(int bits) {
        return (bits + 63) >>> 6;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            b.append(i == 0 ? "" : ", ").append(dims[i]);
        }
        return b.append(']').toString();
    }
}
