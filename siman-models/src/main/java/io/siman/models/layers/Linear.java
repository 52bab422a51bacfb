package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;

import java.util.SplittableRandom;

/** Full-precision fully connected layer with bias. */
public final class Linear extends LayerBase {
    final int in, out;
    final Parameter weight, bias;
    private final Work y = work(), dx = work();
    private Tensor x;

    public Linear(Backend backend, String name, int in, int out, WeightInit init, SplittableRandom rnd) {
        super(backend, name);
        this.in = in;
        this.out = out;
        float[] w = switch (init) {
            case KAIMING_FAN_IN -> Init.kaimingNormal(rnd, in * out, in);
            case KAIMING_FAN_OUT -> Init.kaimingNormal(rnd, in * out, out);
            case VGG -> Init.normal(rnd, in * out, 0.01);
        };
        // bias: PyTorch's default uniform(-1/sqrt(in), 1/sqrt(in)), zero for VGG-small
        float[] b = init == WeightInit.VGG ? new float[out] : Init.uniform(rnd, out, 1 / Math.sqrt(in));
        this.weight = parameter("weight", w, Shape.of(out, in), Parameter.Role.REGULAR);
        this.bias = parameter("bias", b, Shape.of(out), Parameter.Role.REGULAR);
    }

    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        return graph.linear(name(), x, host(weight.value()), out, in, host(bias.value()));
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 2 || input.dim(1) != in) {
            throw new ShapeMismatchException(name() + " expects [N, " + in + "], got " + input);
        }
        return Shape.of(input.dim(0), out);
    }

    @Override
    public Footprint footprint() {
        return Footprint.weights(false, out, in, out, (long) in * out);
    }

    @Override
    protected Tensor computeForward(Tensor input, TrainingProgress progress) {
        Shape s = outputShape(input.shape());
        x = input;
        Tensor r = y.get(s);
        k.linearForward(input, weight.value(), bias.value(), r);
        return r;
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        requireForward(x, name());
        Tensor d = dx.get(x.shape());
        training().linearBackward(x, weight.value(), dy, d, weight.grad(), bias.grad());
        return d;
    }
}
