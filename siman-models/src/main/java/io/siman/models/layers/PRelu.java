package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;

/** PReLU with one slope per channel, initialized to 0.25 as PyTorch does. */
public final class PRelu extends LayerBase {
    final int channels;
    final Parameter slope;
    private final Work out = work(), dx = work();
    private Tensor x;

    public PRelu(Backend backend, String name, int channels) {
        super(backend, name);
        this.channels = channels;
        this.slope = parameter("weight", Init.constant(channels, 0.25f), Shape.of(channels), Parameter.Role.REGULAR);
    }

    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        return graph.prelu(name(), x, host(slope.value()));
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() < 2 || input.dim(1) != channels) {
            throw new ShapeMismatchException(name() + " expects " + channels + " channels, got " + input);
        }
        return input;
    }

    @Override
    protected Tensor computeForward(Tensor input, TrainingProgress progress) {
        outputShape(input.shape());
        x = input;
        Tensor y = out.get(input.shape());
        k.prelu(input, slope.value(), y);
        return y;
    }

    /**
     * The training forward pass of {@code norm}, the residual add and this PReLU in one ({@link BatchNorm#trainingForwardAddPrelu}):
     * {@code sum} receives this layer's input (kept for the backward pass), the result is its output.
     */
    Tensor forwardAfterNormAndAdd(BatchNorm norm, Tensor normInput, Tensor residual, Tensor sum) {
        outputShape(sum.shape());
        return timedForward(sum, () -> {
            Tensor y = out.get(sum.shape());
            norm.trainingForwardAddPrelu(normInput, residual, slope.value(), sum, y);
            x = sum;
            return y;
        });
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        requireForward(x, name());
        Tensor d = dx.get(x.shape());
        training().preluBackward(x, slope.value(), dy, d, slope.grad());
        return d;
    }
}
