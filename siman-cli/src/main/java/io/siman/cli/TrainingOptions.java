package io.siman.cli;

import io.siman.api.Encoding;
import io.siman.models.data.Datasets;
import io.siman.models.nets.Zoo;
import io.siman.models.train.TrainingConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/**
 * The options that say what and how to train, shared by {@code siman train} and by plugin commands that train
 * (such as {@code siman spark train}): a picocli mixin, so that every training command takes the same options
 * with the same defaults.
 */
public final class TrainingOptions {
    @Option(names = "--model", paramLabel = "NAME", defaultValue = TrainingConfig.DEFAULT_MODEL, description = "Network: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = Models.class)
    public String model;

    @Option(names = "--dataset", paramLabel = "NAME", defaultValue = TrainingConfig.DEFAULT_DATASET, description = "Dataset: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = DatasetNames.class)
    public String dataset;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Folder of the dataset's files (default for fashion-mnist: /usr/share/datasets/fashion-mnist).")
    public Path dataDir;

    @Option(names = "--binarizer", paramLabel = "NAME", defaultValue = TrainingConfig.DEFAULT_BINARIZER, description = "Weight binarizer: siman, siman-kstar, xnor, irnet, none, or a plugin's (default: ${DEFAULT-VALUE}).")
    public String binarizer;

    @Option(names = "--encoding", paramLabel = "ENC", defaultValue = TrainingConfig.DEFAULT_ENCODING, description = "Weight bits as pm1 (-1/+1) or zero-one (0/1), SiMaN only (default: ${DEFAULT-VALUE}).")
    public String encoding;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "" + TrainingConfig.DEFAULT_EPOCHS, description = "Epochs (default: ${DEFAULT-VALUE}).")
    public int epochs;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "" + TrainingConfig.DEFAULT_BATCH, description = "Batch size (default: ${DEFAULT-VALUE}).")
    public int batch;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "" + TrainingConfig.DEFAULT_LR, description = "Initial learning rate (default: ${DEFAULT-VALUE}).")
    public double lr;

    @Option(names = "--weight-decay", paramLabel = "WD", defaultValue = "" + TrainingConfig.DEFAULT_WEIGHT_DECAY, description = "L2 weight decay of full-precision parameters (default: ${DEFAULT-VALUE}).")
    public double weightDecay;

    @Option(names = "--binarized-weight-decay", paramLabel = "WD", description = "Weight decay of binarized conv weights and alphas; default: 0 for siman, --weight-decay for the baselines.")
    public Double binarizedWeightDecay;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "" + TrainingConfig.DEFAULT_WARMUP, description = "Linear warm-up epochs before the cosine decay (default: ${DEFAULT-VALUE}).")
    public int warmup;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "" + TrainingConfig.DEFAULT_SEED, description = "Random seed of initialization, shuffling and augmentation (default: ${DEFAULT-VALUE}).")
    public long seed;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Use only the first N training images (0: all).")
    public int limit;

    @Option(names = "--val-split", defaultValue = "0", paramLabel = "N",
            description = "Hold out N training images to choose best.ckpt (0: choose by test accuracy, the paper's protocol).")
    public int valSplit;

    /** The configuration these options describe (SGD's momentum is the method's, {@link TrainingConfig#DEFAULT_MOMENTUM}). */
    public TrainingConfig config() {
        TrainingConfig config = TrainingConfig.builder().model(model).dataset(dataset).binarizer(binarizer)
                .encoding(Encoding.fromId(encoding)).epochs(epochs).batch(batch).lr(lr).weightDecay(weightDecay)
                .binarizedWeightDecay(binarizedWeightDecay).warmup(warmup).seed(seed).limit(limit).valSplit(valSplit).build();
        Zoo.requireKnown(config.model());
        Datasets.requireKnown(config.dataset());
        return config;
    }

    /**
     * The options as given (defaults included), by name without the dashes, spelled as checkpoints store a
     * configuration ({@link TrainingConfig#toMap}).
     */
    public Map<String, String> asStrings() {
        return config().toMap();
    }

    /** Completion candidates for --model. */
    public static final class Models extends java.util.ArrayList<String> {
        public Models() {
            super(Zoo.NAMES);
        }
    }

    /** Completion candidates for --dataset. */
    public static final class DatasetNames extends java.util.ArrayList<String> {
        public DatasetNames() {
            super(Datasets.NAMES);
        }
    }

}
