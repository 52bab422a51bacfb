package io.siman.cli;

import io.siman.api.Backend;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.models.Siman;
import io.siman.models.data.Inputs;
import io.siman.models.io.ModelExport;
import io.siman.models.io.ModelFile;
import io.siman.models.nets.Network;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code siman predict}: the top classes of images, with a model file run bitwise. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Classifies images with a model file, bitwise: an IDX images file, or PNG/JPEG files (a file or a folder),",
                "converted to the model's input as its dataset's test images are. Prints the top classes with probabilities."})
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
        ModelFile mf = ModelFile.read(modelFile);
        try (Siman siman = Siman.builder().backend(backendOption.backend).threads(backendOption.threads).build()) {
            Backend backend = siman.backend();
            try (Network net = ModelExport.load(backend, siman.binarizers(), mf, modelFile)) {
                List<Inputs.Image> images = Inputs.load(input, mf.header().get("dataset"), net.spec().inChannels());
                if (limit > 0 && images.size() > limit) {
                    images = images.subList(0, limit);
                }
                String[] names = mf.header().getOrDefault("class-names", "").split("\\|");
                int classes = net.spec().classes(), per = net.inputShape(1).intSize();
                List<Object> out = new ArrayList<>();
                PrintWriter o = spec.commandLine().getOut();
                for (int from = 0; from < images.size(); from += batch) {
                    int n = Math.min(batch, images.size() - from);
                    float[] x = new float[n * per];
                    for (int i = 0; i < n; i++) {
                        System.arraycopy(images.get(from + i).values(), 0, x, i * per, per);
                    }
                    float[] logits;
                    try (Tensor t = backend.upload(x, net.inputShape(n))) {
                        logits = backend.downloadFloats(net.forward(t, TrainingProgress.EVAL));
                    }
                    for (int i = 0; i < n; i++) {
                        double[] p = softmax(logits, i * classes, classes);
                        Integer[] order = new Integer[classes];
                        for (int c = 0; c < classes; c++) {
                            order[c] = c;
                        }
                        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
                        List<Object> best = new ArrayList<>();
                        StringBuilder line = new StringBuilder(images.get(from + i).name()).append(':');
                        for (int r = 0; r < Math.min(top, classes); r++) {
                            int c = order[r];
                            String label = c < names.length && !names[c].isEmpty() ? names[c] : Integer.toString(c);
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("class", c);
                            m.put("label", label);
                            m.put("probability", p[c]);
                            best.add(m);
                            line.append(String.format(Locale.ROOT, "  %s %.1f%%", label, 100 * p[c]));
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
        }
        return 0;
    }

    static double[] softmax(float[] z, int off, int k) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < k; j++) {
            max = Math.max(max, z[off + j]);
        }
        double[] p = new double[k];
        for (int j = 0; j < k; j++) {
            p[j] = Math.exp(z[off + j] - max);
            sum += p[j];
        }
        for (int j = 0; j < k; j++) {
            p[j] /= sum;
        }
        return p;
    }
}
