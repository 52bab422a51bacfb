package io.siman.kstar;

import io.siman.api.Backend;
import io.siman.api.Encoding;
import io.siman.api.Tensor;
import io.siman.api.steps.Steps;

/**
 * The step family this plugin brings: bits by the angle-aligned count. A backend plugin accelerates it by having its
 * kernels implement this interface; every other backend runs {@link #portable}.
 */
public interface KStarSteps {
    /**
     * Per row of the standardized weights {@code z}: {@code k* = argmax over k of S_k / sqrt(k)} ({@code S_k} the sum
     * of the {@code k} largest {@code |z|}; the smallest such {@code k} on ties), the number of ones of the {0, 1}
     * vector closest in angle to {@code |z|} (docs/method.md, "Why the top half"); the {@code k*} largest {@code |z|}
     * get bit 1 (ties to the lower index), the rest 0. Writes the effective weights {@code s} ({@code 2B - 1} for
     * {@link Encoding#PM1}, {@code B} for {@link Encoding#ZERO_ONE}) and the counts {@code k*} per row into
     * {@code counts} (INT32 {@code [R]}).
     */
    void kStarBits(Tensor z, Encoding encoding, Tensor s, Tensor counts);

    /** The backend's own version when its kernels implement this family, else {@link #portable}. */
    static KStarSteps of(Backend backend) {
        return Steps.of(backend, KStarSteps.class, PortableKStarSteps::new);
    }

    /** The portable default: the counts from the magnitudes on the host, the bits by the core's {@code topMagnitudes}. */
    static KStarSteps portable(Backend backend) {
        return new PortableKStarSteps(backend);
    }
}
