package io.siman.api;

/**
 * The core of the compute contract, which every backend implements: element-wise arithmetic, the forward passes
 * of convolution, dense layers, batch normalization, activations and pooling, the loss, per-row statistics, and a
 * few generic primitives the method-specific steps are composed of. Together with {@link Backend}'s memory, it is
 * enough to evaluate a full-precision network and to run every method step's portable default.
 *
 * <p>The rest of the contract comes in capability groups a backend may implement as well, declared by its
 * kernels object implementing their interfaces (see {@link KernelGroup}): {@link BitwiseKernels} (packing and
 * popcount convolution: bitwise inference) and {@link TrainingKernels} (backward passes, training-mode batch
 * normalization, the optimizer). Method-specific steps (SiMaN's, XNOR-Net's, IR-Net's, the binary activation's,
 * the ResNet shortcut's) are families in {@code io.siman.api.steps}, each with a portable default written on this
 * core; a backend accelerates a family by implementing its interface too. docs/kernels.md lists what each costs.
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

    // ---------------------------------------------------------------- convolution

    /** Cross-correlation with zero padding, no bias: {@code y = conv(x, w)}. */
    void conv2dForward(ConvGeometry g, Tensor x, Tensor w, Tensor y);

    // ---------------------------------------------------------------- per-channel and per-row scale

    /** {@code y[n, c, ...] = x[n, c, ...] * scale[c]} for {@code x} of rank 2 or 4. */
    void channelScale(Tensor x, Tensor scale, Tensor y);

    /**
     * {@code y[n, c, ...] = fma(x[n, c, ...], scale[c], bias[c])}, one rounding, for {@code x} of rank 2 or 4:
     * the folded affine of a binarized convolution (alpha and batch norm), computed exactly as
     * {@link BitwiseKernels#binaryConv2d} applies it, so the float simulation and the bitwise engine agree bit for bit.
     */
    void channelAffine(Tensor x, Tensor scale, Tensor bias, Tensor y);

    /** {@code y[r, ...] = x[r, ...] * scale[r]} in the row view: weights scaled per output channel. */
    void rowScale(Tensor x, Tensor scale, Tensor y);

    // ---------------------------------------------------------------- batch normalization (rank 2 or 4, per channel)

    /** Inference-mode batch normalization with the running statistics. */
    void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                            float eps, Tensor y);

    // ---------------------------------------------------------------- activations

    /** Point-wise activation; {@code y} may alias {@code x}. */
    void activation(Activation kind, Tensor x, Tensor y);

    /** PReLU with one slope per channel: {@code y = x >= 0 ? x : slope[c] * x}, {@code x} of rank 2 or 4. */
    void prelu(Tensor x, Tensor slope, Tensor y);

    // ---------------------------------------------------------------- pooling

    /**
     * Max pooling; padded positions never win. {@code argmax} (INT32, shape of {@code y}) receives the
     * winning position {@code h * inWidth + w} within its input plane; the first maximum wins ties.
     */
    void maxPool2d(PoolGeometry g, Tensor x, Tensor y, Tensor argmax);

    /** Average pooling dividing by the full window area (padding counted, as PyTorch's default). */
    void avgPool2d(PoolGeometry g, Tensor x, Tensor y);

    // ---------------------------------------------------------------- loss

    /**
     * Softmax and cross-entropy per sample: {@code probs[N, K]} (softmax of {@code logits}) and
     * {@code losses[N] = -log probs[n, labels[n]]}. {@code labels} is INT32 {@code [N]} in {@code [0, K)}.
     */
    void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor losses);

    // ---------------------------------------------------------------- per-row statistics (row view)

    /** {@code mean[R]} of each row; the same summation as {@link #rowStandardize}, bit for bit. */
    void rowMean(Tensor x, Tensor mean);

    /**
     * Per row: {@code z = (x - mean) * invStd} with {@code invStd = 1 / sqrt(unbiasedVar + eps)}; outputs
     * {@code z} (shape of {@code x}; null for the statistics alone), {@code mean[R]} and {@code invStd[R]}.
     * Weights are standardized per output channel, binary activations per sample (docs/method.md sections 1.3 and 2).
     * {@code z} is computed as {@code (x - mean) * invStd} in float, so its sign is exactly that of {@code x - mean}.
     */
    void rowStandardize(Tensor x, float eps, Tensor z, Tensor mean, Tensor invStd);

    // ---------------------------------------------------------------- generic primitives (what method steps are made of)

    /** {@code y[r, j] = x[r, j] - values[r]} in the row view (one float subtraction); {@code y} may alias {@code x}. */
    void rowSubtract(Tensor x, Tensor values, Tensor y);

    /** {@code mean[r] = sum over the row of |x[r, j]| / n}, summed in double precision, rounded once to float. */
    void rowAbsMean(Tensor x, Tensor mean);

    /**
     * Ranks each row by magnitude: the {@code counts[r]} elements of row {@code r} with the largest {@code |x|} get
     * {@code high}, the others {@code low}; among equal magnitudes the lower index ranks higher. {@code counts} is
     * INT32 {@code [R]} with values in {@code [0, n]}; {@code y} is shaped as {@code x} and must not alias it.
     */
    void topMagnitudes(Tensor x, Tensor counts, float high, float low, Tensor y);

    /**
     * Two percentiles of {@code |x|} over the whole tensor, with linear interpolation between order statistics
     * (numpy's default): {@code bounds[0]} at {@code lowPercent}, {@code bounds[1]} at {@code highPercent}, both in
     * {@code [0, 100]}. {@code bounds} is FLOAT32 {@code [2]}.
     */
    void magnitudePercentiles(Tensor x, float lowPercent, float highPercent, Tensor bounds);

    /**
     * {@code y = sign(x) * clamp(|x|, bounds[0], bounds[1])} with {@code sign(0) = +1}; {@code bounds} as
     * {@link #magnitudePercentiles} writes them. {@code y} may alias {@code x}.
     */
    void clampMagnitudes(Tensor x, Tensor bounds, Tensor y);

    /** The masked select {@code y = |x| <= limit ? a : 0}, element by element; {@code y} may alias {@code a}. */
    void maskByMagnitude(Tensor x, float limit, Tensor a, Tensor y);

    /**
     * Copies {@code count} channels of a rank-4 {@code src[N, C1, H, W]}, from channel {@code srcChannel}, into
     * {@code dst[N, C2, H, W]} from channel {@code dstChannel}; the other channels of {@code dst} are untouched.
     */
    void copyChannels(Tensor src, int srcChannel, Tensor dst, int dstChannel, int count);

    /**
     * This kernels object as capability group or step family {@code type}, when it implements it; empty otherwise.
     * Backends declare a group by implementing its interface; wrappers (a profiler, say) override this to answer
     * for what they wrap.
     */
    default <G> java.util.Optional<G> as(Class<G> type) {
        return type.isInstance(this) ? java.util.Optional.of(type.cast(this)) : java.util.Optional.empty();
    }
}
