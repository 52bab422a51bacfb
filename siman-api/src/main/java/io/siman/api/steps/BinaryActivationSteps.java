package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.ConvGeometry;
import io.siman.api.Kernels;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;

/**
 * The binarization of activations shared by the binarizing methods (docs/method.md section 2): its backward passes. A step family: {@link #of} gives the backend's own version when its kernels implement this interface,
 * else the portable default, written once on the core kernels: {@link Kernels#rowSubtract}, {@link Kernels#rowScale}, {@link Kernels#sign} and the training group's {@link TrainingKernels#rowStandardizeBackward} and {@link TrainingKernels#conv2dBackwardWeights}; the ApproxSign gradient is computed on the host.
 */
public interface BinaryActivationSteps {

    /** ApproxSign: {@code da1 = dxb * max(0, 2 - 2|a1|)}. */
    void approxSignBackward(Tensor a1, Tensor dxb, Tensor da1);

    /**
     * Backward of the activation binarization of docs/method.md section 2, {@code xb = sign(a1)} with
     * {@code a1 = (x - mean[r]) * invStd[r]} per row, as {@link Kernels#rowStandardize} computes it: {@link #approxSignBackward}
     * then {@link TrainingKernels#rowStandardizeBackward}, with {@code a1} recomputed from {@code x} instead of stored.
     */
    void binaryActivationBackward(Tensor x, Tensor mean, Tensor invStd, Tensor dxb, Tensor dx);

    /**
     * Gradient with respect to the weights of a convolution of binary activations: {@link TrainingKernels#conv2dBackwardWeights}
     * of {@code sign(x - threshold[n])} (+1 where {@code x >= threshold[n]}, padding 0), summed over the batch.
     * Every product is {@code +dy} or {@code -dy}, which a backend may use instead of multiplying.
     */
    void binaryConv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor threshold, Tensor dy, Tensor dw);

    /** The steps of {@code backend}: its own when it implements them, else {@link #portable}. */
    static BinaryActivationSteps of(Backend backend) {
        return Steps.of(backend, BinaryActivationSteps.class, PortableBinaryActivationSteps::new);
    }

    /** The portable default on {@code backend}'s core kernels (for tests and for backends that lack their own). */
    static BinaryActivationSteps portable(Backend backend) {
        return new PortableBinaryActivationSteps(backend);
    }
}
