package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.ConvGeometry;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;

import java.util.SplittableRandom;

/** Full-precision 2-D convolution without bias (every conv of the zoo is followed by batch norm). */
public final class Conv2d extends LayerBase {
    final int inChannels, outChannels, kernel, stride, padding;
    final Parameter weight;
    private final boolean inputGradient;
    private final Work out = work(), dx = work();
    private Tensor x;
    private ConvGeometry g;

    /**
     * @param inputGradient false for a network's first layer, whose input needs no gradient
     */
    public Conv2d(Backend backend, String name, int inChannels, int outChannels, int kernel, int stride, int padding,
                  WeightInit init, SplittableRandom rnd, boolean inputGradient) {
        super(backend, name);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.inputGradient = inputGradient;
        Shape ws = Shape.of(outChannels, inChannels, kernel, kernel);
        this.weight = parameter("weight", initConv(init, rnd, ws), ws, Parameter.Role.REGULAR);
    }

    static float[] initConv(WeightInit init, SplittableRandom rnd, Shape ws) {
        int n = ws.intSize(), co = ws.dim(0), fanIn = ws.rowLength(), k2 = ws.dim(2) * ws.dim(3);
        return switch (init) {
            case KAIMING_FAN_IN -> Init.kaimingNormal(rnd, n, fanIn);
            case KAIMING_FAN_OUT -> Init.kaimingNormal(rnd, n, co * k2);
            case VGG -> Init.normal(rnd, n, Math.sqrt(2.0 / (k2 * co)));
        };
    }

    static ConvGeometry geometry(String name, Shape input, int inChannels, int outChannels, int kernel, int stride, int padding) {
        requireRank(name, input, 4);
        if (input.dim(1) != inChannels) {
            throw new ShapeMismatchException(name + " expects " + inChannels + " input channels, got " + input);
        }
        return ConvGeometry.of(input, outChannels, kernel, stride, padding);
    }

    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        return graph.conv(name(), x, host(weight.value()), weight.value().shape().dims(), stride, padding);
    }

    @Override
    public Shape outputShape(Shape input) {
        return geometry(name(), input, inChannels, outChannels, kernel, stride, padding).outputShape();
    }

    @Override
    public Footprint footprint() {
        long n = (long) inChannels * kernel * kernel;
        return Footprint.weights(false, outChannels, n, 0, outputsPerImage() * n);
    }

    @Override
    protected Tensor computeForward(Tensor input, TrainingProgress progress) {
        g = geometry(name(), input.shape(), inChannels, outChannels, kernel, stride, padding);
        x = input;
        Tensor y = out.get(g.outputShape());
        k.conv2dForward(g, input, weight.value(), y);
        return y;
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        requireForward(x, name());
        training().conv2dBackwardWeights(g, x, dy, weight.grad());
        if (!inputGradient) {
            return null;
        }
        Tensor d = dx.get(g.inputShape());
        training().conv2dBackwardData(g, dy, weight.value(), d);
        return d;
    }
}
