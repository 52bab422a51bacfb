package io.siman.models.train;

/** Progress of a training run, for progress bars and logs. Called on the training thread. */
public interface TrainingListener {
    default void epochStarted(int epoch, int epochs, double lr, int batches) {
    }

    /** After each training step, with the running mean loss of the epoch so far. */
    default void batchFinished(int epoch, int batch, int batches, double meanLoss, double imagesPerSecond) {
    }

    default void evaluating(String what) {
    }

    default void epochFinished(EpochMetrics metrics) {
    }

    TrainingListener NONE = new TrainingListener() {
    };
}
