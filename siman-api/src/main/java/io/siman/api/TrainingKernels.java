package io.siman.api;

/**
 * Capability group {@link KernelGroup#TRAINING}: what training needs beyond the core {@link Kernels}, that is every
 * backward pass, training-mode batch normalization, the loss gradient and the optimizer step. A backend without it
 * evaluates and runs inference but refuses to train. The conventions of {@link Kernels} apply.
 */
public interface TrainingKernels {

    // ---------------------------------------------------------------- dense

    /**
     * Gradients of {@link Kernels#linearForward}: {@code dx[N, in]}, {@code dw[out, in]}, {@code dbias[out]}.
     * {@code dx} and {@code dbias} may be null when not wanted.
     */
    void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias);

    // ---------------------------------------------------------------- convolution

    /** Gradient with respect to the input: {@code dx[g.inputShape()]}. */
    void conv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx);

    /** Gradient with respect to the weights: {@code dw[g.weightShape()]}, summed over the batch. */
    void conv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor dy, Tensor dw);

    // ---------------------------------------------------------------- per-channel and per-row scale

    /**
     * Gradients of {@link Kernels#channelScale}: {@code dx = dy * scale[c]} (null to skip) and
     * {@code dscale[c] = sum over n and positions of dy * x}.
     */
    void channelScaleBackward(Tensor x, Tensor scale, Tensor dy, Tensor dx, Tensor dscale);

    /**
     * The scale's gradient of {@link Kernels#rowScale}: {@code dscale[r] = sum over the row of x[r, ...] * dy[r, ...]}. A
     * per-channel scale of a convolution's output moved onto its weights takes its gradient here, over the weights,
     * instead of over the whole output ({@link #channelScaleBackward}).
     */
    void rowScaleBackward(Tensor x, Tensor dy, Tensor dscale);

    // ---------------------------------------------------------------- batch normalization

    /**
     * Training-mode batch normalization over N and the spatial positions of each channel:
     * {@code y = gamma * (x - mean) * invStd + beta} with the biased batch variance; updates
     * {@code running = (1 - momentum) * running + momentum * batch} using the unbiased variance; saves
     * the batch mean and {@code invStd = 1 / sqrt(biasedVar + eps)} for the backward pass.
     */
    void batchNormTraining(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                           float momentum, float eps, Tensor y, Tensor saveMean, Tensor saveInvStd);

    /** Gradients of {@link #batchNormTraining}: {@code dx}, {@code dgamma[C]}, {@code dbeta[C]}. */
    void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                           Tensor dx, Tensor dgamma, Tensor dbeta);

    // ---------------------------------------------------------------- activations

    /** {@code dx = dy * activation'(x)}. */
    void activationBackward(Activation kind, Tensor x, Tensor dy, Tensor dx);

    /** Gradients of {@link Kernels#prelu}: {@code dx} and {@code dslope[c] = sum of dy * x where x < 0}. */
    void preluBackward(Tensor x, Tensor slope, Tensor dy, Tensor dx, Tensor dslope);

    // ---------------------------------------------------------------- pooling

    /** Routes {@code dy} to the winners recorded by {@link Kernels#maxPool2d}; {@code dx} is overwritten. */
    void maxPool2dBackward(PoolGeometry g, Tensor dy, Tensor argmax, Tensor dx);

    void avgPool2dBackward(PoolGeometry g, Tensor dy, Tensor dx);

    // ---------------------------------------------------------------- loss

    /** {@code dlogits = scale * (probs - onehot(labels))}; {@code scale} is usually {@code 1 / N}. */
    void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, float scale, Tensor dlogits);

    // ---------------------------------------------------------------- per-row statistics

    /**
     * Backward of {@link Kernels#rowStandardize} (the statistics are differentiated):
     * {@code dx = (dz - mean(dz) - z * dot(dz, z) / (n - 1)) * invStd} per row.
     */
    void rowStandardizeBackward(Tensor z, Tensor invStd, Tensor dz, Tensor dx);

    // ---------------------------------------------------------------- optimizer

    /**
     * SGD with momentum and L2 weight decay, PyTorch's form (no dampening, no Nesterov):
     * {@code d = grad + weightDecay * param; velocity = momentum * velocity + d; param -= lr * velocity}.
     * A fresh velocity is zero, which equals PyTorch's first step.
     */
    void sgdStep(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay);

}
