package io.siman.backend.cpu;

import java.util.Map;

/**
 * Chooses between the plain-Java kernels and the Vector API kernels once per backend, in the manner of Lucene's
 * vectorization provider: one decision ({@link #choose}), one reason, logged once, and every kernel family takes
 * its implementation from that decision. The vector path needs the {@code jdk.incubator.vector} module in the
 * boot layer (the launcher adds it) and is the default; the backend property {@code cpu.vectorize=false} forces
 * the plain path, and {@code cpu.directConvolution=false} keeps the vector path's convolutions on im2col and the
 * matrix product.
 */
final class Vectorization {
    /** Backend property: {@code false} forces the plain-Java path. */
    static final String PROPERTY = "cpu.vectorize";
    /** Backend property: {@code false} makes the vector path convolve by im2col and matrix multiply. */
    static final String DIRECT_PROPERTY = "cpu.directConvolution";

    private static final System.Logger LOG = System.getLogger(Vectorization.class.getName());

    /** The decision: which implementation each kernel family takes, and why. */
    record Choice(boolean vector, boolean directConvolution, String reason) {
        MatMul matMul() {
            return vector ? VectorGemm.INSTANCE : Gemm.INSTANCE;
        }

        /** The direct stride-1 convolutions, or null where convolutions go through im2col and the matrix product. */
        VectorConv convolution() {
            return vector && directConvolution ? VectorConv.INSTANCE : null;
        }

        Reductions reductions() {
            return vector ? VectorReductions.INSTANCE : Reductions.SCALAR;
        }

        BitKernels bitKernels() {
            return vector ? VectorBitKernels.INSTANCE : ScalarBitKernels.INSTANCE;
        }
    }

    private Vectorization() {
    }

    static boolean moduleAvailable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** The one lookup: the backend's properties and the JVM decide; the reason is logged (at DEBUG: embedders' consoles stay quiet). */
    static Choice choose(Map<String, String> properties) {
        boolean direct = !"false".equalsIgnoreCase(properties.getOrDefault(DIRECT_PROPERTY, "true"));
        Choice c;
        if ("false".equalsIgnoreCase(properties.getOrDefault(PROPERTY, "true"))) {
            c = new Choice(false, false, PROPERTY + "=false: plain-Java kernels");
        } else if (!moduleAvailable()) {
            c = new Choice(false, false, "jdk.incubator.vector is not in the boot layer (add --add-modules jdk.incubator.vector): plain-Java kernels");
        } else {
            c = new Choice(true, direct, "Vector API kernels, " + VectorGemm.SPECIES.vectorBitSize() + "-bit"
                    + (direct ? "" : ", convolutions by im2col (" + DIRECT_PROPERTY + "=false)"));
        }
        LOG.log(System.Logger.Level.DEBUG, c.reason());
        return c;
    }

    /** The matrix product of the default choice (tests compare the paths directly). */
    static MatMul matMul(Map<String, String> properties) {
        return choose(properties).matMul();
    }
}
