package io.siman.bench;

import io.siman.api.ConvGeometry;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's own convolution and matrix product, called the way a Java user would call them: the {@code conv2d} and
 * {@code conv2d_bp} custom ops of libnd4j (NCHW data, weights laid out {@code [out, in, kh, kw]} as ours) and
 * {@code Nd4j.gemm} on OpenBLAS, all writing into preallocated outputs.
 */
public final class Nd4jConv {
    private Nd4jConv() {
    }

    /** Caps ND4J's own threads and OpenBLAS's at {@code threads} (OMP_NUM_THREADS should say the same). */
    public static void useThreads(int threads) {
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }

    /** {@code y = conv(x, w)} with zero padding and no bias. */
    public static void forward(ConvGeometry g, INDArray x, INDArray w, INDArray y) {
        Nd4j.exec(DynamicCustomOp.builder("conv2d")
                .addInputs(x, w)
                .addOutputs(y)
                .addIntegerArguments(arguments(g))
                .build());
    }

    /** Both gradients in one call, as ND4J computes them: {@code dx} and {@code dw}. */
    public static void backward(ConvGeometry g, INDArray x, INDArray w, INDArray dy, INDArray dx, INDArray dw) {
        Nd4j.exec(DynamicCustomOp.builder("conv2d_bp")
                .addInputs(x, w, dy)
                .addOutputs(dx, dw)
                .addIntegerArguments(arguments(g))
                .build());
    }

    /** {@code y = x * w^T}: the product our {@code linearForward} computes without bias. */
    public static void gemmTransposedB(INDArray x, INDArray w, INDArray y) {
        Nd4j.gemm(x, w, y, false, true, 1.0, 0.0);
    }

    // kH, kW, sH, sW, pH, pW, dH, dW, padding mode (0: explicit), data format (0: NCHW), weight format (1: [oC, iC, kH, kW])
    private static int[] arguments(ConvGeometry g) {
        return new int[]{g.kernelH(), g.kernelW(), g.stride(), g.stride(), g.padding(), g.padding(), 1, 1, 0, 0, 1};
    }
}
