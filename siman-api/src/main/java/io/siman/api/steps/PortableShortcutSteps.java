package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.KernelShapes;
import io.siman.api.PoolGeometry;
import io.siman.api.Shape;
import io.siman.api.Tensor;

/**
 * {@link ShortcutSteps} on the core kernels: {@code x[:, :, ::2, ::2]} is a 1x1 average pooling of stride 2 (a
 * division by 1, so exact), placed between the zero channels with {@code copyChannels}.
 */
final class PortableShortcutSteps extends PortableSteps implements ShortcutSteps {
    PortableShortcutSteps(Backend backend) {
        super(backend);
    }

    private static PoolGeometry subsampling(Shape x) {
        return PoolGeometry.of(x, 1, 2, 0);
    }

    @Override
    public void shortcutA(Tensor x, Tensor y) {
        int pad = KernelShapes.shortcutPadding("shortcutA", x.shape(), y.shape());
        PoolGeometry g = subsampling(x.shape());
        try (Tensor sub = temporary(g.outputShape())) {
            k.avgPool2d(g, x, sub);
            k.fill(y, 0f);
            k.copyChannels(sub, 0, y, pad, x.shape().dim(1));
        }
    }

    @Override
    public void shortcutABackward(Tensor dy, Tensor dx) {
        int pad = KernelShapes.shortcutPadding("shortcutABackward", dx.shape(), dy.shape());
        PoolGeometry g = subsampling(dx.shape());
        try (Tensor sub = temporary(g.outputShape())) {
            k.copyChannels(dy, pad, sub, 0, dx.shape().dim(1));
            training().avgPool2dBackward(g, sub, dx);
        }
    }
}
