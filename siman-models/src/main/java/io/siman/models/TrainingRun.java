package io.siman.models;

import io.siman.models.train.Trainer;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingListener;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A training run of {@link Siman#training}: what {@code siman train} does, configured by name instead of by
 * position. Every setting has the command line's default: the dataset at its standard location, no progress
 * output, a new run into a folder without checkpoints.
 */
public final class TrainingRun {
    private final Siman siman;
    private final TrainingConfig config;
    private Path dataDir;
    private io.siman.models.data.Dataset train, test;
    private TrainingListener listener = TrainingListener.NONE;
    private boolean resume;
    private boolean overwrite;
    private Path initialWeights;
    private final Map<String, String> runRecord = new LinkedHashMap<>();

    /** What a run achieved: per-epoch metrics, the best and the last test accuracy, the parameter count. */
    public record Result(Trainer.Result detail, Path out) {
        public double bestTestAccuracy() {
            return detail.bestTestAcc();
        }

        public double finalTestAccuracy() {
            return detail.finalTestAcc();
        }

        /** The checkpoint of the best epoch, {@code out/best.ckpt}. */
        public Path bestCheckpoint() {
            return out.resolve(Trainer.BEST);
        }

        /** The checkpoint of the last epoch, {@code out/last.ckpt}. */
        public Path lastCheckpoint() {
            return out.resolve(Trainer.LAST);
        }
    }

    TrainingRun(Siman siman, TrainingConfig config) {
        this.siman = siman;
        this.config = Objects.requireNonNull(config, "config");
    }

    /** The dataset's folder; null (the default) for its standard location (docs/training.md). */
    public TrainingRun dataDir(Path dataDir) {
        this.dataDir = dataDir;
        return this;
    }

    /**
     * Trains on these datasets instead of the configuration's files: images already preprocessed, in memory
     * ({@link io.siman.models.data.InMemoryDataset}) or any other {@link io.siman.models.data.Dataset}.
     */
    public TrainingRun data(io.siman.models.data.Dataset train, io.siman.models.data.Dataset test) {
        this.train = Objects.requireNonNull(train, "train");
        this.test = Objects.requireNonNull(test, "test");
        return this;
    }

    /** Called on the training thread after every step and epoch (progress bars, logs, early stops). */
    public TrainingRun listener(TrainingListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * Continue the run in {@code out} from its {@code last.ckpt}, exactly as if never interrupted; the
     * configuration given must be the stored one.
     */
    public TrainingRun resume(boolean resume) {
        this.resume = resume;
        return this;
    }

    /**
     * Start from the weights, statistics and bits of this checkpoint of the same network (for example a PyTorch model
     * brought in by {@code siman import}), with a new optimizer and schedule; null (the default) for a random start.
     */
    public TrainingRun initialWeights(Path checkpoint) {
        this.initialWeights = checkpoint;
        return this;
    }

    /** Start again in a folder that holds checkpoints (they are replaced as the new run writes its own). */
    public TrainingRun overwrite(boolean overwrite) {
        this.overwrite = overwrite;
        return this;
    }

    /** Adds a line to the run record that checkpoints keep (where and how the run was made). */
    public TrainingRun record(String key, String value) {
        runRecord.put(key, value);
        return this;
    }

    /** Trains into {@code out}: {@code metrics.jsonl}, {@code last.ckpt} and {@code best.ckpt}, written atomically. */
    public Result run(Path out) {
        Trainer.checkOutput(out, resume, overwrite);
        siman.binarizer(config.binarizer());
        Trainer trainer = new Trainer(siman.backend(), siman.binarizers(), config, dataDir, out, listener, runRecord);
        if (train != null) {
            trainer.withData(train, test);
        }
        if (initialWeights != null) {
            if (resume) {
                throw new io.siman.api.SimanException("initial weights and resuming contradict each other (a resumed run has its own)");
            }
            trainer.withInitialWeights(initialWeights);
        }
        Trainer.Result r = trainer.run(resume);
        return new Result(r, out);
    }
}
