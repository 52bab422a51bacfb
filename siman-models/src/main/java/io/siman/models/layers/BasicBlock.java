package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.Layer;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;

/**
 * He et al.'s basic residual block with one shortcut:
 * {@code h = act1(BN1(conv1(x))); out = act2(BN2(conv2(h)) + shortcut(x))}. With hardtanh it is the block of
 * the binarized CIFAR ResNet-18 (docs/method.md section 5); with ReLU, the block of every full-precision ResNet of the
 * zoo. A null shortcut is the identity.
 */
public final class BasicBlock extends LayerBase {
    private final Layer conv1, bn1, act1, conv2, bn2, act2, shortcut;
    private final Work sum = work(), dx = work();
    private Tensor x;

    public BasicBlock(Backend backend, String name, Layer conv1, Layer bn1, Layer act1,
                         Layer conv2, Layer bn2, Layer act2, Layer shortcut) {
        super(backend, name);
        this.conv1 = child(conv1);
        this.bn1 = child(bn1);
        this.act1 = child(act1);
        this.conv2 = child(conv2);
        this.bn2 = child(bn2);
        this.act2 = child(act2);
        this.shortcut = shortcut == null ? null : child(shortcut);
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape main = bn2.outputShape(conv2.outputShape(bn1.outputShape(conv1.outputShape(input))));
        Shape skip = shortcut == null ? input : shortcut.outputShape(input);
        if (!main.equals(skip)) {
            throw new io.siman.api.ShapeMismatchException(name() + ": branch " + main + " and shortcut " + skip + " differ");
        }
        return main;
    }

    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        String h = describe(act1, graph, describe(bn1, graph, describe(conv1, graph, x)));
        String b2 = describe(bn2, graph, describe(conv2, graph, h));
        String s = shortcut == null ? x : describe(shortcut, graph, x);
        return describe(act2, graph, graph.add(name() + ".add", b2, s));
    }

    @Override
    protected Tensor computeForward(Tensor input, TrainingProgress p) {
        x = input;
        Tensor h = act1.forward(bn1.forward(conv1.forward(input, p), p), p);
        Tensor b2 = bn2.forward(conv2.forward(h, p), p);
        Tensor s = shortcut == null ? input : shortcut.forward(input, p);
        Tensor o = sum.get(b2.shape());
        k.add(b2, s, o);
        return act2.forward(o, p);
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        requireForward(x, name());
        Tensor dO = act2.backward(dy);
        Tensor dMain = conv1.backward(bn1.backward(act1.backward(conv2.backward(bn2.backward(dO)))));
        Tensor dSkip = shortcut == null ? dO : shortcut.backward(dO);
        Tensor d = dx.get(x.shape());
        k.add(dMain, dSkip, d);
        return d;
    }
}
