package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.SimanException;
import io.siman.models.data.Dataset;
import io.siman.models.data.Datasets;
import io.siman.models.io.Checkpoint;
import io.siman.models.inference.ModelExport;
import io.siman.models.io.ModelFile;
import io.siman.models.nets.Network;
import io.siman.models.progress.ProgressListener;
import io.siman.models.train.EvalResult;
import io.siman.models.train.Evaluation;
import io.siman.models.train.Models;
import io.siman.models.train.TrainingConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * An evaluation of {@link Siman#evaluation}: a checkpoint as a float simulation (its frozen bits), or a model file
 * bitwise, on the test split of a dataset (by default the one it was trained on).
 */
public final class EvaluationRun {
    private final Siman siman;
    private final Path source;
    private String dataset;
    private Path dataDir;
    private int limit;
    private int batch = 256;
    private ProgressListener progress = ProgressListener.NONE;
    private Path compareCheckpoint;
    private Boolean modelFile;

    /**
     * What an evaluation measured.
     *
     * @param mode      {@code float} (a checkpoint, or a model file without binarized layers) or {@code bitwise}
     * @param agreement with {@link #compareWith}: how far the model file's predictions agree with the checkpoint's
     */
    public record Result(EvalResult result, Path source, boolean checkpoint, String dataset, String mode, String backend,
                         Evaluation.Agreement agreement) {
        public double accuracy() {
            return result.accuracy();
        }
    }

    EvaluationRun(Siman siman, Path source) {
        this.siman = siman;
        this.source = source;
    }

    /** Another dataset with images of the same shape and classes; null (the default) for the one it was trained on. */
    public EvaluationRun dataset(String dataset) {
        this.dataset = dataset;
        return this;
    }

    /** The dataset's folder; null (the default) for its standard location. */
    public EvaluationRun dataDir(Path dataDir) {
        this.dataDir = dataDir;
        return this;
    }

    /** Only the first {@code limit} test images; 0 (the default) for all. */
    public EvaluationRun limit(int limit) {
        if (limit < 0) {
            throw new SimanException("the limit must not be negative, got " + limit);
        }
        this.limit = limit;
        return this;
    }

    /** Images per forward pass (default 256); it does not change the result. */
    public EvaluationRun batch(int batch) {
        if (batch < 1) {
            throw new SimanException("--batch must be positive, got " + batch);
        }
        this.batch = batch;
        return this;
    }

    public EvaluationRun progress(ProgressListener progress) {
        this.progress = progress == null ? ProgressListener.NONE : progress;
        return this;
    }

    /** For a model file: also run this checkpoint (float simulation) and measure how far the two agree. */
    public EvaluationRun compareWith(Path checkpoint) {
        this.compareCheckpoint = checkpoint;
        return this;
    }

    /**
     * Reads the file as a model file ({@code true}) or as a checkpoint ({@code false}), so that a damaged file is
     * reported as what the caller meant; by default the file's first bytes decide.
     */
    public EvaluationRun readAsModelFile(boolean modelFile) {
        this.modelFile = modelFile;
        return this;
    }

    /** Whether a file starts with the model file's magic (otherwise it is read as a checkpoint). */
    static boolean isModelFile(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(8);
            return Arrays.equals(magic, ModelFile.MAGIC.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            return false; // the checkpoint reader reports what is wrong with it
        }
    }

    public Result run() {
        boolean model = modelFile != null ? modelFile : isModelFile(source);
        Checkpoint ckpt = model ? null : Checkpoint.read(source);
        ModelFile mf = model ? ModelFile.read(source) : null;
        String name = dataset != null ? dataset
                : ckpt != null ? TrainingConfig.fromMap(ckpt.config(), source.toString()).dataset() : mf.header().get("dataset");
        Datasets.requireKnown(name);
        if (compareCheckpoint != null && !model) {
            throw new SimanException("comparing with a checkpoint needs a model file to evaluate, not a checkpoint");
        }
        Dataset data = Datasets.open(name, dataDir, Datasets.Split.TEST);
        Backend backend = siman.backend();
        try (Network net = ckpt != null ? Models.fromCheckpoint(backend, siman.binarizers(), ckpt, source)
                : ModelExport.load(backend, siman.binarizers(), mf, source)) {
            if (data.channels() != net.spec().inChannels() || data.height() != net.spec().inHeight()
                    || data.width() != net.spec().inWidth() || data.classes() != net.spec().classes()) {
                throw new SimanException(source + " was trained on " + net.spec().inChannels() + "x"
                        + net.spec().inHeight() + "x" + net.spec().inWidth() + " images of " + net.spec().classes()
                        + " classes; " + name + " has " + data.channels() + "x" + data.height() + "x" + data.width()
                        + " images of " + data.classes());
            }
            String mode = ckpt == null && net.bitwise() ? "bitwise" : "float";
            int n = limit > 0 ? Math.min(limit, data.size()) : data.size();
            EvalResult r = Evaluation.run(backend, net, data, Evaluation.range(n), batch, progress);
            Evaluation.Agreement agreement = null;
            if (compareCheckpoint != null) {
                try (Network reference = Models.fromCheckpoint(backend, siman.binarizers(), Checkpoint.read(compareCheckpoint), compareCheckpoint)) {
                    agreement = Evaluation.agreement(backend, net, reference, data, Evaluation.range(n), batch);
                }
            }
            return new Result(r, source, ckpt != null, name, mode, backend.name(), agreement);
        }
    }
}
