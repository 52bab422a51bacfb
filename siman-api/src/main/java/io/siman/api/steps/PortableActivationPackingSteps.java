package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.BitwiseKernels;
import io.siman.api.Tensor;

/** {@link ActivationPackingSteps} as its two kernels. */
final class PortableActivationPackingSteps extends PortableSteps implements ActivationPackingSteps {
    PortableActivationPackingSteps(Backend backend) {
        super(backend);
    }

    @Override
    public void meanAndPack(Tensor x, Tensor mean, Tensor bits) {
        k.rowMean(x, mean);
        backend.kernels(BitwiseKernels.class).packActivations(x, mean, bits);
    }
}
