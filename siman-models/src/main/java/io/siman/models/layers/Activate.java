package io.siman.models.layers;

import io.siman.api.Activation;
import io.siman.api.Backend;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;

/** ReLU or hardtanh. */
public final class Activate extends LayerBase {
    final Activation kind;
    private final Work out = work(), dx = work();
    private Tensor x;

    public Activate(Backend backend, String name, Activation kind) {
        super(backend, name);
        this.kind = kind;
    }

    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        return graph.activation(name(), x, kind);
    }

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }

    @Override
    protected Tensor computeForward(Tensor input, TrainingProgress progress) {
        x = input;
        Tensor y = out.get(input.shape());
        k.activation(kind, input, y);
        return y;
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        requireForward(x, name());
        Tensor d = dx.get(x.shape());
        training().activationBackward(kind, x, dy, d);
        return d;
    }
}
