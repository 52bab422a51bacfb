package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.DType;
import io.siman.api.PoolGeometry;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;

/** Max pooling with a square window. */
public final class MaxPool2d extends LayerBase {
    final int kernel, stride, padding;
    private final Work out = work(), argmax = work(), dx = work();
    private PoolGeometry g;

    public MaxPool2d(Backend backend, String name, int kernel, int stride, int padding) {
        super(backend, name);
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        return graph.maxPool(name(), x, kernel, stride, padding);
    }

    @Override
    public Shape outputShape(Shape input) {
        requireRank(name(), input, 4);
        return PoolGeometry.of(input, kernel, stride, padding).outputShape();
    }

    @Override
    protected Tensor computeForward(Tensor x, TrainingProgress progress) {
        requireRank(name(), x.shape(), 4);
        g = PoolGeometry.of(x.shape(), kernel, stride, padding);
        Tensor y = out.get(g.outputShape());
        k.maxPool2d(g, x, y, argmax.get(DType.INT32, g.outputShape()));
        return y;
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        requireForward(g, name());
        Tensor d = dx.get(g.inputShape());
        training().maxPool2dBackward(g, dy, argmax.get(DType.INT32, g.outputShape()), d);
        return d;
    }
}
