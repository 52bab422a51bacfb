package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;

/** [N, C, H, W] to [N, C*H*W], as PyTorch's {@code view(N, -1)}. */
public final class Flatten extends LayerBase {
    private final Work out = work(), dx = work();
    private Shape inShape;

    public Flatten(Backend backend, String name) {
        super(backend, name);
    }

    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        return graph.flatten(name(), x);
    }

    @Override
    public Shape outputShape(Shape input) {
        return Shape.of(input.dim(0), input.rowLength());
    }

    @Override
    protected Tensor computeForward(Tensor x, TrainingProgress progress) {
        inShape = x.shape();
        Tensor y = out.get(outputShape(inShape));
        k.copy(x, y);
        return y;
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        requireForward(inShape, name());
        Tensor d = dx.get(inShape);
        k.copy(dy, d);
        return d;
    }
}
