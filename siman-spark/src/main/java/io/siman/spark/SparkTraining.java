package io.siman.spark;

import io.siman.api.SimanException;
import io.siman.models.Siman;
import io.siman.models.data.Dataset;
import io.siman.models.data.Datasets;
import io.siman.models.io.Checkpoint;
import io.siman.models.nets.Network;
import io.siman.models.train.Batches;
import io.siman.models.train.EpochMetrics;
import io.siman.models.train.EpochStrategy;
import io.siman.models.train.Evaluation;
import io.siman.models.train.Models;
import io.siman.models.train.Trainer;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingListener;
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
 * weights (see {@link #recalibrateBatchNorm}). The rounds are an {@link EpochStrategy} of the one epoch loop,
 * {@link Trainer}'s, which evaluates after each epoch and writes {@code metrics.jsonl}, {@code last.ckpt} and
 * {@code best.ckpt} exactly as for {@code siman train} (so {@code eval}, {@code export}, {@code plot}, {@code inspect}
 * and resuming read them).
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
     * @param initialWeights a checkpoint of the same network to start from (null: a random start)
     */
    public record Options(TrainingConfig config, String dataDir, Path out, int workers, int syncSteps, boolean resume,
                          String workerBackend, int workerThreads, Path initialWeights) {
        /** A new run whose workers use the {@code cpu} backend with the executors' default thread count. */
        public Options(TrainingConfig config, String dataDir, Path out, int workers, int syncSteps) {
            this(config, dataDir, out, workers, syncSteps, false, "cpu", 0);
        }

        /** A run from a random start. */
        public Options(TrainingConfig config, String dataDir, Path out, int workers, int syncSteps, boolean resume,
                       String workerBackend, int workerThreads) {
            this(config, dataDir, out, workers, syncSteps, resume, workerBackend, workerThreads, null);
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
    private static void recalibrateBatchNorm(io.siman.api.Backend backend, Network net, Dataset train, int n, TrainingConfig config, int epoch) {
        int[] order = Batches.shuffled(Evaluation.range(n), Batches.mix(config.seed(), epoch, -2));
        int[] some = java.util.Arrays.copyOf(order, Math.min(n, CALIBRATION_BATCHES * config.batch()));
        io.siman.api.TrainingProgress progress = io.siman.api.TrainingProgress.training(epoch, config.epochs());
        try (Batches batches = new Batches(train, some, config.batch(), true, Batches.mix(config.seed(), epoch, -2), epoch)) {
            while (batches.hasNext()) {
                Batches.Batch b = batches.next();
                if (b.size() < 2) {
                    continue;
                }
                try (io.siman.api.Tensor x = backend.upload(java.util.Arrays.copyOf(b.images(), b.size() * train.imageSize()),
                        net.inputShape(b.size()))) {
                    net.forward(x, progress);
                }
            }
        }
    }

    public static Result run(SparkSession spark, Siman driver, Options o, TrainingListener listener, Map<String, String> runRecord) {
        TrainingConfig config = o.config();
        driver.binarizer(config.binarizer());
        Path dataDir = o.dataDir() == null ? null : Path.of(o.dataDir());
        Dataset train = Datasets.open(config.dataset(), dataDir, Datasets.Split.TRAIN);
        int n = config.limit() > 0 ? Math.min(config.limit(), train.size()) : train.size();
        if (n < 2L * o.workers()) {
            throw new SimanException(o.workers() + " workers need at least " + 2 * o.workers() + " training images, got " + n);
        }
        if (o.resume()) {
            Path lastFile = o.out().resolve(Trainer.LAST);
            if (Checkpoint.read(lastFile).run().get("spark-workers") == null) {
                throw new SimanException(lastFile + " was not written by 'siman spark train'; resume it with 'siman train --resume'");
            }
        }
        Map<String, String> run = new LinkedHashMap<>(runRecord);
        run.put("spark-master", spark.sparkContext().master());
        run.put("spark-workers", Integer.toString(o.workers()));
        run.put("spark-sync-steps", Integer.toString(o.syncSteps()));
        Rounds rounds = new Rounds(spark, o, n);
        Trainer trainer = new Trainer(driver.backend(), driver.binarizers(), config, dataDir, o.out(), listener, run).withStrategy(rounds);
        if (o.initialWeights() != null) {
            trainer.withInitialWeights(o.initialWeights()); // the driver's network, broadcast to the workers each round
        }
        Trainer.Result r = trainer.run(o.resume());
        if (r.epochs().isEmpty()) {
            throw new SimanException(o.out() + ": no epoch was trained or recorded");
        }
        return new Result(r.epochs(), r.bestTestAcc(), r.bestEpoch(), r.finalTestAcc(), rounds.count);
    }

    /**
     * One epoch as synchronous rounds: the driver's network and velocities are the state every worker starts a
     * round from; the driver averages what the workers return, and after the last round loads the average into its
     * network and measures the batch-norm statistics again. {@link Trainer} does the rest, as for any run.
     */
    private static final class Rounds implements EpochStrategy {
        private final SparkSession spark;
        private final Options o;
        private final int n;
        int count;

        Rounds(SparkSession spark, Options o, int n) {
            this.spark = spark;
            this.o = o;
            this.n = n;
        }

        @Override
        public Outcome trainEpoch(Run run, int epoch, double lr, int stepsBefore) {
            TrainingConfig config = run.config();
            Map<String, String> configMap = new LinkedHashMap<>(config.toMap());
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            long t0 = System.nanoTime();
            Map<String, Checkpoint.StoredTensor> state = Models.snapshot(run.backend(), run.net(), run.optimizer().velocities());
            int longest = WorkerRound.shard(config, n, epoch, 0, o.workers()).length;
            int batchesPerWorker = (longest + workerBatch(config, o.workers()) - 1) / workerBatch(config, o.workers());
            int epochRounds = (batchesPerWorker + o.syncSteps() - 1) / o.syncSteps();
            run.listener().epochStarted(epoch, config.epochs(), lr, epochRounds);
            double lossSum = 0;
            int correct = 0, seen = 0, steps = 0;
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
                        steps += out.steps();
                    }
                }
                if (!trained.isEmpty()) {
                    state = StateCodec.average(trained);
                }
                count++;
                double elapsed = (System.nanoTime() - t0) / 1e9;
                run.listener().batchFinished(epoch, r, epochRounds, lossSum / Math.max(1, seen), seen / elapsed);
            }
            Models.restore(run.backend(), run.net(), run.optimizer().velocities(),
                    new Checkpoint(configMap, Map.of(), Map.of(), state), Path.of("the averaged state"));
            run.listener().evaluating("batch-norm statistics");
            recalibrateBatchNorm(run.backend(), run.net(), run.train(), n, config, epoch);
            LOG.debug("epoch {}/{}: {} rounds of {} workers", epoch + 1, config.epochs(), epochRounds, o.workers());
            return new Outcome(lossSum, correct, seen, steps);
        }

        @Override
        public String randomness(TrainingConfig config) {
            return "derived from seed " + config.seed() + ", epoch, round and worker";
        }
    }
}
