package io.siman.backend.gpu;

import io.siman.api.Backend;
import io.siman.api.DType;
import io.siman.api.KernelShapes;
import io.siman.api.DeviceInfo;
import io.siman.api.Kernels;
import io.siman.api.Shape;
import io.siman.api.SimanException;
import io.siman.api.Tensor;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_mem;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The OpenCL backend: tensors are device buffers, kernels are OpenCL C programs compiled once for the context.
 * Tensors stay on the device between kernels; only {@link #upload}, {@link #write} and the downloads move data.
 * One in-order command queue; the calls that move data to the host wait for it, so results are complete when
 * they come back. Safe for concurrent use (kernel launches are serialized, as the device runs them anyway).
 */
final class OpenClBackend implements Backend {
    private final DeviceInfo device;
    private final cl_context context;
    private final cl_command_queue queue;
    private final OpenClKernels kernels;
    private final AtomicLong live = new AtomicLong();
    private volatile boolean closed;

    OpenClBackend(OpenClDevices.Found found) {
        this.device = found.info();
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL.CL_CONTEXT_PLATFORM, found.platform());
        this.context = CL.clCreateContext(props, 1, new cl_device_id[]{found.device()}, null, null, null);
        try {
            this.queue = CL.clCreateCommandQueue(context, found.device(), 0, null);
            this.kernels = new OpenClKernels(this, context, queue, found.device());
        } catch (RuntimeException e) {
            CL.clReleaseContext(context);
            throw e;
        }
    }

    @Override
    public String name() {
        return OpenClBackendProvider.NAME;
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    /** One command queue: kernels run one after the other on the device. */
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
        long bytes = OpenClTensor.bytes(dtype, shape);
        cl_mem mem;
        try {
            mem = CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE, bytes, null, null);
        } catch (CLException e) {
            throw new SimanException("cannot allocate " + bytes + " bytes on " + device.name() + ": " + e.getMessage());
        }
        OpenClTensor t = new OpenClTensor(this, dtype, shape, mem);
        live.incrementAndGet();
        synchronized (kernels) {
            CL.clEnqueueFillBuffer(queue, mem, Pointer.to(new int[]{0}), Sizeof.cl_int, 0, bytes, 0, null, null);
        }
        return t;
    }

    @Override
    public void write(Tensor dst, float[] data) {
        OpenClTensor t = own(dst, DType.FLOAT32);
        KernelShapes.writeLength(dst, data.length);
        synchronized (kernels) {
            CL.clEnqueueWriteBuffer(queue, t.mem(), CL.CL_TRUE, 0, t.bytes(), Pointer.to(data), 0, null, null);
        }
    }

    @Override
    public void write(Tensor dst, int[] data) {
        OpenClTensor t = own(dst, DType.INT32);
        KernelShapes.writeLength(dst, data.length);
        synchronized (kernels) {
            CL.clEnqueueWriteBuffer(queue, t.mem(), CL.CL_TRUE, 0, t.bytes(), Pointer.to(data), 0, null, null);
        }
    }

    @Override
    public void write(Tensor dst, long[] data) {
        OpenClTensor t = own(dst, DType.INT64);
        KernelShapes.writeLength(dst, data.length);
        synchronized (kernels) {
            CL.clEnqueueWriteBuffer(queue, t.mem(), CL.CL_TRUE, 0, t.bytes(), Pointer.to(data), 0, null, null);
        }
    }

    @Override
    public float[] downloadFloats(Tensor src) {
        OpenClTensor t = own(src, DType.FLOAT32);
        float[] out = new float[src.shape().intSize()];
        synchronized (kernels) {
            CL.clEnqueueReadBuffer(queue, t.mem(), CL.CL_TRUE, 0, t.bytes(), Pointer.to(out), 0, null, null);
        }
        return out;
    }

    @Override
    public int[] downloadInts(Tensor src) {
        OpenClTensor t = own(src, DType.INT32);
        int[] out = new int[src.shape().intSize()];
        synchronized (kernels) {
            CL.clEnqueueReadBuffer(queue, t.mem(), CL.CL_TRUE, 0, t.bytes(), Pointer.to(out), 0, null, null);
        }
        return out;
    }

    @Override
    public long[] downloadLongs(Tensor src) {
        OpenClTensor t = own(src, DType.INT64);
        long[] out = new long[src.shape().intSize()];
        synchronized (kernels) {
            CL.clEnqueueReadBuffer(queue, t.mem(), CL.CL_TRUE, 0, t.bytes(), Pointer.to(out), 0, null, null);
        }
        return out;
    }

    @Override
    public long liveTensors() {
        return live.get();
    }

    void released() {
        live.decrementAndGet();
    }

    /** Releases the program, kernels, queue and context; tensors still open are released with the context. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (kernels) {
            CL.clFinish(queue);
            kernels.release();
            CL.clReleaseCommandQueue(queue);
            CL.clReleaseContext(context);
        }
    }

    /** The tensor as this backend's own, open, of the given type. */
    OpenClTensor own(Tensor t, DType dtype) {
        return KernelShapes.own(this, OpenClTensor.class, t, dtype);
    }
}
