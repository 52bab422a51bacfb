package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;

/** ResNet option-A shortcut: {@code x[:, :, ::2, ::2]} padded with {@code planes/4} zero channels each side. */
public final class ShortcutA extends LayerBase {
    final int pad;
    private final Work out = work(), dx = work();
    private Shape inShape;

    public ShortcutA(Backend backend, String name, int planes) {
        super(backend, name);
        this.pad = planes / 4;
    }

    @Override
    public Shape outputShape(Shape s) {
        requireRank(name(), s, 4);
        return Shape.of(s.dim(0), s.dim(1) + 2 * pad, (s.dim(2) + 1) / 2, (s.dim(3) + 1) / 2);
    }

    @Override
    protected Tensor computeForward(Tensor x, TrainingProgress progress) {
        inShape = x.shape();
        Tensor y = out.get(outputShape(inShape));
        k.shortcutA(x, y);
        return y;
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        requireForward(inShape, name());
        Tensor d = dx.get(inShape);
        k.shortcutABackward(dy, d);
        return d;
    }
}
