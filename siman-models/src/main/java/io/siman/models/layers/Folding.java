package io.siman.models.layers;

/**
 * The per-channel affine that follows the integer sums of a binarized convolution at inference:
 * {@code y = fma(sum, scale, bias)} with {@code scale = alpha * c * gamma / sqrt(var + eps)} and
 * {@code bias = beta - mean * gamma / sqrt(var + eps)} when the batch norm is folded, or
 * {@code scale = alpha * c}, {@code bias = 0} when it is not (a pooling layer stands between them).
 * {@code alpha} is SiMaN's learned scale and {@code c} the binarizer's constant per-channel scale; either may
 * be absent. The float simulation in evaluation and the exported model compute it here, once, so the two
 * paths apply identical floats.
 */
public final class Folding {
    /** The folded affine. */
    public record Affine(float[] scale, float[] bias) {
    }

    private Folding() {
    }

    /**
     * @param alpha       learned scale per channel, or null
     * @param channel     binarizer's scale per channel, or null
     * @param gamma       batch-norm weight, or null when no batch norm is folded (then beta, mean, var are ignored)
     */
    public static Affine of(int channels, float[] alpha, float[] channel, float[] gamma, float[] beta, float[] mean, float[] var, float eps) {
        float[] scale = new float[channels], bias = new float[channels];
        for (int c = 0; c < channels; c++) {
            double s = (alpha == null ? 1.0 : alpha[c]) * (channel == null ? 1.0 : channel[c]);
            if (gamma == null) {
                scale[c] = (float) s;
                continue;
            }
            double k = gamma[c] / Math.sqrt((double) var[c] + eps);
            scale[c] = (float) (s * k);
            bias[c] = (float) (beta[c] - mean[c] * k);
        }
        return new Affine(scale, bias);
    }
}
