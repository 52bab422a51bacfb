package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.KernelShapes;
import io.siman.api.Tensor;

/** {@link ResidualTrainingSteps} as the kernels they fuse, through a temporary each. */
final class PortableResidualTrainingSteps extends PortableSteps implements ResidualTrainingSteps {
    PortableResidualTrainingSteps(Backend backend) {
        super(backend);
    }

    @Override
    public void batchNormAddPrelu(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float momentum,
                                  float eps, Tensor residual, Tensor slope, Tensor sum, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        KernelShapes.expect("batchNormAddPrelu", "residual", residual, x.shape());
        KernelShapes.expect("batchNormAddPrelu", "sum", sum, x.shape());
        try (Tensor normalized = temporary(x.shape())) {
            training().batchNormTraining(x, gamma, beta, runningMean, runningVar, momentum, eps, normalized, saveMean, saveInvStd);
            k.add(normalized, residual, sum);
            k.prelu(sum, slope, y);
        }
    }

    @Override
    public void binaryActivationBackwardAdd(Tensor x, Tensor mean, Tensor invStd, Tensor dxb, Tensor addend, Tensor dx) {
        KernelShapes.expect("binaryActivationBackwardAdd", "addend", addend, x.shape());
        try (Tensor gradient = temporary(x.shape())) {
            BinaryActivationSteps.of(backend).binaryActivationBackward(x, mean, invStd, dxb, gradient);
            k.add(gradient, addend, dx);
        }
    }
}
