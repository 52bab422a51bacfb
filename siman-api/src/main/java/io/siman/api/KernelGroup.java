package io.siman.api;

import java.util.ArrayList;
import java.util.List;

/**
 * The capability groups of the kernel contract beyond the core {@link Kernels}. A backend has a group when its
 * kernels object implements the group's interface; {@link #of(Backend)} lists them, {@link #require} asks for one.
 */
public enum KernelGroup {
    /** Packing and popcount convolution: bitwise inference. */
    BITWISE("bitwise", "bitwise inference kernels", BitwiseKernels.class),
    /** Backward passes, training-mode batch normalization and the optimizer: training. */
    TRAINING("training", "training kernels", TrainingKernels.class);

    private final String id;
    private final String description;
    private final Class<?> type;

    KernelGroup(String id, String description, Class<?> type) {
        this.id = id;
        this.description = description;
        this.type = type;
    }

    /** The name used in listings and errors. */
    public String id() {
        return id;
    }

    /** The interface a backend's kernels implement to have this group. */
    public Class<?> type() {
        return type;
    }

    /** Whether {@code backend} has this group. */
    public boolean in(Backend backend) {
        return backend.kernels().as(type).isPresent();
    }

    /** The groups {@code backend} has, in declaration order. */
    public static List<KernelGroup> of(Backend backend) {
        List<KernelGroup> groups = new ArrayList<>();
        for (KernelGroup g : values()) {
            if (g.in(backend)) {
                groups.add(g);
            }
        }
        return groups;
    }

    /** {@code backend}'s kernels of group {@code type}, or a {@link MissingKernelsException} naming both. */
    public static <G> G require(Backend backend, Class<G> type) {
        return backend.kernels().as(type).orElseThrow(() -> new MissingKernelsException(backend.name(), describe(type)));
    }

    private static String describe(Class<?> type) {
        for (KernelGroup g : values()) {
            if (g.type == type) {
                return "the " + g.description + " (group '" + g.id + "')";
            }
        }
        return type.getSimpleName();
    }
}
