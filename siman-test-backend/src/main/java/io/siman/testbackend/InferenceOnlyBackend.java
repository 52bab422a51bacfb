package io.siman.testbackend;

import io.siman.api.Backend;
import io.siman.api.DType;
import io.siman.api.DeviceInfo;
import io.siman.api.KernelShapes;
import io.siman.api.Kernels;
import io.siman.api.Shape;
import io.siman.api.Tensor;

import java.util.concurrent.atomic.AtomicLong;

/** Host arrays, one thread, and kernels that implement the core and the bitwise group only. */
final class InferenceOnlyBackend implements Backend {
    static final DeviceInfo DEVICE = new DeviceInfo("plain Java, one thread (test backend)", "cpu", 0, 1);

    private final AtomicLong live = new AtomicLong();
    private final InferenceOnlyKernels kernels = new InferenceOnlyKernels(this);

    /** A tensor of this backend: one host array of its type. */
    static final class HostTensor implements Tensor {
        final InferenceOnlyBackend owner;
        final Shape shape;
        final DType dtype;
        final float[] f;
        final int[] i;
        final long[] l;
        private boolean closed;

        HostTensor(InferenceOnlyBackend owner, DType dtype, Shape shape) {
            this.owner = owner;
            this.shape = shape;
            this.dtype = dtype;
            int n = shape.intSize();
            this.f = dtype == DType.FLOAT32 ? new float[n] : null;
            this.i = dtype == DType.INT32 ? new int[n] : null;
            this.l = dtype == DType.INT64 ? new long[n] : null;
        }

        @Override
        public Shape shape() {
            return shape;
        }

        @Override
        public DType dtype() {
            return dtype;
        }

        @Override
        public Backend backend() {
            return owner;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                owner.live.decrementAndGet();
            }
        }

        @Override
        public String toString() {
            return dtype + shape.toString();
        }
    }

    HostTensor own(Tensor t, DType dtype) {
        return KernelShapes.own(this, HostTensor.class, t, dtype);
    }

    @Override
    public String name() {
        return InferenceOnlyProvider.NAME;
    }

    @Override
    public DeviceInfo device() {
        return DEVICE;
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
        live.incrementAndGet();
        return new HostTensor(this, dtype, shape);
    }

    @Override
    public void write(Tensor dst, float[] data) {
        KernelShapes.writeLength(dst, data.length);
        System.arraycopy(data, 0, own(dst, DType.FLOAT32).f, 0, data.length);
    }

    @Override
    public void write(Tensor dst, int[] data) {
        KernelShapes.writeLength(dst, data.length);
        System.arraycopy(data, 0, own(dst, DType.INT32).i, 0, data.length);
    }

    @Override
    public void write(Tensor dst, long[] data) {
        KernelShapes.writeLength(dst, data.length);
        System.arraycopy(data, 0, own(dst, DType.INT64).l, 0, data.length);
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
        // nothing but host arrays
    }
}
