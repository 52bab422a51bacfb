package io.siman.backend.cpu;

import io.siman.api.HostCpu;

import java.util.Map;

/**
 * Chooses between the plain-Java kernels and the Vector API kernels once per backend, in the manner of Lucene's
 * vectorization provider: one decision ({@link #choose}), one reason, logged once, and every kernel family takes
 * its implementation from that decision. The vector path needs the {@code jdk.incubator.vector} module in the
 * boot layer (the launcher adds it) and is the default; the backend property {@code cpu.vectorize=false} forces
 * the plain path, and {@code cpu.directConvolution=false} keeps the vector path's convolutions on im2col and the
 * matrix product.
 *
 * <p>The bit kernels' popcount strategy is part of the same decision ({@link Popcount}): the vector width and the
 * register file of the CPU class pick it, {@code cpu.popcount} (or {@code -Dsiman.cpu.popcount}) forces one.
 */
final class Vectorization {
    /** Backend property: {@code false} forces the plain-Java path. */
    static final String PROPERTY = "cpu.vectorize";
    /** Backend property: {@code false} makes the vector path convolve by im2col and matrix multiply. */
    static final String DIRECT_PROPERTY = "cpu.directConvolution";

    /** Backend property: the popcount strategy of the bit kernels ({@link Popcount}), {@code auto} by default. */
    static final String POPCOUNT_PROPERTY = "cpu.popcount";

    private static final System.Logger LOG = System.getLogger(Vectorization.class.getName());

    /**
     * How the bit kernels count: one strategy per CPU class. Every strategy runs on every machine (a vector size the
     * CPU lacks is emulated by the Vector API), so the contract suite tests them all; only speed differs.
     */
    enum Popcount {
        /** Vector XOR and popcount in register tiles of 16 accumulators: AVX-512, 32 registers (VPOPCNTQ where the CPU has it). */
        AVX512("avx512"),
        /** Vector XOR and popcount (on AVX2 a nibble-table lookup) in register tiles of 8 accumulators: 16 registers. */
        AVX2("avx2"),
        /** Plain Java: {@code Long.bitCount}, the POPCNT instruction. */
        SCALAR("scalar");

        final String id;

        Popcount(String id) {
            this.id = id;
        }

        BitKernels kernels() {
            return switch (this) {
                case AVX512 -> VectorBitKernels.WIDE_TILES;
                case AVX2 -> VectorBitKernels.NARROW_TILES;
                case SCALAR -> ScalarBitKernels.INSTANCE;
            };
        }

        static Popcount of(String id) {
            for (Popcount p : values()) {
                if (p.id.equalsIgnoreCase(id.trim())) {
                    return p;
                }
            }
            throw new io.siman.api.UnknownNameException(POPCOUNT_PROPERTY + " strategy", id.trim(), java.util.List.of("auto", "avx512", "avx2", "scalar"));
        }
    }

    /** The decision: which implementation each kernel family takes, and why. */
    record Choice(boolean vector, boolean directConvolution, Popcount popcount, String reason) {
        MatMul matMul() {
            return vector ? VectorGemm.INSTANCE : Gemm.INSTANCE;
        }

        /** The direct stride-1 convolutions, or null where convolutions go through im2col and the matrix product. */
        VectorConv convolution() {
            return vector && directConvolution ? VectorConv.INSTANCE : null;
        }

        Pointwise pointwise() {
            return vector ? VectorPointwise.INSTANCE : Pointwise.SCALAR;
        }

        Reductions reductions() {
            return vector ? VectorReductions.of() : Reductions.SCALAR;
        }

        BitKernels bitKernels() {
            return popcount.kernels();
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
        String forced = properties.getOrDefault(POPCOUNT_PROPERTY, System.getProperty("siman." + POPCOUNT_PROPERTY, "auto"));
        Popcount popcount = forced.isBlank() || forced.trim().equalsIgnoreCase("auto") ? null : Popcount.of(forced);
        Choice c;
        if ("false".equalsIgnoreCase(properties.getOrDefault(PROPERTY, "true"))) {
            c = new Choice(false, false, Popcount.SCALAR, PROPERTY + "=false: plain-Java kernels" + ignored(popcount));
        } else if (!moduleAvailable()) {
            c = new Choice(false, false, Popcount.SCALAR,
                    "jdk.incubator.vector is not in the boot layer (add --add-modules jdk.incubator.vector): plain-Java kernels" + ignored(popcount));
        } else {
            int bits = VectorBitKernels.vectorBits();
            Popcount chosen = popcount != null ? popcount : bits >= 512 ? Popcount.AVX512 : Popcount.AVX2;
            String why = popcount != null ? POPCOUNT_PROPERTY + "=" + popcount.id
                    : bits + "-bit vectors" + (bits >= 512 ? ", 32 registers" : ", 16 registers");
            c = new Choice(true, direct, chosen, "Vector API kernels, " + VectorGemm.SPECIES.vectorBitSize() + "-bit"
                    + (direct ? "" : ", convolutions by im2col (" + DIRECT_PROPERTY + "=false)")
                    + "; popcount " + chosen.id + " (" + why + (HostCpu.current().has("avx512_vpopcntdq") && bits >= 512 ? ", VPOPCNTQ" : "") + ")");
        }
        LOG.log(System.Logger.Level.DEBUG, c.reason());
        return c;
    }

    /** The plain path has one popcount: a strategy asked for is noted, not an error (the same properties serve every JVM). */
    private static String ignored(Popcount asked) {
        return asked == null || asked == Popcount.SCALAR ? "" : " (" + POPCOUNT_PROPERTY + "=" + asked.id + " needs the vector path: scalar popcount)";
    }

    /** The matrix product of the default choice (tests compare the paths directly). */
    static MatMul matMul(Map<String, String> properties) {
        return choose(properties).matMul();
    }
}
