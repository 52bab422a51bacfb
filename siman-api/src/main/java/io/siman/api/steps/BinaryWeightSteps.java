package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.ConvGeometry;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;

/**
 * The input gradient of a binarized convolution, whose weights take two values in each output channel (docs/method.md
 * sections 1 and 4: {@code +-alpha}, {@code {0, alpha}}, XNOR-Net's {@code +-mean|w|}). A step family: {@link #of}
 * gives the backend's own version when its kernels implement this interface (the CPU backend sums each group of four
 * output channels' gradients once per pattern of their values and then adds one such sum per input channel, group and
 * tap, instead of four multiply-adds), else the portable default: {@link TrainingKernels#conv2dBackwardData}.
 */
public interface BinaryWeightSteps {

    /**
     * {@link TrainingKernels#conv2dBackwardData}{@code (g, dy, w, dx)}, up to float rounding (the sums may be taken in
     * another order). Any weights are accepted; the saving needs at most two values per output channel.
     */
    void binaryConv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx);

    /** The steps of {@code backend}: its own when it implements them, else {@link #portable}. */
    static BinaryWeightSteps of(Backend backend) {
        return Steps.of(backend, BinaryWeightSteps.class, PortableBinaryWeightSteps::new);
    }

    /** The portable default on {@code backend}'s training kernels (for tests and for backends that lack their own). */
    static BinaryWeightSteps portable(Backend backend) {
        return new PortableBinaryWeightSteps(backend);
    }
}
