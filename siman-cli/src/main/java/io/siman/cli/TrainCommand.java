package io.siman.cli;

import io.siman.api.Encoding;
import io.siman.api.SimanException;
import io.siman.models.Siman;
import io.siman.models.data.Datasets;
import io.siman.models.io.Checkpoint;
import io.siman.models.nets.Zoo;
import io.siman.models.train.Trainer;
import io.siman.models.train.TrainingConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code siman train}: trains a network of the zoo and keeps checkpoints and metrics in a folder. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains a network with SGD (momentum 0.9), cosine learning rate and the binarizer's weight-decay rule.",
                "Writes OUT/metrics.jsonl (one line per epoch), OUT/last.ckpt (every epoch) and OUT/best.ckpt (best accuracy)."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "NAME", defaultValue = "resnet20", description = "Network: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = Models.class)
    String model;

    @Option(names = "--dataset", paramLabel = "NAME", defaultValue = "fashion-mnist", description = "Dataset: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = DatasetNames.class)
    String dataset;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Folder of the dataset's files (default for fashion-mnist: /usr/share/datasets/fashion-mnist).")
    Path dataDir;

    @Option(names = "--binarizer", paramLabel = "NAME", defaultValue = "siman", description = "Weight binarizer: siman, xnor, irnet, none, or a plugin's (default: ${DEFAULT-VALUE}).")
    String binarizer;

    @Option(names = "--encoding", paramLabel = "ENC", defaultValue = "pm1", description = "Weight bits as pm1 (-1/+1) or zero-one (0/1), SiMaN only (default: ${DEFAULT-VALUE}).")
    String encoding;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "8", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "0.1", description = "Initial learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--weight-decay", paramLabel = "WD", defaultValue = "5e-4", description = "L2 weight decay of full-precision parameters (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--binarized-weight-decay", paramLabel = "WD", description = "Weight decay of binarized conv weights and alphas; default: 0 for siman, --weight-decay for the baselines.")
    Double binarizedWeightDecay;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "0", description = "Linear warm-up epochs before the cosine decay (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "123", description = "Random seed of initialization, shuffling and augmentation (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Use only the first N training images (0: all).")
    int limit;

    @Option(names = "--val-split", defaultValue = "0", paramLabel = "N",
            description = "Hold out N training images to choose best.ckpt (0: choose by test accuracy, the paper's protocol).")
    int valSplit;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for checkpoints and metrics.")
    Path out;

    @Option(names = "--resume", description = "Continue the run in --out from last.ckpt, with its stored configuration.")
    boolean resume;

    @Option(names = "--overwrite", description = "Start again in an --out that holds checkpoints.")
    boolean overwrite;

    @Option(names = "--quiet", description = "Print nothing but errors and the final result.")
    boolean quiet;

    @Mixin
    BackendOption backendOption;

    @Spec
    CommandLine.Model.CommandSpec spec;

    /** Completion candidates for --model. */
    static final class Models extends java.util.ArrayList<String> {
        Models() {
            super(Zoo.NAMES);
        }
    }

    /** Completion candidates for --dataset. */
    static final class DatasetNames extends java.util.ArrayList<String> {
        DatasetNames() {
            super(Datasets.NAMES);
        }
    }

    @Override
    public Integer call() {
        if (resume && overwrite) {
            throw new SimanException("--resume and --overwrite contradict each other");
        }
        Trainer.checkOutput(out, resume, overwrite);
        TrainingConfig config = resume ? resumedConfig() : new TrainingConfig(model, dataset, binarizer, Encoding.fromId(encoding),
                epochs, batch, lr, 0.9, weightDecay, binarizedWeightDecay, warmup, seed, limit, valSplit);
        Zoo.requireKnown(config.model());
        Datasets.requireKnown(config.dataset());
        PrintWriter o = spec.commandLine().getOut();
        try (Siman siman = Siman.builder().backend(backendOption.backend).threads(backendOption.threads).build()) {
            siman.binarizer(config.binarizer());
            if (!quiet) {
                o.println(String.format(Locale.ROOT, "%s %s: %s on %s, %d epochs, batch %d, lr %s, backend %s (%d threads) -> %s",
                        resume ? "resuming" : "training", config.model(), config.binarizer(), config.dataset(), config.epochs(),
                        config.batch(), config.lr(), siman.selection().name(), siman.backend().threads(), out));
                o.flush();
            }
            Trainer trainer = new Trainer(siman.backend(), siman.binarizers(), config, dataDir, out,
                    new Progress(o, quiet), RunInfo.record(siman.backend()));
            Trainer.Result r = trainer.run(resume);
            o.println(String.format(Locale.ROOT, "best test accuracy %.2f%% (epoch %d), final %.2f%%; %d parameters; checkpoints in %s",
                    100 * r.bestTestAcc(), r.bestEpoch() + 1, 100 * r.finalTestAcc(), r.parameters(), out));
            o.flush();
        }
        return 0;
    }

    /** The stored configuration, after checking that no option given now contradicts it. */
    private TrainingConfig resumedConfig() {
        Path last = out.resolve(Trainer.LAST);
        Map<String, String> stored = Checkpoint.read(last).config();
        CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        Map<String, String> given = new LinkedHashMap<>();
        given.put("model", model);
        given.put("dataset", dataset);
        given.put("binarizer", binarizer);
        given.put("encoding", encoding);
        given.put("epochs", Integer.toString(epochs));
        given.put("batch", Integer.toString(batch));
        given.put("lr", Double.toString(lr));
        given.put("weight-decay", Double.toString(weightDecay));
        given.put("binarized-weight-decay", binarizedWeightDecay == null ? "" : Double.toString(binarizedWeightDecay));
        given.put("warmup", Integer.toString(warmup));
        given.put("seed", Long.toString(seed));
        given.put("limit", Integer.toString(limit));
        given.put("val-split", Integer.toString(valSplit));
        for (Map.Entry<String, String> e : given.entrySet()) {
            if (pr.hasMatchedOption("--" + e.getKey()) && !sameValue(e.getValue(), stored.get(e.getKey()))) {
                throw new SimanException("--" + e.getKey() + " " + e.getValue() + " contradicts the run being resumed ("
                        + e.getKey() + " = " + stored.get(e.getKey()) + " in " + last + ")");
            }
        }
        return TrainingConfig.fromMap(stored, last.toString());
    }

    private static boolean sameValue(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        try {
            return Double.parseDouble(a) == Double.parseDouble(b);
        } catch (NumberFormatException | NullPointerException e) {
            return false;
        }
    }
}
