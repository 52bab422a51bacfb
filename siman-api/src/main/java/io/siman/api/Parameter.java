package io.siman.api;

/**
 * A learnable tensor with its gradient, owned by a {@link Layer}.
 *
 * @param name  dotted path, such as {@code stage1.block0.conv1.weight}, stable across runs (checkpoints use it)
 * @param value the parameter
 * @param grad  its gradient, same shape, overwritten by each backward pass
 * @param role  decides which weight decay applies
 */
public record Parameter(String name, Tensor value, Tensor grad, Role role) {
    /** What a parameter is, for the optimizer's weight-decay rule (docs/method.md section 6). */
    public enum Role {
        /** Full-precision weights, biases, batch-norm and PReLU parameters: base weight decay. */
        REGULAR,
        /** Latent weights of a binarized convolution: the binarizer's weight-decay rule. */
        BINARIZED_WEIGHT,
        /** The learned per-channel scale alpha of a binarized convolution: no weight decay. */
        BINARIZED_SCALE
    }
}
