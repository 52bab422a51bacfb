package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.ConvGeometry;
import io.siman.api.KernelShapes;
import io.siman.api.Tensor;

/** {@link BinaryWeightGradientSteps} as the float input's weight gradient: the bits are checked, then not read. */
final class PortableBinaryWeightGradientSteps extends PortableSteps implements BinaryWeightGradientSteps {
    PortableBinaryWeightGradientSteps(Backend backend) {
        super(backend);
    }

    @Override
    public void binaryConv2dBackwardWeightsFromBits(ConvGeometry g, Tensor x, Tensor threshold, Tensor xBits, Tensor dy, Tensor dw) {
        KernelShapes.expect("binaryConv2dBackwardWeightsFromBits", "xBits", xBits, g.packedInputShape());
        BinaryActivationSteps.of(backend).binaryConv2dBackwardWeights(g, x, threshold, dy, dw);
    }
}
