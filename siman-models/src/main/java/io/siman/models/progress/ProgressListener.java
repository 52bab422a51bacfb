package io.siman.models.progress;

/**
 * Progress of a long job (evaluation, export, inspection, benchmarks), for progress bars: how many of how many
 * steps are done, and what is being done. Called on the thread that runs the job.
 */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @param done  steps finished
     * @param total steps in all (0 when unknown)
     * @param what  a few words on the current step
     */
    void update(long done, long total, String what);

    ProgressListener NONE = (done, total, what) -> {
    };
}
