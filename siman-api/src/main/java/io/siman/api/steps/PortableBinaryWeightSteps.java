package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.ConvGeometry;
import io.siman.api.Tensor;

/** {@link BinaryWeightSteps} as the general input gradient. */
final class PortableBinaryWeightSteps extends PortableSteps implements BinaryWeightSteps {
    PortableBinaryWeightSteps(Backend backend) {
        super(backend);
    }

    @Override
    public void binaryConv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        training().conv2dBackwardData(g, dy, w, dx);
    }
}
