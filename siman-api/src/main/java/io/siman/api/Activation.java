package io.siman.api;

/** Parameter-free point-wise activations ({@link Kernels#activation}); PReLU has its own kernels. */
public enum Activation {
    /** {@code max(0, x)}. */
    RELU,
    /** {@code clamp(x, -1, 1)}; gradient passes where {@code -1 <= x <= 1}. */
    HARDTANH
}
