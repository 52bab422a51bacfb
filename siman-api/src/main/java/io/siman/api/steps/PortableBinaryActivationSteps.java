package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.ConvGeometry;
import io.siman.api.KernelShapes;
import io.siman.api.Shape;
import io.siman.api.Tensor;

/** {@link BinaryActivationSteps} on the core and training kernels; the ApproxSign gradient on the host. */
final class PortableBinaryActivationSteps extends PortableSteps implements BinaryActivationSteps {
    PortableBinaryActivationSteps(Backend backend) {
        super(backend);
    }

    @Override
    public void approxSignBackward(Tensor a1, Tensor dxb, Tensor da1) {
        KernelShapes.expect("approxSignBackward", "dxb", dxb, a1.shape());
        KernelShapes.expect("approxSignBackward", "da1", da1, a1.shape());
        float[] a = backend.downloadFloats(a1), d = backend.downloadFloats(dxb);
        for (int i = 0; i < a.length; i++) {
            d[i] = d[i] * Math.max(0f, 2f - 2f * Math.abs(a[i]));
        }
        backend.write(da1, d);
    }

    @Override
    public void binaryActivationBackward(Tensor x, Tensor mean, Tensor invStd, Tensor dxb, Tensor dx) {
        KernelShapes.expect("binaryActivationBackward", "mean", mean, Shape.of(rows(x)));
        KernelShapes.expect("binaryActivationBackward", "dxb", dxb, x.shape());
        try (Tensor centred = temporary(x.shape()); Tensor a1 = temporary(x.shape()); Tensor da1 = temporary(x.shape())) {
            // a1 = (x - mean) * invStd, as rowStandardize computes it
            k.rowSubtract(x, mean, centred);
            k.rowScale(centred, invStd, a1);
            approxSignBackward(a1, dxb, da1);
            training().rowStandardizeBackward(a1, invStd, da1, dx);
        }
    }

    @Override
    public void binaryConv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor threshold, Tensor dy, Tensor dw) {
        KernelShapes.expect("binaryConv2dBackwardWeights", "threshold", threshold, Shape.of(g.batch()));
        try (Tensor centred = temporary(x.shape()); Tensor signs = temporary(x.shape())) {
            // x - threshold is exact in sign, so sign() is +1 exactly where x >= threshold
            k.rowSubtract(x, threshold, centred);
            k.sign(centred, signs);
            training().conv2dBackwardWeights(g, signs, dy, dw);
        }
    }
}
