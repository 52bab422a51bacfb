package io.siman.models.binarizers;

import io.siman.api.Backend;
import io.siman.api.KernelShapes;
import io.siman.api.SimanException;
import io.siman.api.Shape;
import io.siman.api.Tensor;

import java.util.ArrayList;
import java.util.List;

/** The tensors one binarized layer's weight step owns, released together. */
final class Buffers implements AutoCloseable {
    private final Backend backend;
    private final List<Tensor> tensors = new ArrayList<>();

    Buffers(Backend backend) {
        this.backend = backend;
    }

    Tensor allocate(Shape shape) {
        Tensor t = backend.allocate(shape);
        tensors.add(t);
        return t;
    }

    /** Output channels of a weight shape {@code [Co, Ci, kh, kw]}, checked. */
    static int outChannels(Shape weightShape) {
        return KernelShapes.binarizedWeights(weightShape);
    }

    @Override
    public void close() {
        tensors.forEach(Tensor::close);
        tensors.clear();
    }
}
