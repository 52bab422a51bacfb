package io.siman.cli;

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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code siman train}: trains a network of the zoo and keeps checkpoints and metrics in a folder. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains a network with SGD (momentum 0.9), cosine learning rate and the binarizer's weight-decay rule.",
                "Writes OUT/metrics.jsonl (one line per epoch), OUT/last.ckpt (every epoch) and OUT/best.ckpt (best accuracy)."})
final class TrainCommand implements Callable<Integer> {
    @Mixin
    TrainingOptions training;

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

    @Override
    public Integer call() {
        if (resume && overwrite) {
            throw new SimanException("--resume and --overwrite contradict each other");
        }
        Trainer.checkOutput(out, resume, overwrite);
        TrainingConfig config = resume ? resumedConfig() : training.config();
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
            Trainer trainer = new Trainer(siman.backend(), siman.binarizers(), config, training.dataDir, out,
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
        Map<String, String> given = training.asStrings();
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
