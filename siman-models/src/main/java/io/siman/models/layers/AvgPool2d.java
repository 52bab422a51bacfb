package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.PoolGeometry;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;

/** Average pooling; {@link #global} pools each channel to one value and flattens to [N, C]. */
public final class AvgPool2d extends LayerBase {
    final int kernel, stride;
    final boolean global;
    private final Work out = work(), flat = work(), pooledGrad = work(), dx = work();
    private PoolGeometry g;

    private AvgPool2d(Backend backend, String name, int kernel, int stride, boolean global) {
        super(backend, name);
        this.kernel = kernel;
        this.stride = stride;
        this.global = global;
    }

    /** A fixed window, output [N, C, H', W']. */
    public static AvgPool2d window(Backend backend, String name, int kernel, int stride) {
        return new AvgPool2d(backend, name, kernel, stride, false);
    }

    /** Global average pooling, output [N, C]. */
    public static AvgPool2d global(Backend backend, String name) {
        return new AvgPool2d(backend, name, 0, 1, true);
    }

    private PoolGeometry geometry(Shape input) {
        requireRank(name(), input, 4);
        return global ? PoolGeometry.global(input) : PoolGeometry.of(input, kernel, stride, 0);
    }

    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        return global ? graph.globalAvgPool(name(), x) : graph.avgPool(name(), x, kernel, stride);
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape s = geometry(input).outputShape();
        return global ? Shape.of(s.dim(0), s.dim(1)) : s;
    }

    @Override
    protected Tensor computeForward(Tensor x, TrainingProgress progress) {
        g = geometry(x.shape());
        Tensor y = out.get(g.outputShape());
        k.avgPool2d(g, x, y);
        if (!global) {
            return y;
        }
        Tensor f = flat.get(Shape.of(g.batch(), g.channels()));
        k.copy(y, f);
        return f;
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        requireForward(g, name());
        Tensor pooled = dy;
        if (global) {
            pooled = pooledGrad.get(g.outputShape());
            k.copy(dy, pooled);
        }
        Tensor d = dx.get(g.inputShape());
        training().avgPool2dBackward(g, pooled, d);
        return d;
    }
}
