package io.siman.backend.gpu;

import io.siman.api.Backend;
import io.siman.api.DType;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import org.jocl.CL;
import org.jocl.cl_mem;

/** A tensor in an OpenCL buffer of the device's memory; released on {@link #close()}. */
final class OpenClTensor implements Tensor {
    private final OpenClBackend backend;
    private final Shape shape;
    private final DType dtype;
    private cl_mem mem;

    OpenClTensor(OpenClBackend backend, DType dtype, Shape shape, cl_mem mem) {
        this.backend = backend;
        this.shape = shape;
        this.dtype = dtype;
        this.mem = mem;
    }

    static long bytes(DType dtype, Shape shape) {
        return shape.size() * switch (dtype) {
            case FLOAT32, INT32 -> 4L;
            case INT64 -> 8L;
        };
    }

    long bytes() {
        return bytes(dtype, shape);
    }

    cl_mem mem() {
        return mem;
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
        return backend;
    }

    @Override
    public synchronized boolean isClosed() {
        return mem == null;
    }

    @Override
    public synchronized void close() {
        if (mem != null) {
            CL.clReleaseMemObject(mem);
            mem = null;
            backend.released();
        }
    }

    @Override
    public String toString() {
        return "OpenClTensor" + shape + " " + dtype + (mem == null ? " (closed)" : "");
    }
}
