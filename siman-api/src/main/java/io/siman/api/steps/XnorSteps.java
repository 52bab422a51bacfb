package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.Kernels;
import io.siman.api.Tensor;

/**
 * XNOR-Net's weight steps (docs/method.md section 4). A step family: {@link #of} gives the backend's own version when its kernels implement this interface,
 * else the portable default, written once on the core kernels: {@link Kernels#rowAbsMean}, {@link Kernels#sign}, {@link Kernels#rowScale} and {@link Kernels#maskByMagnitude}.
 */
public interface XnorSteps {

    /** XNOR-Net: {@code scale[r] = mean(|w_r|)}, {@code s = sign(w) * scale[r]}. */
    void xnorWeights(Tensor w, Tensor s, Tensor scale);

    /** Clipped straight-through: {@code dw = ds * scale[r]} where {@code |w| <= limit}, else 0. */
    void clippedStraightThrough(Tensor w, Tensor ds, Tensor scale, float limit, Tensor dw);

    /** The steps of {@code backend}: its own when it implements them, else {@link #portable}. */
    static XnorSteps of(Backend backend) {
        return Steps.of(backend, XnorSteps.class, PortableXnorSteps::new);
    }

    /** The portable default on {@code backend}'s core kernels (for tests and for backends that lack their own). */
    static XnorSteps portable(Backend backend) {
        return new PortableXnorSteps(backend);
    }
}
