package io.siman.models.train;

/**
 * What one epoch did; one line of {@code metrics.jsonl}. Validation values are NaN without {@code --val-split}.
 */
public record EpochMetrics(int epoch, double lr, double trainLoss, double trainAcc, double testLoss, double testAcc,
                           double testTop5, double valLoss, double valAcc, double imagesPerSecond, double seconds,
                           boolean best) {
}
