package io.siman.models.train;

/**
 * Faults injected on request, for the reliability tests (docs/reliability.md): each is off unless its system
 * property is set.
 */
public final class Faults {
    /** {@code siman.faults.nanAtStep=N}: the batch of global training step N holds NaN, as a diverging run would. */
    static long nanAtStep() {
        return Long.getLong("siman.faults.nanAtStep", -1);
    }

    private Faults() {
    }
}
