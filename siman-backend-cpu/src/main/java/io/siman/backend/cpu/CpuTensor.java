package io.siman.backend.cpu;

import io.siman.api.Backend;
import io.siman.api.DType;
import io.siman.api.Shape;
import io.siman.api.Tensor;

/** A tensor in a Java array of the CPU backend's heap. Exactly one of the three arrays is set. */
final class CpuTensor implements Tensor {
    private final CpuBackend backend;
    private final Shape shape;
    private final DType dtype;
    float[] f;
    int[] i;
    long[] l;
    private volatile boolean closed;
    /** Counts writes to an INT64 tensor, so kernels may keep what they derive from its bits until it changes. */
    private volatile int version;

    CpuTensor(CpuBackend backend, DType dtype, Shape shape) {
        this.backend = backend;
        this.shape = shape;
        this.dtype = dtype;
        int n = shape.intSize();
        switch (dtype) {
            case FLOAT32 -> f = new float[n];
            case INT32 -> i = new int[n];
            case INT64 -> l = new long[n];
        }
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

    int version() {
        return version;
    }

    /** Marks the contents as changed; every write to an INT64 tensor calls this. */
    void changed() {
        version++;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            f = null;
            i = null;
            l = null;
            backend.released();
        }
    }

    @Override
    public String toString() {
        return "CpuTensor" + shape + " " + dtype + (closed ? " (closed)" : "");
    }
}
