package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.BitwiseKernels;
import io.siman.api.ConvGeometry;
import io.siman.api.Encoding;
import io.siman.api.Kernels;
import io.siman.api.Tensor;

/**
 * The inference path of a binarized residual block (docs/method.md section 5) in one pass: the popcount convolution
 * with its folded affine, the residual add and the PReLU, so that the block's float planes are written once rather
 * than three times. A step family: {@link #of} gives the backend's own version when its kernels implement this
 * interface, else the portable default, written once: {@link BitwiseKernels#binaryConv2d}, {@link Kernels#add} and
 * {@link Kernels#prelu} through two temporaries.
 */
public interface BinaryBlockSteps {

    /**
     * {@code y = prelu(binaryConv2d(g, encoding, xBits, wBits, scale, bias) + residual, slope)}, with every operation
     * rounded as the three kernels round it (the same floats): {@code residual} and {@code y} have the convolution's
     * output shape, {@code slope} one value per output channel; {@code scale} and {@code bias} may be null.
     */
    void binaryConv2dAddPrelu(ConvGeometry g, Encoding encoding, Tensor xBits, Tensor wBits, Tensor scale, Tensor bias,
                              Tensor residual, Tensor slope, Tensor y);

    /** The steps of {@code backend}: its own when it implements them, else {@link #portable}. */
    static BinaryBlockSteps of(Backend backend) {
        return Steps.of(backend, BinaryBlockSteps.class, PortableBinaryBlockSteps::new);
    }

    /** The portable default on {@code backend}'s core and bitwise kernels (for tests and for backends that lack their own). */
    static BinaryBlockSteps portable(Backend backend) {
        return new PortableBinaryBlockSteps(backend);
    }
}
