package io.siman.models.train;

import io.siman.api.SimanException;

/** The loss became NaN or infinite; the last good checkpoint is kept. */
public final class TrainingDivergedException extends SimanException {
    public TrainingDivergedException(int epoch, int step, double loss, double lr) {
        super("training diverged: loss " + loss + " at epoch " + epoch + ", step " + step
                + "; last.ckpt keeps the last good epoch; try a lower learning rate than " + lr);
    }
}
