package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.Kernels;
import io.siman.api.Tensor;

/**
 * IR-Net's weight steps (docs/method.md section 4). A step family: {@link #of} gives the backend's own version when its kernels implement this interface,
 * else the portable default, written once on the core kernels: {@link Kernels#rowAbsMean}, {@link Kernels#sign} and {@link Kernels#rowScale}; the power-of-two rounding of the per-channel scale and the EDE gradient are computed on the host, through the backend's memory.
 */
public interface IrNetSteps {

    /** IR-Net: {@code scale[r] = 2^round(log2(mean(|z_r|)))}, {@code s = sign(z) * scale[r]}. */
    void irnetWeights(Tensor z, Tensor s, Tensor scale);

    /** IR-Net's EDE: {@code dz = ds * scale[r] * k * t * (1 - tanh(t z)^2)}. */
    void edeBackward(Tensor z, Tensor ds, Tensor scale, float t, float k, Tensor dz);

    /** The steps of {@code backend}: its own when it implements them, else {@link #portable}. */
    static IrNetSteps of(Backend backend) {
        return Steps.of(backend, IrNetSteps.class, PortableIrNetSteps::new);
    }

    /** The portable default on {@code backend}'s core kernels (for tests and for backends that lack their own). */
    static IrNetSteps portable(Backend backend) {
        return new PortableIrNetSteps(backend);
    }
}
