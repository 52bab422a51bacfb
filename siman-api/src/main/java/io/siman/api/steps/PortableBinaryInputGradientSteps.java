package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.ConvGeometry;
import io.siman.api.KernelShapes;
import io.siman.api.Tensor;

/** {@link BinaryInputGradientSteps} as the steps it joins, through a temporary for the activations' gradient. */
final class PortableBinaryInputGradientSteps extends PortableSteps implements BinaryInputGradientSteps {
    PortableBinaryInputGradientSteps(Backend backend) {
        super(backend);
    }

    @Override
    public void binaryConv2dInputGradient(ConvGeometry g, Tensor dy, Tensor w, Tensor x, Tensor mean, Tensor invStd, Tensor addend, Tensor dx) {
        KernelShapes.expect("binaryConv2dInputGradient", "x", x, g.inputShape());
        try (Tensor signs = temporary(g.inputShape())) {
            BinaryWeightSteps.of(backend).binaryConv2dBackwardData(g, dy, w, signs);
            if (addend == null) {
                BinaryActivationSteps.of(backend).binaryActivationBackward(x, mean, invStd, signs, dx);
            } else {
                ResidualTrainingSteps.of(backend).binaryActivationBackwardAdd(x, mean, invStd, signs, addend, dx);
            }
        }
    }
}
