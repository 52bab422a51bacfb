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

    /** Releases every tensor the layer holds. */
    @Override
    void close();
}
