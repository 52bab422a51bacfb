package io.siman.models.bench;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.api.SimanException;
import io.siman.api.TrainingProgress;
import io.siman.models.data.Dataset;
import io.siman.models.data.Datasets;
import io.siman.models.nets.Network;
import io.siman.models.train.Batches;
import io.siman.models.train.Evaluation;
import io.siman.models.train.Models;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingStep;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Times whole training steps as {@code siman train} runs them: real batches of the dataset with augmentation
 * (prepared on the loader thread), forward, loss, backward and the SGD update, after warm-up steps that let
 * the JIT compile. Reports training images per second.
 */
public final class TrainingBenchmark {
    /** What was measured. */
    public record Result(String model, String binarizer, int batch, int threads, String backend, int steps, double seconds) {
        public double imagesPerSecond() {
            return (double) batch * steps / seconds;
        }
    }

    private TrainingBenchmark() {
    }

    /**
     * @param warmup steps run before timing
     * @param steps  steps timed
     */
    public static Result run(Backend backend, BinarizerRegistry binarizers, String model, String binarizer, String dataset, Path dataDir,
                             int batch, int warmup, int steps, Consumer<String> progress) {
        if (batch < 2 || warmup < 0 || steps < 1) {
            throw new SimanException("training benchmark: batch must be at least 2, warm-up steps at least 0 and timed steps at least 1");
        }
        TrainingConfig config = new TrainingConfig(model, dataset, binarizer, Encoding.PM1, 2, batch, TrainingConfig.DEFAULT_LR, 0.9,
                TrainingConfig.DEFAULT_WEIGHT_DECAY, null, 0, 1, 0, 0);
        Dataset data = Datasets.open(dataset, dataDir, Datasets.Split.TRAIN);
        int total = warmup + steps;
        if ((long) total * batch > data.size()) {
            throw new SimanException("training benchmark: " + total + " steps of " + batch + " need more than the " + data.size() + " training images");
        }
        int[] order = Batches.shuffled(Evaluation.range(data.size()), 1);
        try (Network net = Models.build(backend, binarizers, config, new int[]{data.channels(), data.height(), data.width()}, data.classes());
             TrainingStep step = new TrainingStep(backend, net, binarizers.get(binarizer), config.momentum(), config.weightDecay(), null);
             Batches batches = new Batches(data, order, batch, true, 1, 0)) {
            TrainingProgress training = TrainingProgress.training(0, 2);
            long t0 = 0;
            for (int s = 0; s < total; s++) {
                if (s == warmup) {
                    t0 = System.nanoTime();
                }
                progress.accept((s < warmup ? "warm-up step " + (s + 1) + "/" + warmup : "timed step " + (s - warmup + 1) + "/" + steps));
                Batches.Batch b = batches.next();
                TrainingStep.Outcome o = step.run(b.images(), b.labels(), b.size(), config.lr(), training);
                if (!Double.isFinite(o.lossSum())) {
                    throw new SimanException("training benchmark: the loss diverged at step " + s);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new Result(model, binarizer, batch, backend.threads(), backend.name(), steps, seconds);
        }
    }
}
