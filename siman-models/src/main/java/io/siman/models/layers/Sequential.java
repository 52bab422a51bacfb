package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.Layer;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;

import java.util.ArrayList;
import java.util.List;

/** Layers applied in order; backward in reverse. */
public final class Sequential extends LayerBase {
    private final List<Layer> layers = new ArrayList<>();

    public Sequential(Backend backend, String name) {
        super(backend, name);
    }

    public <L extends Layer> L add(L layer) {
        layers.add(child(layer));
        return layer;
    }

    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        for (Layer l : layers) {
            x = describe(l, graph, x);
        }
        return x;
    }

    public List<Layer> layers() {
        return List.copyOf(layers);
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape s = input;
        for (Layer l : layers) {
            s = l.outputShape(s);
        }
        return s;
    }

    @Override
    protected Tensor computeForward(Tensor x, TrainingProgress progress) {
        Tensor t = x;
        for (Layer l : layers) {
            t = l.forward(t, progress);
        }
        return t;
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        Tensor t = dy;
        for (int i = layers.size() - 1; i >= 0 && t != null; i--) {
            t = layers.get(i).backward(t);
        }
        return t;
    }
}
