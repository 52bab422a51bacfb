package io.siman.models.train;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Parameter;
import io.siman.api.SimanException;
import io.siman.api.Tensor;
import io.siman.models.data.Dataset;
import io.siman.models.data.Datasets;
import io.siman.models.io.AtomicFiles;
import io.siman.models.io.Checkpoint;
import io.siman.models.nets.Network;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trains a network of the zoo (docs/method.md section 6): SGD with momentum, cross-entropy, learning rate per epoch
 * (warm-up, then cosine), weight decay by parameter role. After every epoch it evaluates, appends a line
 * to {@code OUT/metrics.jsonl} and writes {@code OUT/last.ckpt} (and {@code OUT/best.ckpt} when the
 * selection accuracy improved), all atomically. A run resumed from {@code last.ckpt} continues exactly:
 * shuffling and augmentation are derived from (seed, epoch, batch).
 */
public final class Trainer {
    // System.Logger: no logging dependency for embedders, and silent at its default level (progress reaches
    // callers through the TrainingListener; these lines are for logs an application routes elsewhere)
    private static final System.Logger LOG = System.getLogger(Trainer.class.getName());
    public static final String LAST = "last.ckpt";
    public static final String BEST = "best.ckpt";
    public static final String METRICS = "metrics.jsonl";

    private final Backend backend;
    private final BinarizerRegistry binarizers;
    private final TrainingConfig config;
    private final Path dataDir;
    private final Path out;
    private final TrainingListener listener;
    private final Map<String, String> runRecord;

    /** The outcome of a run. */
    public record Result(List<EpochMetrics> epochs, double bestTestAcc, int bestEpoch, double finalTestAcc, long parameters) {
    }

    public Trainer(Backend backend, BinarizerRegistry binarizers, TrainingConfig config, Path dataDir, Path out,
                   TrainingListener listener, Map<String, String> runRecord) {
        this.backend = backend;
        this.binarizers = binarizers;
        this.config = config;
        this.dataDir = dataDir;
        this.out = out;
        this.listener = listener;
        this.runRecord = new LinkedHashMap<>(runRecord);
    }

    /** Refuses to train into a folder that holds checkpoints, unless resuming or overwriting. */
    public static void checkOutput(Path out, boolean resume, boolean overwrite) {
        boolean has = Files.exists(out.resolve(LAST)) || Files.exists(out.resolve(BEST));
        if (resume && !Files.exists(out.resolve(LAST))) {
            throw new SimanException("cannot resume: " + out.resolve(LAST) + " does not exist");
        }
        if (has && !resume && !overwrite) {
            throw new SimanException(out + " already holds checkpoints; pass --resume to continue that run or --overwrite to start again");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new SimanException(out + " exists and is not a folder");
        }
        removeStaleTemporaryFiles(out);
    }

    /** Deletes what a killed run left of its atomic writes (hidden temporary files beside the real ones). */
    static void removeStaleTemporaryFiles(Path out) {
        if (!Files.isDirectory(out)) {
            return;
        }
        try (var files = Files.list(out)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                for (String target : new String[]{LAST, BEST, METRICS}) {
                    if (n.startsWith("." + target + ".") && n.endsWith(".tmp")) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        } catch (IOException e) {
            // leftovers are hidden and harmless; the next write does not depend on them
        }
    }

    private Dataset givenTrain, givenTest;
    private Path initial;
    private EpochStrategy strategy = new EpochStrategy.LocalSteps();

    /**
     * Trains each epoch with {@code strategy} (for example Spark's rounds of model averaging) instead of local steps;
     * this trainer closes it when the run ends.
     */
    public Trainer withStrategy(EpochStrategy strategy) {
        this.strategy = java.util.Objects.requireNonNull(strategy, "strategy");
        return this;
    }

    /**
     * Trains on these datasets (for example {@link io.siman.models.data.InMemoryDataset}s) instead of the files of
     * the configuration's dataset; its name stays the run's label. Test images must have the training images' shape.
     */
    public Trainer withData(Dataset train, Dataset test) {
        if (train.channels() != test.channels() || train.height() != test.height() || train.width() != test.width()
                || train.classes() != test.classes()) {
            throw new SimanException("the test set's images (" + test.channels() + "x" + test.height() + "x" + test.width() + ", "
                    + test.classes() + " classes) do not match the training set's (" + train.channels() + "x" + train.height() + "x"
                    + train.width() + ", " + train.classes() + " classes)");
        }
        this.givenTrain = train;
        this.givenTest = test;
        return this;
    }

    /**
     * Starts a new run from the weights, statistics and bits of {@code checkpoint} (one of the same network, for
     * example imported by {@code siman import}) instead of a random initialization; the optimizer and the schedule
     * start afresh. Ignored when resuming.
     */
    public Trainer withInitialWeights(Path checkpoint) {
        this.initial = checkpoint;
        return this;
    }

    /** Runs all remaining epochs; with {@code resume}, continues from {@code OUT/last.ckpt}. */
    public Result run(boolean resume) {
        Binarizer binarizer = binarizers.get(config.binarizer());
        Dataset train = givenTrain != null ? givenTrain : Datasets.open(config.dataset(), dataDir, Datasets.Split.TRAIN);
        Dataset test = givenTest != null ? givenTest : Datasets.open(config.dataset(), dataDir, Datasets.Split.TEST);
        int n = config.limit() > 0 ? Math.min(config.limit(), train.size()) : train.size();
        if (config.valSplit() >= n - 1) {
            throw new SimanException("--val-split " + config.valSplit() + " leaves no training images out of " + n);
        }
        int[] trainIdx = Evaluation.range(n), valIdx = new int[0];
        if (config.valSplit() > 0) {
            int[] perm = Batches.shuffled(trainIdx, Batches.mix(config.seed(), -1, -1));
            trainIdx = Arrays.copyOf(perm, n - config.valSplit());
            valIdx = Arrays.copyOfRange(perm, n - config.valSplit(), n);
        }
        int[] input = {train.channels(), train.height(), train.width()};
        int[] testIdx = Evaluation.range(test.size());

        try (Network net = Models.build(backend, binarizers, config, input, train.classes());
             SgdMomentum optimizer = SgdMomentum.of(backend, net, binarizer, config);
             EpochStrategy strategy = this.strategy) {
            Map<Parameter, Tensor> velocity = optimizer.velocities();
            EpochStrategy.Run run = new EpochStrategy.Run(backend, binarizers, net, optimizer, config, train, trainIdx, listener);
            List<EpochMetrics> history = new ArrayList<>();
            int start = 0, bestEpoch = -1, step = 0;
            double best = -1, bestTest = -1;
            if (!resume && initial != null) {
                initialize(net, input, train.classes());
            }
            if (resume) {
                Path last = out.resolve(LAST);
                LOG.log(System.Logger.Level.DEBUG, "resuming {0} from {1}", out, last);
                Checkpoint ckpt = Checkpoint.read(last);
                TrainingConfig stored = TrainingConfig.fromMap(ckpt.config(), last.toString());
                if (!stored.equals(config)) {
                    throw new SimanException(last + " was trained with a different configuration");
                }
                Models.restore(backend, net, velocity, ckpt, last);
                start = Integer.parseInt(ckpt.state().get("epoch")) + 1;
                best = Double.parseDouble(ckpt.state().get("best-selection-acc"));
                bestTest = Double.parseDouble(ckpt.state().get("best-test-acc"));
                bestEpoch = Integer.parseInt(ckpt.state().get("best-epoch"));
                step = Integer.parseInt(ckpt.state().get("step"));
                history.addAll(readMetrics(out, start));
            }
            for (int epoch = start; epoch < config.epochs(); epoch++) {
                long t0 = System.nanoTime();
                double lr = config.learningRate(epoch);
                EpochStrategy.Outcome trained = strategy.trainEpoch(run, epoch, lr, step);
                step += trained.steps();
                int seen = trained.seen();
                double trainSeconds = (System.nanoTime() - t0) / 1e9;
                listener.evaluating("test");
                EvalResult testResult = Evaluation.run(backend, net, test, testIdx, config.batch());
                EvalResult valResult = null;
                if (valIdx.length > 0) {
                    listener.evaluating("validation");
                    valResult = Evaluation.run(backend, net, train, valIdx, config.batch());
                }
                double selection = valResult != null ? valResult.accuracy() : testResult.accuracy();
                boolean isBest = selection > best;
                if (isBest) {
                    best = selection;
                    bestTest = testResult.accuracy();
                    bestEpoch = epoch;
                }
                EpochMetrics m = new EpochMetrics(epoch, lr, trained.lossSum() / Math.max(1, seen), trained.correct() / (double) Math.max(1, seen),
                        testResult.loss(), testResult.accuracy(), testResult.top5(),
                        valResult == null ? Double.NaN : valResult.loss(), valResult == null ? Double.NaN : valResult.accuracy(),
                        seen / trainSeconds, (System.nanoTime() - t0) / 1e9, isBest);
                history.add(m);
                Map<String, String> state = checkpointState(epoch, step, best, bestTest, bestEpoch, testResult.accuracy(), train,
                        strategy.randomness(config));
                Checkpoint ckpt = new Checkpoint(config.toMap(), runRecord, state, Models.snapshot(backend, net, velocity));
                // metrics first: a run killed between the writes resumes from the older last.ckpt and drops the
                // metrics of the epoch it repeats; the other order would lose that epoch's line for good
                writeMetrics(history);
                if (isBest) {
                    ckpt.write(out.resolve(BEST));
                }
                ckpt.write(out.resolve(LAST));
                LOG.log(System.Logger.Level.DEBUG, String.format(java.util.Locale.ROOT,
                        "%s epoch %d/%d: train loss %.4f acc %.4f, test acc %.4f, %d images/s%s", out, epoch + 1, config.epochs(),
                        m.trainLoss(), m.trainAcc(), m.testAcc(), Math.round(m.imagesPerSecond()), isBest ? ", best so far" : ""));
                listener.epochFinished(m);
            }
            EpochMetrics lastEpoch = history.isEmpty() ? null : history.get(history.size() - 1);
            return new Result(history, bestTest, bestEpoch, lastEpoch == null ? Double.NaN : lastEpoch.testAcc(), net.parameterCount());
        }
    }

    private void initialize(Network net, int[] input, int classes) {
        Checkpoint ckpt = Checkpoint.read(initial);
        TrainingConfig from = TrainingConfig.fromMap(ckpt.config(), initial.toString());
        String shape = Models.formatInput(input);
        if (!from.model().equals(config.model())) {
            throw new SimanException(initial + " holds a " + from.model() + ", not a " + config.model() + " (--model)");
        }
        if (!shape.equals(ckpt.state().get("input")) || !Integer.toString(classes).equals(ckpt.state().get("classes"))) {
            throw new SimanException(initial + " is a network for " + ckpt.state().get("input") + " inputs and " + ckpt.state().get("classes")
                    + " classes; " + config.dataset() + " has " + shape + " and " + classes);
        }
        if (!from.binarizer().equals(config.binarizer()) || from.encoding() != config.encoding()) {
            throw new SimanException(initial + " was trained with binarizer " + from.binarizer() + " (" + from.encoding().id()
                    + "), this run uses " + config.binarizer() + " (" + config.encoding().id() + ")");
        }
        Models.restore(backend, net, null, ckpt, initial);
        runRecord.put("initial-weights", initial.toAbsolutePath() + " (sha256 " + ckpt.sha256() + ")");
        LOG.log(System.Logger.Level.DEBUG, "{0}: starting from the weights of {1}", out, initial);
    }

    /**
     * The state section of a checkpoint written after {@code epoch}: what resuming, evaluation and export read
     * (the input shape, classes and their names) and the run's progress, whatever the {@link EpochStrategy}.
     */
    static Map<String, String> checkpointState(int epoch, int step, double bestSelection, double bestTest, int bestEpoch,
                                               double testAcc, Dataset train, String random) {
        Map<String, String> state = new LinkedHashMap<>();
        state.put("epoch", Integer.toString(epoch));
        state.put("step", Integer.toString(step));
        state.put("best-selection-acc", Double.toString(bestSelection));
        state.put("best-test-acc", Double.toString(bestTest));
        state.put("best-epoch", Integer.toString(bestEpoch));
        state.put("test-acc", Double.toString(testAcc));
        state.put("input", Models.formatInput(new int[]{train.channels(), train.height(), train.width()}));
        state.put("classes", Integer.toString(train.classes()));
        state.put("class-names", String.join("|", train.classNames()));
        state.put("random", random);
        return state;
    }

    /** Writes {@code history} as the metrics file of run folder {@code out}, atomically. */
    static void writeMetrics(Path out, List<EpochMetrics> history) {
        StringBuilder b = new StringBuilder();
        for (EpochMetrics m : history) {
            b.append(MetricsFile.json(m)).append('\n');
        }
        byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(out.resolve(METRICS), o -> o.write(bytes));
    }

    private void writeMetrics(List<EpochMetrics> history) {
        writeMetrics(out, history);
    }

    /** Epoch lines of an earlier run in {@code out}, those before {@code epoch}, for a resumed run's metrics file. */
    static List<EpochMetrics> readMetrics(Path out, int epoch) {
        Path f = out.resolve(METRICS);
        List<EpochMetrics> kept = new ArrayList<>();
        if (!Files.exists(f)) {
            return kept;
        }
        try {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                EpochMetrics m = MetricsFile.parse(line);
                if (m != null && m.epoch() < epoch) {
                    kept.add(m);
                }
            }
        } catch (IOException | RuntimeException e) {
            // a damaged metrics file is rebuilt from what parses; the checkpoint is what matters
        }
        return kept;
    }

}
