package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.BitwiseKernels;
import io.siman.api.ConvGeometry;
import io.siman.api.Encoding;
import io.siman.api.KernelShapes;
import io.siman.api.Shape;
import io.siman.api.Tensor;

/** {@link BinaryBlockSteps} as the three kernels it fuses, through two temporaries. */
final class PortableBinaryBlockSteps extends PortableSteps implements BinaryBlockSteps {
    PortableBinaryBlockSteps(Backend backend) {
        super(backend);
    }

    @Override
    public void binaryConv2dAddPrelu(ConvGeometry g, Encoding encoding, Tensor xBits, Tensor wBits, Tensor scale, Tensor bias,
                                     Tensor residual, Tensor slope, Tensor y) {
        KernelShapes.expect("binaryConv2dAddPrelu", "residual", residual, g.outputShape());
        KernelShapes.expect("binaryConv2dAddPrelu", "slope", slope, Shape.of(g.outChannels()));
        try (Tensor sums = temporary(g.outputShape()); Tensor added = temporary(g.outputShape())) {
            backend.kernels(BitwiseKernels.class).binaryConv2d(g, encoding, xBits, wBits, scale, bias, sums);
            k.add(sums, residual, added);
            k.prelu(added, slope, y);
        }
    }
}
