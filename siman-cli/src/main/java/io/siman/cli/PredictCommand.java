package io.siman.cli;

import io.siman.models.Siman;
import io.siman.models.data.Inputs;
import io.siman.models.Classifier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code siman predict}: the top classes of images, with a model file run bitwise. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Classifies images bitwise with a model file and prints the top classes with probabilities.",
                "Takes an IDX images file, or PNG/JPEG files (a file or a folder), converted to the model's input as its",
                "dataset's test images are."})
final class PredictCommand implements Callable<Integer> {
    @Option(names = "--model-file", required = true, paramLabel = "FILE", description = "A model written by 'siman export'.")
    Path modelFile;

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "IDX images file, PNG/JPEG file, or folder of PNG/JPEG files.")
    Path input;

    @Option(names = "--top", defaultValue = "5", paramLabel = "K", description = "Classes to show per image (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Classify only the first N images (0: all).")
    int limit;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "N", description = "Images per batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--json", description = "Print a JSON array: one object per image with input, index and top (class, label, probability).")
    boolean json;

    @Mixin
    BackendOption backendOption;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (batch < 1 || top < 1) {
            throw new io.siman.api.SimanException("--batch and --top must be positive");
        }
        try (Siman siman = backendOption.open();
             Classifier predictor = siman.load(modelFile)) {
            List<Inputs.Image> images = Inputs.load(input, predictor.header().get("dataset"), predictor.inputChannels());
            if (limit > 0 && images.size() > limit) {
                images = images.subList(0, limit);
            }
            int per = predictor.inputSize();
            List<Object> out = new ArrayList<>();
            PrintWriter o = spec.commandLine().getOut();
            for (int from = 0; from < images.size(); from += batch) {
                int n = Math.min(batch, images.size() - from);
                float[] x = new float[n * per];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(images.get(from + i).values(), 0, x, i * per, per);
                }
                List<List<Classifier.Prediction>> ranked = predictor.top(x, n, top);
                for (int i = 0; i < n; i++) {
                    List<Object> best = new ArrayList<>();
                    StringBuilder line = new StringBuilder(images.get(from + i).name()).append(':');
                    for (Classifier.Prediction c : ranked.get(i)) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("class", c.classIndex());
                        m.put("label", c.label());
                        m.put("probability", c.probability());
                        best.add(m);
                        line.append(String.format(Locale.ROOT, "  %s %.1f%%", c.label(), 100 * c.probability()));
                    }
                    if (json) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("input", images.get(from + i).name());
                        m.put("index", from + i);
                        m.put("top", best);
                        out.add(m);
                    } else {
                        o.println(line);
                    }
                }
            }
            if (json) {
                o.println(Json.write(out));
            }
            o.flush();
        }
        return 0;
    }
}
