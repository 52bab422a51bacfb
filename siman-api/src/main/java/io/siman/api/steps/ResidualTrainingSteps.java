package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.Kernels;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;

/**
 * The joins of a residual block's training pass (docs/method.md section 5), each in one pass: forward, the batch
 * norm, the residual add and the PReLU; backward, a binarized convolution's input gradient and the other branch's
 * gradient added to it. Every float is rounded as the separate kernels round it, so the fused and the separate
 * versions train the same bits; what is saved is the float planes written and read again in between. A step family:
 * {@link #of} gives the backend's own version when its kernels implement this interface, else the portable default,
 * written once: {@link TrainingKernels#batchNormTraining}, {@link Kernels#add}, {@link Kernels#prelu} and
 * {@link BinaryActivationSteps#binaryActivationBackward} through temporaries.
 */
public interface ResidualTrainingSteps {

    /**
     * {@code sum = batchNormTraining(x, ...) + residual} and {@code y = prelu(sum, slope)}: the batch norm's outputs
     * ({@code runningMean}, {@code runningVar}, {@code saveMean}, {@code saveInvStd}) as {@link TrainingKernels#batchNormTraining}
     * writes them; {@code sum} is the PReLU's input, which its backward pass needs. {@code residual}, {@code sum} and
     * {@code y} have {@code x}'s shape; {@code slope} one value per channel.
     */
    void batchNormAddPrelu(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float momentum,
                           float eps, Tensor residual, Tensor slope, Tensor sum, Tensor y, Tensor saveMean, Tensor saveInvStd);

    /**
     * {@code dx = binaryActivationBackward(x, mean, invStd, dxb) + addend} ({@link BinaryActivationSteps#binaryActivationBackward});
     * {@code addend} and {@code dx} have {@code x}'s shape and may not alias {@code x} or {@code dxb}.
     */
    void binaryActivationBackwardAdd(Tensor x, Tensor mean, Tensor invStd, Tensor dxb, Tensor addend, Tensor dx);

    /** The steps of {@code backend}: its own when it implements them, else {@link #portable}. */
    static ResidualTrainingSteps of(Backend backend) {
        return Steps.of(backend, ResidualTrainingSteps.class, PortableResidualTrainingSteps::new);
    }

    /** The portable default on {@code backend}'s core and training kernels (for tests and for backends that lack their own). */
    static ResidualTrainingSteps portable(Backend backend) {
        return new PortableResidualTrainingSteps(backend);
    }
}
