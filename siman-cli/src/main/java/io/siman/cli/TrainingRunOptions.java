package io.siman.cli;

import io.siman.api.SimanException;
import io.siman.models.io.Checkpoint;
import io.siman.models.train.Trainer;
import io.siman.models.train.TrainingConfig;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/**
 * How a training command treats its run folder and its output, shared by {@code siman train} and plugin commands
 * that train ({@code siman spark train}): a picocli mixin beside {@link TrainingOptions}.
 */
public final class TrainingRunOptions {
    @Option(names = "--resume", description = "Continue the run in --out from last.ckpt, with its stored configuration.")
    public boolean resume;

    @Option(names = "--init", paramLabel = "CKPT", description = "Start from the weights of this checkpoint of the same network"
            + " (for example one written by 'siman import'), with a new optimizer and schedule.")
    public Path init;

    @Option(names = "--overwrite", description = "Start again in an --out that holds checkpoints.")
    public boolean overwrite;

    @Option(names = "--quiet", description = "Print nothing but errors and the final result.")
    public boolean quiet;

    /** Refuses contradictory flags, and a folder with checkpoints unless resuming or overwriting. */
    public void checkOutput(Path out) {
        if (resume && overwrite) {
            throw new SimanException("--resume and --overwrite contradict each other");
        }
        if (resume && init != null) {
            throw new SimanException("--resume and --init contradict each other (a resumed run continues from its own weights)");
        }
        Trainer.checkOutput(out, resume, overwrite);
    }

    /**
     * The configuration stored in {@code out/last.ckpt}, after checking that no training option given on this command
     * line contradicts it (options left at their defaults do not count).
     */
    public static TrainingConfig storedConfig(Path out, TrainingOptions training, CommandLine.ParseResult given) {
        Path last = out.resolve(Trainer.LAST);
        Map<String, String> stored = Checkpoint.read(last).config();
        for (Map.Entry<String, String> e : training.asStrings().entrySet()) {
            if (given.hasMatchedOption("--" + e.getKey()) && !sameValue(e.getValue(), stored.get(e.getKey()))) {
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
