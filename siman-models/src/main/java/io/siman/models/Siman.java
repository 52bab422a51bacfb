package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendRegistry;
import io.siman.api.Binarizer;
import io.siman.api.BinarizerRegistry;
import io.siman.api.NamedServices;
import io.siman.models.inference.ModelExport;
import io.siman.models.train.TrainingConfig;

import java.nio.file.Path;
import java.util.Map;

/**
 * The entry point for applications that embed SiMaN-J: choose a backend, then train, evaluate, export and
 * classify with one call each. No dependency-injection container is needed; applications that compose with
 * Guice install {@code io.siman.guice.SimanModule} (module {@code siman-guice}), which provides a {@code Siman}.
 *
 * <pre>{@code
 * try (Siman siman = Siman.builder().backend("cpu").threads(2).build()) {
 *     siman.train(TrainingConfig.builder().epochs(2).build(), Path.of("run"));
 *     siman.export(Path.of("run/best.ckpt"), Path.of("r20.siman"));
 *     try (Classifier classifier = siman.load(Path.of("r20.siman"))) {
 *         Classifier.Prediction p = classifier.predict(ImageIO.read(new File("shirt.png")));
 *     }
 * }
 * }</pre>
 *
 * The backend is chosen by the selection order of {@link BackendRegistry}: the name given to
 * {@link Builder#backend}, then {@code -Dsiman.backend}, then {@code SIMAN_BACKEND}, then priority.
 * It is created on first use and closed by {@link #close()}; everything the verbs return that holds device
 * memory ({@link Classifier}) must be closed before.
 */
public final class Siman implements AutoCloseable {
    private final BackendRegistry backends;
    private final String explicitBackend;
    private final BackendOptions options;
    private final BinarizerRegistry binarizers;
    private BackendRegistry.Selection selection;
    private Backend backend;

    private Siman(BackendRegistry backends, String explicitBackend, BackendOptions options, BinarizerRegistry binarizers) {
        this.backends = backends;
        this.explicitBackend = explicitBackend;
        this.options = options;
        this.binarizers = binarizers;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * A facade over parts assembled elsewhere (a dependency-injection container): the backends found, the name the
     * caller gave (null: the rest of the selection order), the options the backend is created with, the binarizers.
     */
    public static Siman of(BackendRegistry backends, String explicitBackend, BackendOptions options, BinarizerRegistry binarizers) {
        return new Siman(backends, explicitBackend, options, binarizers);
    }

    /** Every backend on the path, with probes. */
    public BackendRegistry backends() {
        return backends;
    }

    /** The selected backend's provider, probe and how it was chosen (without creating it). */
    public synchronized BackendRegistry.Selection selection() {
        if (selection == null) {
            selection = backends.select(explicitBackend);
        }
        return selection;
    }

    /** The selected backend, created on first call. */
    public synchronized Backend backend() {
        if (backend == null) {
            backend = selection().provider().create(options);
        }
        return backend;
    }

    public BinarizerRegistry binarizers() {
        return binarizers;
    }

    public Binarizer binarizer(String name) {
        return binarizers.get(name);
    }

    // ---------------------------------------------------------------- verbs

    /**
     * Trains as {@code siman train} does into the folder {@code out} (which must hold no checkpoints), with the
     * dataset at its standard location and no progress output. {@link #training} sets the rest.
     */
    public TrainingRun.Result train(TrainingConfig config, Path out) {
        return training(config).run(out);
    }

    /** A training run to configure (data folder, progress, resume, overwrite) before {@link TrainingRun#run}. */
    public TrainingRun training(TrainingConfig config) {
        return new TrainingRun(this, config);
    }

    /**
     * Evaluates a checkpoint (as a float simulation, with its frozen bits) or a model file (bitwise) on the test
     * split of its dataset. {@link #evaluation} sets the dataset folder, a limit, the batch and progress.
     */
    public EvaluationRun.Result evaluate(Path checkpointOrModelFile) {
        return evaluation(checkpointOrModelFile).run();
    }

    /** An evaluation to configure before {@link EvaluationRun#run}. */
    public EvaluationRun evaluation(Path checkpointOrModelFile) {
        return new EvaluationRun(this, checkpointOrModelFile);
    }

    /** Compiles a checkpoint into a model file with 1-bit weights (docs/model-format.md). */
    public ModelExport.Result export(Path checkpoint, Path modelFile) {
        return ModelExport.export(backend(), binarizers, checkpoint, modelFile);
    }

    /** Loads a model file to classify bitwise; close the classifier before this facade. */
    public Classifier load(Path modelFile) {
        return Classifier.load(backend(), binarizers, modelFile);
    }

    @Override
    public synchronized void close() {
        if (backend != null) {
            backend.close();
            backend = null;
        }
    }

    /** Configures a {@link Siman}. */
    public static final class Builder {
        private String backend;
        private int threads;
        private Map<String, String> properties = Map.of();
        private ClassLoader loader;

        private Builder() {
        }

        /** The backend by name; null keeps the rest of the selection order. */
        public Builder backend(String name) {
            this.backend = name;
            return this;
        }

        /** Worker threads; 0 (the default) means one per available processor. */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /** Backend settings (for example {@code cpu.vectorize=false}); see docs/backends.md. */
        public Builder properties(Map<String, String> properties) {
            this.properties = Map.copyOf(properties);
            return this;
        }

        /** Where backends and binarizers are looked up; default: the thread's context class loader. */
        public Builder classLoader(ClassLoader loader) {
            this.loader = loader;
            return this;
        }

        /** Discovers backends and binarizers (two binarizers or backends of one name are an error here). */
        public Siman build() {
            ClassLoader cl = loader != null ? loader : Thread.currentThread().getContextClassLoader();
            if (cl == null) {
                cl = Siman.class.getClassLoader();
            }
            return new Siman(BackendRegistry.discover(cl), backend, new BackendOptions(threads, properties),
                    new BinarizerRegistry(NamedServices.load(Binarizer.class, cl)));
        }
    }
}
