package io.siman.models.graph;

import io.siman.api.Activation;

/**
 * A network's evaluation-time computation in standard operators, as a layer describes itself
 * ({@link io.siman.models.layers.LayerBase#describe}): each call adds one operation on named values and returns the
 * name of its result. Interchange formats implement it (the {@code siman-onnx} module writes ONNX); the layers
 * never see the format. Arrays are row-major; images are {@code [N, C, H, W]}.
 */
public interface InferenceGraph {

    /** The network's input {@code [N, C, H, W]} (N left open). */
    String input();

    /** Convolution without bias: {@code weight[Co, Ci, k, k]}, square kernel, equal padding on every side. */
    String conv(String name, String x, float[] weight, int[] weightDims, int stride, int padding);

    /** Per-channel {@code x * scale[c] + bias[c]} on {@code [N, C, ...]}. */
    String channelAffine(String name, String x, float[] scale, float[] bias);

    /** Inference batch normalization with running statistics, on {@code [N, C, ...]}. */
    String batchNorm(String name, String x, float[] gamma, float[] beta, float[] mean, float[] var, float eps);

    String activation(String name, String x, Activation kind);

    /** PReLU with one slope per channel. */
    String prelu(String name, String x, float[] slope);

    String add(String name, String a, String b);

    /**
     * The activation binarization of docs/method.md section 3: {@code +1} where {@code x >= mean} of its sample (over
     * C, H and W), {@code -1} elsewhere (so {@code sign(0) = +1}).
     */
    String signAtSampleMean(String name, String x);

    String maxPool(String name, String x, int kernel, int stride, int padding);

    String avgPool(String name, String x, int kernel, int stride);

    /** Mean over H and W: {@code [N, C, H, W] -> [N, C]}. */
    String globalAvgPool(String name, String x);

    /** {@code [N, ...] -> [N, rest]}. */
    String flatten(String name, String x);

    /** {@code x[N, in] W^T + b}: {@code weight[out, in]}. */
    String linear(String name, String x, float[] weight, int out, int in, float[] bias);

    /** Option-A shortcut: {@code x[:, :, ::2, ::2]} with {@code pad} zero channels before and after. */
    String shortcutA(String name, String x, int pad);

    /** Marks {@code x} as the network's output (the logits). */
    void output(String x);
}
