package io.siman.backend.tornado;

import io.siman.api.Backend;
import io.siman.api.DType;
import io.siman.api.DeviceInfo;
import io.siman.api.KernelShapes;
import io.siman.api.Kernels;
import io.siman.api.Shape;
import io.siman.api.Tensor;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code tornado} backend: tensors are ranges of the device pools of the JVM's one {@link TornadoEngine}, the
 * kernels TornadoVM tasks. Backends of one JVM share the engine (TornadoVM's device state is process-wide); each
 * counts and releases its own tensors.
 */
final class TornadoBackend implements Backend {
    private final TornadoEngine engine;
    private final DeviceInfo device;
    private final TornadoKernels kernels;
    private final AtomicLong live = new AtomicLong();

    TornadoBackend(TornadoEngine engine, DeviceInfo device) {
        this.engine = engine;
        this.device = device;
        this.kernels = new TornadoKernels(this, engine);
    }

    TornadoTensor own(Tensor t, DType dtype) {
        return KernelShapes.own(this, TornadoTensor.class, t, dtype);
    }

    private PoolAllocator pool(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> engine.floatPool;
            case INT32 -> engine.intPool;
            case INT64 -> engine.longPool;
        };
    }

    private static int type(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> 0;
            case INT32 -> 1;
            case INT64 -> 2;
        };
    }

    @Override
    public String name() {
        return TornadoBackendProvider.NAME;
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public Kernels kernels() {
        return kernels;
    }

    @Override
    public Tensor allocate(DType dtype, Shape shape) {
        int offset = pool(dtype).allocate(shape.size());
        TornadoTensor t = new TornadoTensor(this, dtype, shape, offset);
        live.incrementAndGet();
        // pools are reused: a fresh tensor is zero, as the contract says
        if (dtype == DType.FLOAT32) {
            engine.run("fill", shape.size(), new int[]{offset, shape.intSize()}, 0f);
        } else {
            zeroWithCopy(t);
        }
        return t;
    }

    /** Integer pools are zeroed from the host (they are small: labels, argmax, packed bits). */
    private void zeroWithCopy(TornadoTensor t) {
        int n = t.shape.intSize();
        engine.write(type(t.dtype), t.offset, t.dtype == DType.INT32 ? new int[n] : new long[n], n);
    }

    void release(TornadoTensor t) {
        pool(t.dtype).release(t.offset, t.shape.size());
        live.decrementAndGet();
    }

    @Override
    public void write(Tensor dst, float[] data) {
        KernelShapes.writeLength(dst, data.length);
        engine.write(0, own(dst, DType.FLOAT32).offset, data, data.length);
    }

    @Override
    public void write(Tensor dst, int[] data) {
        KernelShapes.writeLength(dst, data.length);
        engine.write(1, own(dst, DType.INT32).offset, data, data.length);
    }

    @Override
    public void write(Tensor dst, long[] data) {
        KernelShapes.writeLength(dst, data.length);
        engine.write(2, own(dst, DType.INT64).offset, data, data.length);
    }

    @Override
    public float[] downloadFloats(Tensor src) {
        TornadoTensor t = own(src, DType.FLOAT32);
        float[] out = new float[t.shape.intSize()];
        engine.read(0, t.offset, out, out.length);
        return out;
    }

    @Override
    public int[] downloadInts(Tensor src) {
        TornadoTensor t = own(src, DType.INT32);
        int[] out = new int[t.shape.intSize()];
        engine.read(1, t.offset, out, out.length);
        return out;
    }

    @Override
    public long[] downloadLongs(Tensor src) {
        TornadoTensor t = own(src, DType.INT64);
        long[] out = new long[t.shape.intSize()];
        engine.read(2, t.offset, out, out.length);
        return out;
    }

    @Override
    public long liveTensors() {
        return live.get();
    }

    @Override
    public void close() {
        // the engine is the JVM's; tensors still open are the caller's leak, counted by liveTensors()
    }
}
