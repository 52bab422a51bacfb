package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.Kernels;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;

/**
 * The option-A shortcut of the CIFAR ResNets. A step family: {@link #of} gives the backend's own version when its kernels implement this interface,
 * else the portable default, written once on the core kernels: a 1x1 average pooling of stride 2 ({@link Kernels#avgPool2d}, exact), {@link Kernels#fill} and {@link Kernels#copyChannels}; backward with {@link TrainingKernels#avgPool2dBackward}.
 */
public interface ShortcutSteps {

    /**
     * {@code y = x[:, :, ::2, ::2]} with {@code p = (C_y - C_x) / 2} zero channels before and after:
     * {@code x[N, C, H, W]}, {@code y[N, C + 2p, ceil(H/2), ceil(W/2)]}.
     */
    void shortcutA(Tensor x, Tensor y);

    /** Gradient of {@link #shortcutA}; positions of {@code dx} that were skipped get 0. */
    void shortcutABackward(Tensor dy, Tensor dx);

    /** The steps of {@code backend}: its own when it implements them, else {@link #portable}. */
    static ShortcutSteps of(Backend backend) {
        return Steps.of(backend, ShortcutSteps.class, PortableShortcutSteps::new);
    }

    /** The portable default on {@code backend}'s core kernels (for tests and for backends that lack their own). */
    static ShortcutSteps portable(Backend backend) {
        return new PortableShortcutSteps(backend);
    }
}
