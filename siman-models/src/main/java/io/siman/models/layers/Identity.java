package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;

/** Passes its input through: stands where a batch norm was folded into the preceding bitwise convolution. */
public final class Identity extends LayerBase {
    public Identity(Backend backend, String name) {
        super(backend, name);
    }

    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        return x;
    }

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }

    @Override
    protected Tensor computeForward(Tensor x, TrainingProgress progress) {
        return x;
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        return dy;
    }
}
