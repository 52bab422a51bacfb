package io.siman.api;

/**
 * A compute backend: memory for tensors plus the {@link Kernels}. Tensors of one backend are used only
 * with that backend's kernels. A backend is safe for concurrent allocation; kernels may be called from
 * several threads as long as each call's output tensors are not shared.
 */
public interface Backend extends AutoCloseable {
    /** The provider name that created this backend. */
    String name();

    DeviceInfo device();

    /**
     * Which implementations this backend's kernels took on this machine, and where it chooses between several (vector
     * width, popcount strategy...), for benchmark reports and {@code siman backends}; empty where there is one.
     */
    default String kernelPath() {
        return "";
    }

    /** Number of worker threads kernels use. */
    int threads();

    /** The core kernels; the capability groups are {@link #kernels(Class)}. */
    Kernels kernels();

    /**
     * The kernels of capability group {@code group} ({@link TrainingKernels}, {@link BitwiseKernels}, see
     * {@link KernelGroup}), or a {@link MissingKernelsException} whose one-line message names this backend and the group.
     */
    default <G> G kernels(Class<G> group) {
        return KernelGroup.require(this, group);
    }

    /** Allocates a zero-filled tensor. */
    Tensor allocate(DType dtype, Shape shape);

    default Tensor allocate(Shape shape) {
        return allocate(DType.FLOAT32, shape);
    }

    /** Copies host data into a new tensor; {@code data.length} must equal the shape's size. */
    default Tensor upload(float[] data, Shape shape) {
        return filled(allocate(DType.FLOAT32, shape), t -> write(t, data));
    }

    default Tensor upload(int[] data, Shape shape) {
        return filled(allocate(DType.INT32, shape), t -> write(t, data));
    }

    default Tensor upload(long[] data, Shape shape) {
        return filled(allocate(DType.INT64, shape), t -> write(t, data));
    }

    /** {@code t} after {@code write}, or closed when the write fails (a wrong length must not leak a buffer). */
    private static Tensor filled(Tensor t, java.util.function.Consumer<Tensor> write) {
        try {
            write.accept(t);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** Overwrites an existing tensor with host data of the same size. */
    void write(Tensor dst, float[] data);

    void write(Tensor dst, int[] data);

    void write(Tensor dst, long[] data);

    float[] downloadFloats(Tensor src);

    int[] downloadInts(Tensor src);

    long[] downloadLongs(Tensor src);

    /** Tensors allocated and not yet closed: a leak check for tests and long runs. */
    long liveTensors();

    /** Releases the backend's threads and any device resources; tensors must not be used afterwards. */
    @Override
    void close();
}
