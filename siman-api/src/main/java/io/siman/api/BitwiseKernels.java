package io.siman.api;

/**
 * Capability group {@link KernelGroup#BITWISE}: weights and activations packed into 64-bit words and the popcount
 * convolution, which binarized layers run in evaluation (and in training, where the binarizer's weights are
 * bits). The conventions of {@link Kernels} apply.
 */
public interface BitwiseKernels {

    // ---------------------------------------------------------------- bits

    /**
     * Packs effective weights {@code s[Co, Ci, kh, kw]} into INT64 {@code bits[Co, kh, kw, words(Ci)]}:
     * bit {@code c} of a tap is 1 where {@code s > 0}. Bits past {@code Ci} are 0.
     */
    void packWeights(Tensor s, Tensor bits);

    /**
     * Packs activations {@code x[N, C, H, W]} into INT64 {@code bits[N, H, W, words(C)]}: bit {@code c} is 1
     * where {@code x >= threshold[n]} (so {@code sign(x - threshold) = +1}). Bits past {@code C} are 0.
     */
    void packActivations(Tensor x, Tensor threshold, Tensor bits);

    /**
     * Binary convolution by popcount over packed words (docs/method.md section 3). Per output value, over the
     * {@code m} taps that fall inside the image (padding is 0 and contributes nothing):
     * {@link Encoding#PM1}: {@code sum = m * Ci - 2 * popcount(x XOR w)};
     * {@link Encoding#ZERO_ONE}: {@code sum = 2 * popcount(x AND w) - popcount(w)}.
     * Then {@code y = fma(sum, scale[co], bias[co])} (one rounding, as {@link Kernels#channelAffine}); {@code scale} and
     * {@code bias} may be null (1 and 0).
     * Equals {@link Kernels#conv2dForward} of {@code sign(x - threshold)} with the effective weights.
     */
    void binaryConv2d(ConvGeometry g, Encoding encoding, Tensor xBits, Tensor wBits, Tensor scale, Tensor bias, Tensor y);

}
