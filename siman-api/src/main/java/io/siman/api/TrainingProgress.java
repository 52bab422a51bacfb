package io.siman.api;

/**
 * Where a forward pass stands in training, for schedules that depend on it (SiMaN's clip percentile,
 * IR-Net's EDE). {@link #EVAL} marks evaluation: no clipping, frozen bits, running statistics.
 *
 * @param training whether this is a training step
 * @param epoch    the current epoch, counted from 0
 * @param epochs   the run's total epochs
 */
public record TrainingProgress(boolean training, int epoch, int epochs) {
    public static final TrainingProgress EVAL = new TrainingProgress(false, 0, 1);

    public TrainingProgress {
        if (epochs < 1 || epoch < 0) {
            throw new SimanException("bad training progress: epoch " + epoch + " of " + epochs);
        }
    }

    public static TrainingProgress training(int epoch, int epochs) {
        return new TrainingProgress(true, epoch, epochs);
    }

    /** {@code epoch / epochs}, in {@code [0, 1)} during training. */
    public double fraction() {
        return epoch / (double) epochs;
    }
}
