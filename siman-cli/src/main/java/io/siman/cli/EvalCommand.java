package io.siman.cli;

import io.siman.api.Backend;
import io.siman.models.Siman;
import io.siman.models.data.Dataset;
import io.siman.models.data.Datasets;
import io.siman.models.io.Checkpoint;
import io.siman.models.io.ModelExport;
import io.siman.models.io.ModelFile;
import io.siman.models.nets.Network;
import io.siman.models.train.EvalResult;
import io.siman.models.train.Evaluation;
import io.siman.models.train.Models;
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

/** {@code siman eval}: accuracy of a checkpoint on a dataset's test split. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluates on the test split of a dataset: a checkpoint as a float simulation (frozen bits),",
                "or a model file bitwise (XNOR/AND and popcount)."})
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
        if (batch < 1) {
            throw new io.siman.api.SimanException("--batch must be positive, got " + batch);
        }
        if ((checkpoint == null) == (modelFile == null)) {
            throw new io.siman.api.SimanException("give exactly one of --checkpoint and --model-file");
        }
        Checkpoint ckpt = checkpoint != null ? Checkpoint.read(checkpoint) : null;
        ModelFile mf = modelFile != null ? ModelFile.read(modelFile) : null;
        Path source = checkpoint != null ? checkpoint : modelFile;
        String name = dataset != null ? dataset
                : ckpt != null ? TrainingConfig.fromMap(ckpt.config(), checkpoint.toString()).dataset() : mf.header().get("dataset");
        Datasets.requireKnown(name);
        Dataset data = Datasets.open(name, dataDir, Datasets.Split.TEST);
        try (Siman siman = Siman.builder().backend(backendOption.backend).threads(backendOption.threads).build()) {
            Backend backend = siman.backend();
            try (Network net = ckpt != null ? Models.fromCheckpoint(backend, siman.binarizers(), ckpt, checkpoint)
                    : ModelExport.load(backend, siman.binarizers(), mf, modelFile)) {
                if (data.channels() != net.spec().inChannels() || data.height() != net.spec().inHeight()
                        || data.width() != net.spec().inWidth() || data.classes() != net.spec().classes()) {
                    throw new io.siman.api.SimanException(source + " was trained on " + net.spec().inChannels() + "x"
                            + net.spec().inHeight() + "x" + net.spec().inWidth() + " images of " + net.spec().classes()
                            + " classes; " + name + " has " + data.channels() + "x" + data.height() + "x" + data.width()
                            + " images of " + data.classes());
                }
                String mode = ckpt != null ? "float" : net.bitwise() ? "bitwise" : "float";
                int n = limit > 0 ? Math.min(limit, data.size()) : data.size();
                EvalResult r;
                try (ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "evaluating", quiet || json)) {
                    r = Evaluation.run(backend, net, data, Evaluation.range(n), batch, bar);
                }
                PrintWriter o = spec.commandLine().getOut();
                Evaluation.Agreement agreement = null;
                if (compareCheckpoint != null) {
                    if (mf == null) {
                        throw new io.siman.api.SimanException("--compare-checkpoint goes with --model-file");
                    }
                    try (Network reference = Models.fromCheckpoint(backend, siman.binarizers(), Checkpoint.read(compareCheckpoint), compareCheckpoint)) {
                        agreement = Evaluation.agreement(backend, net, reference, data, Evaluation.range(n), batch);
                    }
                }
                if (json) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("accuracy", r.accuracy());
                    m.put("top5", r.top5());
                    m.put("loss", r.loss());
                    m.put("count", r.count());
                    m.put("mode", mode);
                    m.put("backend", backend.name());
                    m.put("images_per_second", r.imagesPerSecond());
                    m.put(ckpt != null ? "checkpoint" : "model_file", source.toString());
                    m.put("dataset", name);
                    if (agreement != null) {
                        m.put("agreement", agreement.fraction());
                        m.put("identical_logits", agreement.identicalLogits());
                        m.put("max_abs_logit_difference", agreement.maxAbsDifference());
                    }
                    o.println(Json.write(m));
                } else {
                    o.println(String.format(Locale.ROOT, "%s on %s (%d images, %s, backend %s): accuracy %.2f%%, top-5 %.2f%%, loss %.4f, %.0f images/s",
                            source, name, r.count(), mode.equals("bitwise") ? "bitwise" : "float simulation", backend.name(),
                            100 * r.accuracy(), 100 * r.top5(), r.loss(), r.imagesPerSecond()));
                    if (agreement != null) {
                        o.println(String.format(Locale.ROOT, "agreement with %s (float simulation): %.2f%% of predictions, %d of %d logit rows identical, largest logit difference %.3g",
                                compareCheckpoint, 100 * agreement.fraction(), agreement.identicalLogits(), agreement.count(), agreement.maxAbsDifference()));
                    }
                }
                o.flush();
            }
        }
        return 0;
    }
}
