package io.siman.spark;

import io.siman.api.SimanException;
import io.siman.models.Siman;
import io.siman.models.data.Dataset;
import io.siman.models.io.Checkpoint;
import io.siman.models.nets.Network;
import io.siman.models.train.Batches;
import io.siman.models.train.Evaluation;
import io.siman.models.train.Models;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingStep;
import io.siman.api.TrainingProgress;
import org.apache.spark.TaskContext;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * One worker's share of one round of data-parallel training, run as a Spark task: start from the broadcast state,
 * train up to {@code syncSteps} steps on the worker's shard of the epoch, return the new state. Everything a task
 * computes follows from its inputs (the shard, the state, seeds derived from epoch, round and worker), so a task
 * that Spark retries returns exactly what the failed attempt would have.
 */
final class WorkerRound {
    /** Testing hook: {@code epoch:round:worker} of a task whose first attempt fails on purpose. */
    static final String FAIL_ONCE_PROPERTY = "siman.spark.failOnce";

    /** What the driver sends: the configuration as stored in checkpoints, and where in the epoch this round is. */
    record Task(Map<String, String> config, String dataDir, int trainImages, int epoch, int round, int worker, int workers,
                int syncSteps, double lr, String backend, int threads) implements Serializable {
    }

    /** What a worker returns; {@code state} is null when its shard had no batch left in this round. */
    record Outcome(int worker, byte[] state, double lossSum, int correct, int seen, int steps) implements Serializable {
    }

    private WorkerRound() {
    }

    /** The training images of {@code worker} in {@code epoch}: every {@code workers}-th of the epoch's shuffled order. */
    static int[] shard(TrainingConfig config, int trainImages, int epoch, int worker, int workers) {
        int[] order = Batches.shuffled(Evaluation.range(trainImages), Batches.mix(config.seed(), epoch, -1));
        int[] mine = new int[(order.length - worker + workers - 1) / workers];
        for (int i = worker, k = 0; i < order.length; i += workers, k++) {
            mine[k] = order[i];
        }
        return mine;
    }

    static Outcome run(Task t, byte[] state) {
        failOnceIfAsked(t);
        TrainingConfig config = TrainingConfig.fromMap(t.config(), "the driver's configuration");
        int[] shard = shard(config, t.trainImages(), t.epoch(), t.worker(), t.workers());
        int batch = SparkTraining.workerBatch(config, t.workers());
        int from = t.round() * t.syncSteps() * batch;
        if (from >= shard.length) {
            return new Outcome(t.worker(), null, 0, 0, 0, 0);
        }
        int[] slice = Arrays.copyOfRange(shard, from, Math.min(shard.length, from + t.syncSteps() * batch));
        Dataset train = ExecutorResources.trainingSet(config.dataset(), t.dataDir());
        int[] input = {train.channels(), train.height(), train.width()};
        try (Siman siman = Siman.builder().backend(t.backend()).threads(t.threads() > 0 ? t.threads() : ExecutorResources.threads()).build();
             Network net = Models.build(siman.backend(), siman.binarizers(), config, input, train.classes());
             TrainingStep step = new TrainingStep(siman.backend(), net, siman.binarizer(config.binarizer()), config.momentum(),
                     config.weightDecay(), config.binarizedWeightDecay());
             Batches batches = new Batches(train, slice, batch, true, Batches.mix(config.seed(), t.worker(), t.round()), t.epoch())) {
            Models.restore(siman.backend(), net, step.velocities(),
                    new Checkpoint(t.config(), Map.of(), Map.of(), StateCodec.decode(state)), Path.of("the broadcast state"));
            TrainingProgress progress = TrainingProgress.training(t.epoch(), config.epochs());
            double lossSum = 0;
            int correct = 0, seen = 0, steps = 0;
            while (batches.hasNext()) {
                Batches.Batch b = batches.next();
                if (b.size() < 2) {
                    continue; // batch norm cannot train on one sample
                }
                TrainingStep.Outcome o = step.run(b.images(), b.labels(), b.size(), t.lr(), progress);
                if (!Double.isFinite(o.lossSum())) {
                    throw new SimanException("training diverged in epoch " + (t.epoch() + 1) + ", round " + (t.round() + 1)
                            + ", worker " + t.worker() + " (loss " + o.lossSum() / b.size() + "); try a lower --lr");
                }
                lossSum += o.lossSum();
                correct += o.correct();
                seen += b.size();
                steps++;
            }
            byte[] result = StateCodec.encode(Models.snapshot(siman.backend(), net, step.velocities()));
            return new Outcome(t.worker(), result, lossSum, correct, seen, steps);
        }
    }

    private static void failOnceIfAsked(Task t) {
        String at = System.getProperty(FAIL_ONCE_PROPERTY);
        TaskContext task = TaskContext.get();
        if (at != null && task != null && task.attemptNumber() == 0
                && at.equals(t.epoch() + ":" + t.round() + ":" + t.worker())) {
            throw new IllegalStateException("injected failure of epoch " + t.epoch() + ", round " + t.round() + ", worker "
                    + t.worker() + " (" + FAIL_ONCE_PROPERTY + ")");
        }
    }
}
