package io.siman.cli;

import io.siman.models.Siman;
import io.siman.models.TrainingRun;
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
import java.util.concurrent.Callable;

/** {@code siman train}: trains a network of the zoo and keeps checkpoints and metrics in a folder. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains a network, binarized or full precision, on a dataset and writes checkpoints and metrics.",
                "SGD with momentum, a cosine learning rate and the binarizer's weight-decay rule.",
                "Writes OUT/metrics.jsonl (one line per epoch), OUT/last.ckpt (every epoch) and OUT/best.ckpt (best accuracy)."})
final class TrainCommand implements Callable<Integer> {
    @Mixin
    TrainingOptions training;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for checkpoints and metrics.")
    Path out;

    @Mixin
    TrainingRunOptions runOptions;

    @Mixin
    BackendOption backendOption;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        runOptions.checkOutput(out);
        boolean resume = runOptions.resume, quiet = runOptions.quiet;
        TrainingConfig config = resume ? TrainingRunOptions.storedConfig(out, training, spec.commandLine().getParseResult()) : training.config();
        PrintWriter o = spec.commandLine().getOut();
        try (Siman siman = backendOption.open()) {
            siman.binarizer(config.binarizer());
            if (!quiet) {
                o.println(String.format(Locale.ROOT, "%s %s: %s on %s, %d epochs, batch %d, lr %s, backend %s (%d threads) -> %s",
                        resume ? "resuming" : "training", config.model(), config.binarizer(), config.dataset(), config.epochs(),
                        config.batch(), config.lr(), siman.selection().name(), siman.backend().threads(), out));
                o.flush();
            }
            TrainingRun run = siman.training(config).dataDir(training.dataDir).listener(new Progress(o, quiet))
                    .resume(resume).overwrite(runOptions.overwrite).initialWeights(runOptions.init);
            RunInfo.record(siman.backend()).forEach(run::record);
            Trainer.Result r = run.run(out).detail();
            o.println(String.format(Locale.ROOT, "best test accuracy %.2f%% (epoch %d), final %.2f%%; %d parameters; checkpoints in %s",
                    100 * r.bestTestAcc(), r.bestEpoch() + 1, 100 * r.finalTestAcc(), r.parameters(), out));
            o.flush();
        }
        return 0;
    }
}
