package io.siman.api;

import java.util.List;

/**
 * A differentiable network piece running on one backend. Forward keeps what backward needs; the tensors
 * it returns are owned by the layer and stay valid until its next call. Layers are not thread-safe.
 */
public interface Layer extends AutoCloseable {
    /** Name within its network, used in parameter names and summaries. */
    String name();

    /** Output shape for an input shape; throws {@link ShapeMismatchException} when the input does not fit. */
    Shape outputShape(Shape input);

    Tensor forward(Tensor x, TrainingProgress progress);

    /** Gradient with respect to the last forward's input; parameter gradients are written to {@link Parameter#grad()}. */
    Tensor backward(Tensor dy);

    /** Learnable parameters, including those of sub-layers, in a stable order. */
    List<Parameter> parameters();

    /**
     * Non-learnable state that checkpoints must keep (batch-norm running statistics, frozen binary
     * weights), including that of sub-layers, by stable dotted name. The map may grow after the first
     * training step (state created lazily), so take it when saving, not at construction.
     */
    default java.util.Map<String, Tensor> buffers() {
        return java.util.Map.of();
    }

    /** Restores one buffer named as in {@link #buffers()}; returns false when this layer has no such buffer. */
    default boolean restoreBuffer(String name, float[] values) {
        return false;
    }

    /** Releases every tensor the layer holds. */
    @Override
    void close();
}
