package io.siman.models.nets;

import io.siman.api.Layer;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.SimanException;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.models.layers.BinaryConv2d;
import io.siman.models.layers.Sequential;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A network of the zoo: its layers, how it was built, and the binarized convolutions in it. */
public final class Network implements Layer {
    private final ModelSpec spec;
    private final Sequential root;
    private final boolean bitwise;

    Network(ModelSpec spec, Sequential root, boolean bitwise) {
        this.spec = spec;
        this.root = root;
        this.bitwise = bitwise;
        Shape out = root.outputShape(inputShape(1));
        if (!out.equals(Shape.of(1, spec.classes()))) {
            throw new SimanException("network " + spec.architecture() + " produces " + out + ", expected [1, " + spec.classes() + "]");
        }
    }

    public ModelSpec spec() {
        return spec;
    }

    public Shape inputShape(int batch) {
        return Shape.of(batch, spec.inChannels(), spec.inHeight(), spec.inWidth());
    }

    /** Adds the network's evaluation to {@code graph} in standard operators, input to logits (see {@link io.siman.models.graph.InferenceGraph}). */
    public void describe(io.siman.models.graph.InferenceGraph graph) {
        graph.output(root.describe(graph, graph.input()));
    }

    public Sequential root() {
        return root;
    }

    @Override
    public String name() {
        return spec.architecture();
    }

    @Override
    public Shape outputShape(Shape input) {
        return root.outputShape(input);
    }

    @Override
    public Tensor forward(Tensor x, TrainingProgress progress) {
        return root.forward(x, progress);
    }

    @Override
    public Tensor backward(Tensor dy) {
        return root.backward(dy);
    }

    @Override
    public List<Parameter> parameters() {
        return root.parameters();
    }

    @Override
    public Map<String, Tensor> buffers() {
        return root.buffers();
    }

    @Override
    public boolean restoreBuffer(String name, float[] values) {
        return root.restoreBuffer(name, values);
    }

    /** Number of learnable values. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.value().shape().size();
        }
        return n;
    }

    /** Whether binarized convolutions are packed bits (a network loaded from a model file, run bitwise or simulated). */
    public boolean bitwise() {
        return bitwise;
    }

    /** The binarized convolutions of a training network, in forward order. */
    public List<BinaryConv2d> binaryConvolutions() {
        return layers(BinaryConv2d.class);
    }

    /** Every layer of a type, in forward order. */
    public <L extends Layer> List<L> layers(Class<L> type) {
        List<L> found = new ArrayList<>();
        collect(root, type, found);
        return found;
    }

    private static <L extends Layer> void collect(Layer l, Class<L> type, List<L> found) {
        if (type.isInstance(l)) {
            found.add(type.cast(l));
        }
        if (l instanceof io.siman.models.layers.LayerBase base) {
            for (Layer c : base.children()) {
                collect(c, type, found);
            }
        }
    }

    @Override
    public void close() {
        root.close();
    }
}
