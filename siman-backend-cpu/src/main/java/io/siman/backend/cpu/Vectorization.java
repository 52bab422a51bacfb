package io.siman.backend.cpu;


/**
 * Chooses between the plain-Java kernels and the Vector API kernels, in the manner of Lucene's
 * vectorization provider: the vector path is used only when the {@code jdk.incubator.vector} module is
 * in the boot layer (the launcher adds it) and the caller did not turn it off; otherwise one line says why.
 */
final class Vectorization {
    /** Backend property: {@code false} forces the plain-Java path. */
    static final String PROPERTY = "cpu.vectorize";

    private static final System.Logger LOG = System.getLogger(Vectorization.class.getName());

    private Vectorization() {
    }

    static boolean moduleAvailable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    static MatMul matMul(java.util.Map<String, String> properties) {
        if ("false".equalsIgnoreCase(properties.getOrDefault(PROPERTY, "true"))) {
            return Gemm.INSTANCE;
        }
        if (!moduleAvailable()) {
            // DEBUG: an embedder's console stays quiet by default; docs/embedding.md says what the flag does
            LOG.log(System.Logger.Level.DEBUG, "jdk.incubator.vector is not in the boot layer (add --add-modules jdk.incubator.vector): using plain-Java kernels");
            return Gemm.INSTANCE;
        }
        return VectorGemm.INSTANCE;
    }

    /** Backend property: {@code false} makes the vector path convolve by im2col and matrix multiply. */
    static final String DIRECT_PROPERTY = "cpu.directConvolution";

    /** The direct stride-1 convolutions, or null on the plain path (which keeps im2col and the matrix multiply). */
    static VectorConv directConvolution(java.util.Map<String, String> properties) {
        if ("false".equalsIgnoreCase(properties.getOrDefault(PROPERTY, "true")) || !moduleAvailable()
                || "false".equalsIgnoreCase(properties.getOrDefault(DIRECT_PROPERTY, "true"))) {
            return null;
        }
        return VectorConv.INSTANCE;
    }

    static Reductions reductions(java.util.Map<String, String> properties) {
        if ("false".equalsIgnoreCase(properties.getOrDefault(PROPERTY, "true")) || !moduleAvailable()) {
            return Reductions.SCALAR;
        }
        return VectorReductions.INSTANCE;
    }

    static BitKernels bitKernels(java.util.Map<String, String> properties) {
        if ("false".equalsIgnoreCase(properties.getOrDefault(PROPERTY, "true")) || !moduleAvailable()) {
            return ScalarBitKernels.INSTANCE;
        }
        return VectorBitKernels.INSTANCE;
    }
}
