package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.api.steps.ShortcutSteps;

/** ResNet option-A shortcut: {@code x[:, :, ::2, ::2]} padded with {@code planes/4} zero channels each side. */
public final class ShortcutA extends LayerBase {
    final int pad;
    private final Work out = work(), dx = work();
    private final ShortcutSteps steps;
    private Shape inShape;

    public ShortcutA(Backend backend, String name, int planes) {
        super(backend, name);
        this.pad = planes / 4;
        this.steps = ShortcutSteps.of(backend);
    }

    @Override
    public Shape outputShape(Shape s) {
        requireRank(name(), s, 4);
        return Shape.of(s.dim(0), s.dim(1) + 2 * pad, (s.dim(2) + 1) / 2, (s.dim(3) + 1) / 2);
    }

    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        return graph.shortcutA(name(), x, pad);
    }

    @Override
    protected Tensor computeForward(Tensor x, TrainingProgress progress) {
        inShape = x.shape();
        Tensor y = out.get(outputShape(inShape));
        steps.shortcutA(x, y);
        return y;
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        requireForward(inShape, name());
        Tensor d = dx.get(inShape);
        steps.shortcutABackward(dy, d);
        return d;
    }
}
