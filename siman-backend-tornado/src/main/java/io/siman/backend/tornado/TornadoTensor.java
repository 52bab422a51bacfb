package io.siman.backend.tornado;

import io.siman.api.Backend;
import io.siman.api.DType;
import io.siman.api.Shape;
import io.siman.api.Tensor;

/** A range of one of the device pools. */
final class TornadoTensor implements Tensor {
    final TornadoBackend owner;
    final Shape shape;
    final DType dtype;
    /** Where the values start in the pool of their type. */
    final int offset;
    private boolean closed;

    TornadoTensor(TornadoBackend owner, DType dtype, Shape shape, int offset) {
        this.owner = owner;
        this.dtype = dtype;
        this.shape = shape;
        this.offset = offset;
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
    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        owner.release(this);
    }

    @Override
    public String toString() {
        return dtype + shape.toString() + "@tornado";
    }
}
