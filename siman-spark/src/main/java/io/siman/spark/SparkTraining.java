package io.siman.spark;

import io.siman.api.SimanException;
import io.siman.models.Siman;
import io.siman.models.data.Dataset;
import io.siman.models.data.Datasets;
import io.siman.models.io.Checkpoint;
import io.siman.models.nets.Network;
import io.siman.models.train.Batches;
import io.siman.models.train.EpochMetrics;
import io.siman.models.train.EvalResult;
import io.siman.models.train.Evaluation;
import io.siman.models.train.Models;
import io.siman.models.train.Trainer;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingListener;
import io.siman.models.train.SgdMomentum;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Data-parallel SiMaN training on Spark by synchronous model averaging. Each epoch's shuffled order is dealt to
 * {@code workers} shards, and each worker steps with {@code batch / workers} images, so that one step of all
 * workers together sees a batch as in single-process training; in each round every worker starts from the same broadcast state (weights, alphas, batch-norm
 * statistics, velocities), trains up to {@code syncSteps} steps on its shard, and the driver averages what the workers
 * return and broadcasts the mean for the next round. SiMaN's bits are recomputed from the averaged latent weights at
 * the next step, as at any step. At the end of an epoch the batch-norm statistics are measured again for the averaged
 * weights (see {@link #recalibrateBatchNorm}). After each epoch the driver evaluates on the test set and writes {@code metrics.jsonl},
 * {@code last.ckpt} and {@code best.ckpt} in the same formats as {@code siman train}, so {@code eval}, {@code export},
 * {@code plot} and {@code inspect} read them.
 */
public final class SparkTraining {
    private static final Logger LOG = LoggerFactory.getLogger(SparkTraining.class);

    /**
     * @param dataDir   the dataset's folder, as every executor sees it (null: the dataset's standard location)
     * @param workers   Spark tasks per round (one shard each)
     * @param syncSteps training steps of each worker between two averagings
     * @param resume    continue the run in {@code out} from its {@code last.ckpt} (the configuration must be the stored one)
     * @param workerBackend the backend each worker trains on (null: the selection order on the executor)
     * @param workerThreads threads of each worker's backend (0: {@code -Dsiman.spark.threads}, else 1)
     */
    public record Options(TrainingConfig config, String dataDir, Path out, int workers, int syncSteps, boolean resume,
                          String workerBackend, int workerThreads) {
        /** A new run whose workers use the {@code cpu} backend with the executors' default thread count. */
        public Options(TrainingConfig config, String dataDir, Path out, int workers, int syncSteps) {
            this(config, dataDir, out, workers, syncSteps, false, "cpu", 0);
        }

        public Options {
            if (workerThreads < 0) {
                throw new SimanException("--threads must not be negative, got " + workerThreads);
            }
            if (workers < 1) {
                throw new SimanException("--workers must be at least 1, got " + workers);
            }
            if (syncSteps < 1) {
                throw new SimanException("--sync-steps must be at least 1, got " + syncSteps);
            }
            if (config.batch() % workers != 0 || config.batch() / workers < 2) {
                throw new SimanException("--batch " + config.batch() + " is the batch of all workers together: it must split into "
                        + workers + " equal batches of at least 2");
            }
            if (config.valSplit() != 0) {
                throw new SimanException("spark train chooses best.ckpt by test accuracy: --val-split is not supported");
            }
        }
    }

    public record Result(List<EpochMetrics> epochs, double bestTestAcc, int bestEpoch, double finalTestAcc, int rounds) {
    }

    private SparkTraining() {
    }

    /**
     * Images per step of one worker: {@code --batch} counts the images of one step of all workers together, as in
     * single-process training, so each worker takes {@code batch / workers} and an epoch has as many steps as there.
     */
    static int workerBatch(TrainingConfig config, int workers) {
        return config.batch() / workers;
    }

    /** Training batches whose statistics replace the averaged running statistics of batch norm after each epoch. */
    static final int CALIBRATION_BATCHES = 32;

    /**
     * Averaged weights give other activations than either worker's (a binarized weight whose workers disagree flips
     * its bit), so the averaged running statistics of batch norm do not fit them, and evaluation suffers (on a
     * short run, 10 points of test accuracy). As after stochastic weight averaging, the statistics are measured
     * again: forward passes in training mode over {@link #CALIBRATION_BATCHES} augmented training batches, no update.
     */
    private static void recalibrateBatchNorm(Siman driver, Network net, Dataset train, int n, TrainingConfig config, int epoch) {
        int[] order = Batches.shuffled(Evaluation.range(n), Batches.mix(config.seed(), epoch, -2));
        int[] some = java.util.Arrays.copyOf(order, Math.min(n, CALIBRATION_BATCHES * config.batch()));
        io.siman.api.TrainingProgress progress = io.siman.api.TrainingProgress.training(epoch, config.epochs());
        try (Batches batches = new Batches(train, some, config.batch(), true, Batches.mix(config.seed(), epoch, -2), epoch)) {
            while (batches.hasNext()) {
                Batches.Batch b = batches.next();
                if (b.size() < 2) {
                    continue;
                }
                try (io.siman.api.Tensor x = driver.backend().upload(java.util.Arrays.copyOf(b.images(), b.size() * train.imageSize()),
                        net.inputShape(b.size()))) {
                    net.forward(x, progress);
                }
            }
        }
    }

    public static Result run(SparkSession spark, Siman driver, Options o, TrainingListener listener, Map<String, String> runRecord) {
        TrainingConfig config = o.config();
        driver.binarizer(config.binarizer());
        Dataset train = Datasets.open(config.dataset(), o.dataDir() == null ? null : Path.of(o.dataDir()), Datasets.Split.TRAIN);
        Dataset test = Datasets.open(config.dataset(), o.dataDir() == null ? null : Path.of(o.dataDir()), Datasets.Split.TEST);
        int n = config.limit() > 0 ? Math.min(config.limit(), train.size()) : train.size();
        if (n < 2L * o.workers()) {
            throw new SimanException(o.workers() + " workers need at least " + 2 * o.workers() + " training images, got " + n);
        }
        int[] input = {train.channels(), train.height(), train.width()};
        int[] testIdx = Evaluation.range(test.size());
        Map<String, String> configMap = new LinkedHashMap<>(config.toMap());
        Map<String, String> run = new LinkedHashMap<>(runRecord);
        run.put("spark-master", spark.sparkContext().master());
        run.put("spark-workers", Integer.toString(o.workers()));
        run.put("spark-sync-steps", Integer.toString(o.syncSteps()));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

        try (Network net = Models.build(driver.backend(), driver.binarizers(), config, input, train.classes());
             SgdMomentum velocities = SgdMomentum.of(driver.backend(), net, driver.binarizer(config.binarizer()), config)) {
            Map<String, Checkpoint.StoredTensor> state = Models.snapshot(driver.backend(), net, velocities.velocities());
            List<EpochMetrics> history = new ArrayList<>();
            double best = -1;
            int bestEpoch = -1, step = 0, rounds = 0, start = 0;
            if (o.resume()) {
                Path lastFile = o.out().resolve(Trainer.LAST);
                Checkpoint ckpt = Checkpoint.read(lastFile);
                if (!TrainingConfig.fromMap(ckpt.config(), lastFile.toString()).equals(config)) {
                    throw new SimanException(lastFile + " was trained with a different configuration");
                }
                if (ckpt.run().get("spark-workers") == null) {
                    throw new SimanException(lastFile + " was not written by 'siman spark train'; resume it with 'siman train --resume'");
                }
                Models.restore(driver.backend(), net, velocities.velocities(), ckpt, lastFile); // checks every tensor
                state = Models.snapshot(driver.backend(), net, velocities.velocities());
                start = Integer.parseInt(ckpt.state().get("epoch")) + 1;
                best = Double.parseDouble(ckpt.state().get("best-test-acc"));
                bestEpoch = Integer.parseInt(ckpt.state().get("best-epoch"));
                step = Integer.parseInt(ckpt.state().get("step"));
                history.addAll(Trainer.readMetrics(o.out(), start));
            }
            for (int epoch = start; epoch < config.epochs(); epoch++) {
                long t0 = System.nanoTime();
                double lr = config.learningRate(epoch);
                int longest = WorkerRound.shard(config, n, epoch, 0, o.workers()).length;
                int batchesPerWorker = (longest + workerBatch(config, o.workers()) - 1) / workerBatch(config, o.workers());
                int epochRounds = (batchesPerWorker + o.syncSteps() - 1) / o.syncSteps();
                listener.epochStarted(epoch, config.epochs(), lr, epochRounds);
                double lossSum = 0;
                int correct = 0, seen = 0;
                for (int r = 0; r < epochRounds; r++) {
                    List<WorkerRound.Task> tasks = new ArrayList<>();
                    for (int w = 0; w < o.workers(); w++) {
                        tasks.add(new WorkerRound.Task(configMap, o.dataDir(), n, epoch, r, w, o.workers(), o.syncSteps(), lr,
                                o.workerBackend(), o.workerThreads()));
                    }
                    Broadcast<byte[]> shared = jsc.broadcast(StateCodec.encode(state));
                    List<WorkerRound.Outcome> outcomes;
                    try {
                        outcomes = new ArrayList<>(jsc.parallelize(tasks, tasks.size())
                                .map(t -> WorkerRound.run(t, shared.value()))
                                .collect());
                    } finally {
                        shared.destroy();
                    }
                    outcomes.sort(Comparator.comparingInt(WorkerRound.Outcome::worker));
                    List<Map<String, Checkpoint.StoredTensor>> trained = new ArrayList<>();
                    for (WorkerRound.Outcome out : outcomes) {
                        if (out.state() != null) {
                            trained.add(StateCodec.decode(out.state()));
                            lossSum += out.lossSum();
                            correct += out.correct();
                            seen += out.seen();
                            step += out.steps();
                        }
                    }
                    if (!trained.isEmpty()) {
                        state = StateCodec.average(trained);
                    }
                    rounds++;
                    double elapsed = (System.nanoTime() - t0) / 1e9;
                    listener.batchFinished(epoch, r, epochRounds, lossSum / Math.max(1, seen), seen / elapsed);
                }
                double trainSeconds = (System.nanoTime() - t0) / 1e9;
                Models.restore(driver.backend(), net, velocities.velocities(),
                        new Checkpoint(configMap, Map.of(), Map.of(), state), Path.of("the averaged state"));
                listener.evaluating("batch-norm statistics");
                recalibrateBatchNorm(driver, net, train, n, config, epoch);
                state = Models.snapshot(driver.backend(), net, velocities.velocities());
                listener.evaluating("test");
                EvalResult testResult = Evaluation.run(driver.backend(), net, test, testIdx, config.batch());
                boolean isBest = testResult.accuracy() > best;
                if (isBest) {
                    best = testResult.accuracy();
                    bestEpoch = epoch;
                }
                EpochMetrics m = new EpochMetrics(epoch, lr, lossSum / Math.max(1, seen), correct / (double) Math.max(1, seen),
                        testResult.loss(), testResult.accuracy(), testResult.top5(), Double.NaN, Double.NaN,
                        seen / trainSeconds, (System.nanoTime() - t0) / 1e9, isBest);
                history.add(m);
                Checkpoint ckpt = new Checkpoint(configMap, run,
                        Trainer.checkpointState(epoch, step, best, best, bestEpoch, testResult.accuracy(), train,
                                "derived from seed " + config.seed() + ", epoch, round and worker"), state);
                Trainer.writeMetrics(o.out(), history);
                if (isBest) {
                    ckpt.write(o.out().resolve(Trainer.BEST));
                }
                ckpt.write(o.out().resolve(Trainer.LAST));
                LOG.info("{} epoch {}/{}: {} rounds of {} workers, train loss {}, test acc {}", o.out(), epoch + 1, config.epochs(),
                        epochRounds, o.workers(), String.format(java.util.Locale.ROOT, "%.4f", m.trainLoss()),
                        String.format(java.util.Locale.ROOT, "%.4f", m.testAcc()));
                listener.epochFinished(m);
            }
            if (history.isEmpty()) {
                throw new SimanException(o.out() + ": no epoch was trained or recorded");
            }
            EpochMetrics last = history.get(history.size() - 1);
            return new Result(history, best, bestEpoch, last.testAcc(), rounds);
        }
    }
}
