package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.Layer;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;

/**
 * The double-shortcut block of SiMaN's ResNet-20 and ImageNet ResNets (docs/method.md section 5):
 * {@code o = PReLU1(BN1(conv1(x)) + shortcut(x)); out = PReLU2(BN2(conv2(o)) + o)}.
 * A null shortcut is the identity.
 */
public final class ResidualBlock extends LayerBase {
    private final Layer conv1, bn1, prelu1, conv2, bn2, prelu2, shortcut;
    private final Work sum1 = work(), sum2 = work(), dMid = work(), dx = work();
    /** A loaded model's block (bitwise convolutions, their batch norms folded): it runs fused ({@link BitwiseConv2d#forwardAddPrelu}). */
    private final boolean fused;
    private Tensor x;

    public ResidualBlock(Backend backend, String name, Layer conv1, Layer bn1, Layer prelu1,
                         Layer conv2, Layer bn2, Layer prelu2, Layer shortcut) {
        super(backend, name);
        this.conv1 = child(conv1);
        this.bn1 = child(bn1);
        this.prelu1 = child(prelu1);
        this.conv2 = child(conv2);
        this.bn2 = child(bn2);
        this.prelu2 = child(prelu2);
        this.shortcut = shortcut == null ? null : child(shortcut);
        this.fused = conv1 instanceof BitwiseConv2d && conv2 instanceof BitwiseConv2d && bn1 instanceof Identity && bn2 instanceof Identity
                && prelu1 instanceof PRelu && prelu2 instanceof PRelu;
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape main = bn1.outputShape(conv1.outputShape(input));
        Shape skip = shortcut == null ? input : shortcut.outputShape(input);
        if (!main.equals(skip)) {
            throw new io.siman.api.ShapeMismatchException(name() + ": branch " + main + " and shortcut " + skip + " differ");
        }
        return bn2.outputShape(conv2.outputShape(main));
    }

    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        String b1 = describe(bn1, graph, describe(conv1, graph, x));
        String s = shortcut == null ? x : describe(shortcut, graph, x);
        String mid = describe(prelu1, graph, graph.add(name() + ".add1", b1, s));
        String b2 = describe(bn2, graph, describe(conv2, graph, mid));
        return describe(prelu2, graph, graph.add(name() + ".add2", b2, mid));
    }

    @Override
    protected Tensor computeForward(Tensor input, TrainingProgress p) {
        x = input;
        if (fused) {
            // each convolution writes its block's activation directly (add and PReLU fused)
            Tensor s = shortcut == null ? input : shortcut.forward(input, p);
            Tensor mid = ((BitwiseConv2d) conv1).forwardAddPrelu(input, s, ((PRelu) prelu1).slope.value());
            Tensor y = ((BitwiseConv2d) conv2).forwardAddPrelu(mid, mid, ((PRelu) prelu2).slope.value());
            ((LayerBase) bn1).fusedInto(mid.shape(), mid.shape());
            ((LayerBase) prelu1).fusedInto(mid.shape(), mid.shape());
            ((LayerBase) bn2).fusedInto(y.shape(), y.shape());
            ((LayerBase) prelu2).fusedInto(y.shape(), y.shape());
            return y;
        }
        Tensor c1 = conv1.forward(input, p);
        Tensor s = shortcut == null ? input : shortcut.forward(input, p);
        Tensor mid = normalizeAddActivate(bn1, prelu1, c1, s, sum1, p);
        return normalizeAddActivate(bn2, prelu2, conv2.forward(mid, p), mid, sum2, p);
    }

    /** {@code activation(norm(convOut) + residual)}: in one pass while training with a batch norm and PReLU. */
    private Tensor normalizeAddActivate(Layer norm, Layer activation, Tensor convOut, Tensor residual, Work sum, TrainingProgress p) {
        if (p.training() && norm instanceof BatchNorm bn && activation instanceof PRelu prelu) {
            Tensor o = sum.get(norm.outputShape(convOut.shape()));
            return prelu.forwardAfterNormAndAdd(bn, convOut, residual, o);
        }
        Tensor b = norm.forward(convOut, p);
        Tensor o = sum.get(b.shape());
        k.add(b, residual, o);
        return activation.forward(o, p);
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        requireForward(x, name());
        Tensor dO2 = prelu2.backward(dy);
        Tensor dm = backwardAdding(conv2, bn2.backward(dO2), dO2, dMid);
        Tensor dO1 = prelu1.backward(dm);
        Tensor dSkip = shortcut == null ? dO1 : shortcut.backward(dO1);
        return backwardAdding(conv1, bn1.backward(dO1), dSkip, dx);
    }

    /** {@code conv.backward(dy) + addend}: the add fused into a binarized convolution's last pass. */
    private Tensor backwardAdding(Layer conv, Tensor dy, Tensor addend, Work sum) {
        if (conv instanceof BinaryConv2d binary) {
            return binary.backwardAdding(dy, addend);
        }
        Tensor d = conv.backward(dy);
        Tensor o = sum.get(d.shape());
        k.add(d, addend, o);
        return o;
    }
}
