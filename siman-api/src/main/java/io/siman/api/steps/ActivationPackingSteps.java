package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.BitwiseKernels;
import io.siman.api.Kernels;
import io.siman.api.Tensor;

/**
 * A bitwise layer's input, binarized: each sample's mean over {@code C*H*W} and its signs at that mean, packed
 * (docs/method.md sections 2 and 3: {@code sign(a - mean(a))}). A step family: {@link #of} gives the backend's own version
 * when its kernels implement this interface (the CPU backend does both for one sample while it is in cache, so a
 * large batch is read from memory once rather than twice), else the portable default, written once:
 * {@link Kernels#rowMean} then {@link BitwiseKernels#packActivations}.
 */
public interface ActivationPackingSteps {

    /**
     * {@code mean = rowMean(x)} and {@code bits = packActivations(x, mean)}, with the same values as those two
     * kernels: {@code x} is {@code [N, C, H, W]}, {@code mean} {@code [N]}, {@code bits} {@code [N, H, W, words(C)]}.
     */
    void meanAndPack(Tensor x, Tensor mean, Tensor bits);

    /** The steps of {@code backend}: its own when it implements them, else {@link #portable}. */
    static ActivationPackingSteps of(Backend backend) {
        return Steps.of(backend, ActivationPackingSteps.class, PortableActivationPackingSteps::new);
    }

    /** The portable default on {@code backend}'s core and bitwise kernels (for tests and for backends that lack their own). */
    static ActivationPackingSteps portable(Backend backend) {
        return new PortableActivationPackingSteps(backend);
    }
}
