package io.siman.api;

/**
 * The compute contract: every operation that SiMaN training (forward and backward) and bitwise
 * inference need. Layers, binarizers and training are written once against this interface and run on
 * every backend.
 *
 * <p>Conventions, for every method:
 * <ul>
 *   <li>Outputs are passed in, already allocated with the documented shape, and are overwritten (never
 *       accumulated into) unless the method says otherwise. This lets blocked, vectorized or device
 *       kernels reuse buffers and keeps the training loop free of allocation.</li>
 *   <li>Tensors are {@link DType#FLOAT32} unless said otherwise. Images are {@code [N, C, H, W]}.
 *       A "row" view reads a tensor as a matrix {@code [shape.dim(0), shape.rowLength()]}: weights per
 *       output channel, activations per sample.</li>
 *   <li>{@code sign(0) = +1} everywhere, in the float and the bitwise paths alike.</li>
 *   <li>Variances are unbiased (divide by {@code n - 1}) except in batch normalization, which
 *       normalizes with the biased batch variance and tracks the unbiased one, as PyTorch does.</li>
 *   <li>An output tensor must not alias an input unless the method says it may.</li>
 *   <li>Results must not depend on the number of threads.</li>
 * </ul>
 * Implementations check shapes and throw {@link ShapeMismatchException} with a message naming the
 * operation and the offending shapes. The abstract suite in {@code siman-testkit} is the executable
 * definition of this contract.
 */
public interface Kernels {

    // ---------------------------------------------------------------- element-wise

    /** Sets every element of a FLOAT32 tensor to {@code value}. */
    void fill(Tensor x, float value);

    /** Copies {@code src} into {@code dst}; same dtype and size (shapes may differ). */
    void copy(Tensor src, Tensor dst);

    /** {@code out = a + b}; all three of one size. {@code out} may alias {@code a} or {@code b}. */
    void add(Tensor a, Tensor b, Tensor out);

    /** {@code y += alpha * x} (accumulates). Used to sum gradients of branches. */
    void axpy(float alpha, Tensor x, Tensor y);

    /** {@code out = sign(x)} with values -1 and +1. */
    void sign(Tensor x, Tensor out);

    /** {@code out = x * sign(s)}: the straight-through step of SiMaN's magnitude bits. */
    void mulSign(Tensor x, Tensor s, Tensor out);

    // ---------------------------------------------------------------- dense

    /** {@code y[N, out] = x[N, in] * w[out, in]^T + bias[out]}; {@code bias} may be null. */
    void linearForward(Tensor x, Tensor w, Tensor bias, Tensor y);

    /**
     * Gradients of {@link #linearForward}: {@code dx[N, in]}, {@code dw[out, in]}, {@code dbias[out]}.
     * {@code dx} and {@code dbias} may be null when not wanted.
     */
    void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias);

    // ---------------------------------------------------------------- convolution

    /** Cross-correlation with zero padding, no bias: {@code y = conv(x, w)}. */
    void conv2dForward(ConvGeometry g, Tensor x, Tensor w, Tensor y);

    /** Gradient with respect to the input: {@code dx[g.inputShape()]}. */
    void conv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx);

    /** Gradient with respect to the weights: {@code dw[g.weightShape()]}, summed over the batch. */
    void conv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor dy, Tensor dw);

    /**
     * Gradient with respect to the weights of a convolution of binary activations: {@link #conv2dBackwardWeights}
     * of {@code sign(x - threshold[n])} (+1 where {@code x >= threshold[n]}, padding 0), summed over the batch.
     * Every product is {@code +dy} or {@code -dy}, which a backend may use instead of multiplying.
     */
    void binaryConv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor threshold, Tensor dy, Tensor dw);

    // ---------------------------------------------------------------- per-channel scale (SiMaN's alpha)

    /** {@code y[n, c, ...] = x[n, c, ...] * scale[c]} for {@code x} of rank 2 or 4. */
    void channelScale(Tensor x, Tensor scale, Tensor y);

    /**
     * {@code y[n, c, ...] = fma(x[n, c, ...], scale[c], bias[c])}, one rounding, for {@code x} of rank 2 or 4:
     * the folded affine of a binarized convolution (alpha and batch norm), computed exactly as
     * {@link #binaryConv2d} applies it, so the float simulation and the bitwise engine agree bit for bit.
     */
    void channelAffine(Tensor x, Tensor scale, Tensor bias, Tensor y);

    /**
     * Gradients of {@link #channelScale}: {@code dx = dy * scale[c]} (null to skip) and
     * {@code dscale[c] = sum over n and positions of dy * x}.
     */
    void channelScaleBackward(Tensor x, Tensor scale, Tensor dy, Tensor dx, Tensor dscale);

    /** {@code y[r, ...] = x[r, ...] * scale[r]} in the row view: weights scaled per output channel. */
    void rowScale(Tensor x, Tensor scale, Tensor y);

    /**
     * The scale's gradient of {@link #rowScale}: {@code dscale[r] = sum over the row of x[r, ...] * dy[r, ...]}. A
     * per-channel scale of a convolution's output moved onto its weights takes its gradient here, over the weights,
     * instead of over the whole output ({@link #channelScaleBackward}).
     */
    void rowScaleBackward(Tensor x, Tensor dy, Tensor dscale);

    // ---------------------------------------------------------------- batch normalization (rank 2 or 4, per channel)

    /**
     * Training-mode batch normalization over N and the spatial positions of each channel:
     * {@code y = gamma * (x - mean) * invStd + beta} with the biased batch variance; updates
     * {@code running = (1 - momentum) * running + momentum * batch} using the unbiased variance; saves
     * the batch mean and {@code invStd = 1 / sqrt(biasedVar + eps)} for the backward pass.
     */
    void batchNormTraining(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                           float momentum, float eps, Tensor y, Tensor saveMean, Tensor saveInvStd);

    /** Inference-mode batch normalization with the running statistics. */
    void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                            float eps, Tensor y);

    /** Gradients of {@link #batchNormTraining}: {@code dx}, {@code dgamma[C]}, {@code dbeta[C]}. */
    void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                           Tensor dx, Tensor dgamma, Tensor dbeta);

    // ---------------------------------------------------------------- activations

    /** Point-wise activation; {@code y} may alias {@code x}. */
    void activation(Activation kind, Tensor x, Tensor y);

    /** {@code dx = dy * activation'(x)}. */
    void activationBackward(Activation kind, Tensor x, Tensor dy, Tensor dx);

    /** PReLU with one slope per channel: {@code y = x >= 0 ? x : slope[c] * x}, {@code x} of rank 2 or 4. */
    void prelu(Tensor x, Tensor slope, Tensor y);

    /** Gradients of {@link #prelu}: {@code dx} and {@code dslope[c] = sum of dy * x where x < 0}. */
    void preluBackward(Tensor x, Tensor slope, Tensor dy, Tensor dx, Tensor dslope);

    // ---------------------------------------------------------------- pooling

    /**
     * Max pooling; padded positions never win. {@code argmax} (INT32, shape of {@code y}) receives the
     * winning position {@code h * inWidth + w} within its input plane; the first maximum wins ties.
     */
    void maxPool2d(PoolGeometry g, Tensor x, Tensor y, Tensor argmax);

    /** Routes {@code dy} to the winners recorded by {@link #maxPool2d}; {@code dx} is overwritten. */
    void maxPool2dBackward(PoolGeometry g, Tensor dy, Tensor argmax, Tensor dx);

    /** Average pooling dividing by the full window area (padding counted, as PyTorch's default). */
    void avgPool2d(PoolGeometry g, Tensor x, Tensor y);

    void avgPool2dBackward(PoolGeometry g, Tensor dy, Tensor dx);

    // ---------------------------------------------------------------- ResNet option-A shortcut

    /**
     * {@code y = x[:, :, ::2, ::2]} with {@code p = (C_y - C_x) / 2} zero channels before and after:
     * {@code x[N, C, H, W]}, {@code y[N, C + 2p, ceil(H/2), ceil(W/2)]}.
     */
    void shortcutA(Tensor x, Tensor y);

    /** Gradient of {@link #shortcutA}; positions of {@code dx} that were skipped get 0. */
    void shortcutABackward(Tensor dy, Tensor dx);

    // ---------------------------------------------------------------- loss

    /**
     * Softmax and cross-entropy per sample: {@code probs[N, K]} (softmax of {@code logits}) and
     * {@code losses[N] = -log probs[n, labels[n]]}. {@code labels} is INT32 {@code [N]} in {@code [0, K)}.
     */
    void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor losses);

    /** {@code dlogits = scale * (probs - onehot(labels))}; {@code scale} is usually {@code 1 / N}. */
    void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, float scale, Tensor dlogits);

    // ---------------------------------------------------------------- standardization (row view)

    /** {@code mean[R]} of each row; the same summation as {@link #rowStandardize}, bit for bit. */
    void rowMean(Tensor x, Tensor mean);

    /**
     * Per row: {@code z = (x - mean) * invStd} with {@code invStd = 1 / sqrt(unbiasedVar + eps)}; outputs
     * {@code z} (shape of {@code x}; null for the statistics alone), {@code mean[R]} and {@code invStd[R]}.
     * Weights are standardized per output channel, binary activations per sample (docs/method.md sections 1.3 and 2).
     * {@code z} is computed as {@code (x - mean) * invStd} in float, so its sign is exactly that of {@code x - mean}.
     */
    void rowStandardize(Tensor x, float eps, Tensor z, Tensor mean, Tensor invStd);

    /**
     * Backward of {@link #rowStandardize} (the statistics are differentiated):
     * {@code dx = (dz - mean(dz) - z * dot(dz, z) / (n - 1)) * invStd} per row.
     */
    void rowStandardizeBackward(Tensor z, Tensor invStd, Tensor dz, Tensor dx);

    /** ApproxSign: {@code da1 = dxb * max(0, 2 - 2|a1|)}. */
    void approxSignBackward(Tensor a1, Tensor dxb, Tensor da1);

    /**
     * Backward of the activation binarization of docs/method.md section 2, {@code xb = sign(a1)} with
     * {@code a1 = (x - mean[r]) * invStd[r]} per row, as {@link #rowStandardize} computes it: {@link #approxSignBackward}
     * then {@link #rowStandardizeBackward}, with {@code a1} recomputed from {@code x} instead of stored.
     */
    void binaryActivationBackward(Tensor x, Tensor mean, Tensor invStd, Tensor dxb, Tensor dx);

    // ---------------------------------------------------------------- SiMaN weight steps

    /**
     * Centres each output channel of {@code w} (row view) and clips the magnitudes layer-wide, in place:
     * {@code u = w - rowMean(w)}; {@code lo, hi} = the {@code percent} and {@code 100 - percent}
     * percentiles of {@code |u|} over the whole tensor (linear interpolation, as numpy's default);
     * {@code w = sign(u) * clamp(|u|, lo, hi)}. {@code percent} in {@code [0, 50]}; 0 only centres.
     */
    void simanClip(Tensor w, float percent);

    /**
     * SiMaN's bits per row of {@code z}: the {@code floor(n/2)} largest {@code |z|} get bit 1 (ties to the
     * lower index), the rest 0; writes the effective weights {@code s}: {@code 2B - 1} for
     * {@link Encoding#PM1}, {@code B} for {@link Encoding#ZERO_ONE}.
     */
    void topHalfBits(Tensor z, Encoding encoding, Tensor s);

    // ---------------------------------------------------------------- sign-based baselines

    /** XNOR-Net: {@code scale[r] = mean(|w_r|)}, {@code s = sign(w) * scale[r]}. */
    void xnorWeights(Tensor w, Tensor s, Tensor scale);

    /** Clipped straight-through: {@code dw = ds * scale[r]} where {@code |w| <= limit}, else 0. */
    void clippedStraightThrough(Tensor w, Tensor ds, Tensor scale, float limit, Tensor dw);

    /** IR-Net: {@code scale[r] = 2^round(log2(mean(|z_r|)))}, {@code s = sign(z) * scale[r]}. */
    void irnetWeights(Tensor z, Tensor s, Tensor scale);

    /** IR-Net's EDE: {@code dz = ds * scale[r] * k * t * (1 - tanh(t z)^2)}. */
    void edeBackward(Tensor z, Tensor ds, Tensor scale, float t, float k, Tensor dz);

    // ---------------------------------------------------------------- optimizer

    /**
     * SGD with momentum and L2 weight decay, PyTorch's form (no dampening, no Nesterov):
     * {@code d = grad + weightDecay * param; velocity = momentum * velocity + d; param -= lr * velocity}.
     * A fresh velocity is zero, which equals PyTorch's first step.
     */
    void sgdStep(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay);

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
     * Then {@code y = fma(sum, scale[co], bias[co])} (one rounding, as {@link #channelAffine}); {@code scale} and
     * {@code bias} may be null (1 and 0).
     * Equals {@link #conv2dForward} of {@code sign(x - threshold)} with the effective weights.
     */
    void binaryConv2d(ConvGeometry g, Encoding encoding, Tensor xBits, Tensor wBits, Tensor scale, Tensor bias, Tensor y);
}
