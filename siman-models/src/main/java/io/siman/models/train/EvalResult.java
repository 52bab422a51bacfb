package io.siman.models.train;

/**
 * One pass over a dataset without training.
 *
 * @param loss           mean cross-entropy
 * @param accuracy       top-1 accuracy, 0..1
 * @param top5           top-5 accuracy, 0..1
 * @param count          images evaluated
 * @param seconds        wall time
 */
public record EvalResult(double loss, double accuracy, double top5, int count, double seconds) {
    public double imagesPerSecond() {
        return seconds > 0 ? count / seconds : 0;
    }
}
