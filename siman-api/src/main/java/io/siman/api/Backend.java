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

    /**
     * How many independent tasks {@link #runTasks} runs side by side: 1 (the default) where a kernel call is the unit
     * of parallel work, as on a device; the CPU backend gives its thread count.
     */
    default int taskParallelism() {
        return 1;
    }

    /**
     * How many bytes of a layer's output one thread's kernels work on from cache, for callers that size their work by
     * it (a {@code Predictor} runs a large batch as micro-batches whose layer outputs fit); 0, the default, where a
     * batch is best sent whole, as to a device.
     */
    default long cacheBytesPerThread() {
        return 0;
    }

    /**
     * Runs {@code task.accept(i)} for every {@code i} in {@code [0, tasks)}, up to {@link #taskParallelism} at a time,
     * each on one of the backend's threads with the kernels it calls running on that thread alone (the parts of a batch
     * each going through a whole network, each from one core's cache); returns when all have finished, rethrowing the
     * first failure. The default runs them one after another on the calling thread.
     */
    default void runTasks(int tasks, java.util.function.IntConsumer task) {
        for (int i = 0; i < tasks; i++) {
            task.accept(i);
        }
    }

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
