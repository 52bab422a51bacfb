package io.siman.cli;

import io.siman.models.EvaluationRun;
import io.siman.models.Siman;
import io.siman.models.train.EvalResult;
import io.siman.models.train.Evaluation;
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

/** {@code siman eval}: accuracy of a checkpoint on a dataset's test split. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Measures the test accuracy of a checkpoint (float simulation) or a model file (bitwise).",
                "A checkpoint runs as a float simulation with its frozen bits; a model file runs bitwise (XNOR/AND and popcount)."})
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "FILE", description = "A checkpoint written by 'siman train' (float simulation).")
    Path checkpoint;

    @Option(names = "--model-file", paramLabel = "FILE", description = "Or a model written by 'siman export' (bitwise).")
    Path modelFile;

    @Option(names = "--dataset", paramLabel = "NAME", description = "Dataset (default: the one the checkpoint was trained on).")
    String dataset;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Folder of the dataset's files.")
    Path dataDir;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Evaluate only the first N test images (0: all).")
    int limit;

    @Option(names = "--compare-checkpoint", paramLabel = "FILE",
            description = "With --model-file: also run this checkpoint's float simulation and report how often the predictions agree.")
    Path compareCheckpoint;

    @Option(names = "--json", description = "Print one JSON object: accuracy, top5, count, mode, backend, images_per_second.")
    boolean json;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Mixin
    BackendOption backendOption;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if ((checkpoint == null) == (modelFile == null)) {
            throw new io.siman.api.SimanException("give exactly one of --checkpoint and --model-file");
        }
        if (compareCheckpoint != null && modelFile == null) {
            throw new io.siman.api.SimanException("--compare-checkpoint goes with --model-file");
        }
        Path source = checkpoint != null ? checkpoint : modelFile;
        try (Siman siman = backendOption.open()) {
            EvaluationRun.Result e;
            try (ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "evaluating", quiet || json)) {
                e = siman.evaluation(source).readAsModelFile(modelFile != null).dataset(dataset).dataDir(dataDir).limit(limit).batch(batch).progress(bar)
                        .compareWith(compareCheckpoint).run();
            }
            EvalResult r = e.result();
            Evaluation.Agreement agreement = e.agreement();
            PrintWriter o = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("accuracy", r.accuracy());
                m.put("top5", r.top5());
                m.put("loss", r.loss());
                m.put("count", r.count());
                m.put("mode", e.mode());
                m.put("backend", e.backend());
                m.put("images_per_second", r.imagesPerSecond());
                m.put(e.checkpoint() ? "checkpoint" : "model_file", source.toString());
                m.put("dataset", e.dataset());
                if (agreement != null) {
                    m.put("agreement", agreement.fraction());
                    m.put("identical_logits", agreement.identicalLogits());
                    m.put("max_abs_logit_difference", agreement.maxAbsDifference());
                }
                o.println(Json.write(m));
            } else {
                o.println(String.format(Locale.ROOT, "%s on %s (%d images, %s, backend %s): accuracy %.2f%%, top-5 %.2f%%, loss %.4f, %.0f images/s",
                        source, e.dataset(), r.count(), e.mode().equals("bitwise") ? "bitwise" : "float simulation", e.backend(),
                        100 * r.accuracy(), 100 * r.top5(), r.loss(), r.imagesPerSecond()));
                if (agreement != null) {
                    o.println(String.format(Locale.ROOT, "agreement with %s (float simulation): %.2f%% of predictions, %d of %d logit rows identical, largest logit difference %.3g",
                            compareCheckpoint, 100 * agreement.fraction(), agreement.identicalLogits(), agreement.count(), agreement.maxAbsDifference()));
                }
            }
            o.flush();
        }
        return 0;
    }
}
