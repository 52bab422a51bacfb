package io.siman.backend.cpu;

import io.siman.api.Backend;
import io.siman.api.DType;
import io.siman.api.KernelShapes;
import io.siman.api.DeviceInfo;
import io.siman.api.Kernels;
import io.siman.api.Shape;
import io.siman.api.Tensor;

import java.util.concurrent.atomic.AtomicLong;

/** The CPU backend: tensors are Java arrays, kernels run on a private pool of worker threads. */
public final class CpuBackend implements Backend {
    private final DeviceInfo device;
    private final Parallel parallel;
    private final CpuKernels kernels;
    private final AtomicLong live = new AtomicLong();

    CpuBackend(int threads, DeviceInfo device, java.util.Map<String, String> properties) {
        this.device = device;
        this.parallel = new Parallel(threads);
        Vectorization.Choice path = Vectorization.choose(properties);
        this.kernels = new CpuKernels(this, parallel, path, CpuKernels.portableSteps(properties));
    }

    /** "scalar" or "vector N-bit": the path the float kernels take; then the bit kernels' popcount strategy. */
    @Override
    public String kernelPath() {
        return kernels.matMulPath() + "; bits: " + kernels.bitPath();
    }

    @Override
    public String name() {
        return CpuBackendProvider.NAME;
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    @Override
    public int threads() {
        return parallel.threads();
    }

    @Override
    public int taskParallelism() {
        return parallel.threads();
    }

    /**
     * A quarter of a 1 MB L2 (half of a 512 KB one): ResNet-20 at batch 64 ran 25-40% faster per thread in micro-batches
     * of 2 to 4 images than layer by layer over the whole batch, whose activations had streamed through memory.
     */
    @Override
    public long cacheBytesPerThread() {
        return 256 * 1024;
    }

    @Override
    public void runTasks(int tasks, java.util.function.IntConsumer task) {
        parallel.forEachTask(tasks, task);
    }

    @Override
    public Kernels kernels() {
        return kernels;
    }

    @Override
    public Tensor allocate(DType dtype, Shape shape) {
        CpuTensor t = new CpuTensor(this, dtype, shape);
        live.incrementAndGet();
        return t;
    }

    @Override
    public void write(Tensor dst, float[] data) {
        float[] a = own(dst, DType.FLOAT32).f;
        KernelShapes.writeLength(dst, data.length);
        System.arraycopy(data, 0, a, 0, a.length);
    }

    @Override
    public void write(Tensor dst, int[] data) {
        int[] a = own(dst, DType.INT32).i;
        KernelShapes.writeLength(dst, data.length);
        System.arraycopy(data, 0, a, 0, a.length);
    }

    @Override
    public void write(Tensor dst, long[] data) {
        CpuTensor t = own(dst, DType.INT64);
        KernelShapes.writeLength(dst, data.length);
        System.arraycopy(data, 0, t.l, 0, t.l.length);
        t.changed();
    }

    @Override
    public float[] downloadFloats(Tensor src) {
        return own(src, DType.FLOAT32).f.clone();
    }

    @Override
    public int[] downloadInts(Tensor src) {
        return own(src, DType.INT32).i.clone();
    }

    @Override
    public long[] downloadLongs(Tensor src) {
        return own(src, DType.INT64).l.clone();
    }

    @Override
    public long liveTensors() {
        return live.get();
    }

    @Override
    public void close() {
        parallel.close();
    }

    void released() {
        live.decrementAndGet();
    }

    /** The tensor as this backend's own, open, of the given type. */
    CpuTensor own(Tensor t, DType dtype) {
        return KernelShapes.own(this, CpuTensor.class, t, dtype);
    }
}
