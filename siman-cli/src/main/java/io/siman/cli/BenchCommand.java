package io.siman.cli;

import io.siman.api.Encoding;
import io.siman.api.SimanException;
import io.siman.models.Siman;
import io.siman.models.bench.InferenceBenchmark;
import io.siman.models.bench.KernelProfile;
import io.siman.models.bench.MachineReport;
import io.siman.models.bench.TrainingBenchmark;
import io.siman.models.inference.ModelExport;
import io.siman.models.io.ModelFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code siman bench}: float simulation against the bitwise engine, side by side, on the same inputs. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measures the bitwise engine against the float simulation, or training steps with --train.",
                "In one run and after warm-up, both run a model on the same inputs, in alternating slices (the median slice of each kept): images per second of the whole network and milliseconds per binarized layer, at each batch size, with their ratios.",
                "With --train: whole training steps (augmented batches of the dataset, forward, backward, update) of a zoo network."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--model-file", paramLabel = "FILE", description = "A model written by 'siman export'.")
    Path modelFile;

    @Option(names = "--model", paramLabel = "NAME", description = "Or a zoo network with random weights (resnet20, vgg-small, ...).")
    String model;

    @Option(names = "--dataset", defaultValue = "fashion-mnist", paramLabel = "NAME",
            description = "Input shape and classes for --model (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--binarizer", defaultValue = "siman", paramLabel = "NAME", description = "Binarizer for --model (default: ${DEFAULT-VALUE}).")
    String binarizer;

    @Option(names = "--encoding", defaultValue = "pm1", paramLabel = "ENC", description = "Encoding for --model (default: ${DEFAULT-VALUE}).")
    String encoding;

    @Option(names = "--batches", defaultValue = "1,64", split = ",", paramLabel = "N", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    int[] batches;

    @Option(names = "--seconds", defaultValue = "2", paramLabel = "S", description = "Measuring time per network and batch size (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--json", description = "Print JSON: an array with one object per batch size; with --train, one object.")
    boolean json;

    @Option(names = "--train", description = "Time training steps of --model instead of inference.")
    boolean train;

    @Option(names = "--batch", defaultValue = "256", paramLabel = "N", description = "With --train: images per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "N", description = "With --train: steps run before timing (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--steps", defaultValue = "10", paramLabel = "N", description = "With --train: steps timed (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "With --train: the dataset's folder (default: its standard location).")
    Path dataDir;

    @Option(names = "--per-layer", description = "With --train: also time every layer's forward and backward pass.")
    boolean perLayer;

    @Option(names = "--per-kernel", description = "With --train: also add up the time of each kernel of the backend.")
    boolean perKernel;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Mixin
    BackendOption backendOption;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (train) {
            return trainingSteps();
        }
        if ((modelFile == null) == (model == null)) {
            throw new SimanException("give exactly one of --model-file and --model");
        }
        if (!(seconds > 0)) {
            throw new SimanException("--seconds must be positive");
        }
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Siman siman = backendOption.open()) {
            Path file = modelFile;
            Path tmp = null;
            try {
                if (model != null) {
                    tmp = Files.createTempDirectory("siman-bench");
                    file = ModelExport.randomModel(siman.backend(), siman.binarizers(), model, binarizer, Encoding.fromId(encoding),
                            dataset, 1, tmp);
                }
                ModelFile mf = ModelFile.read(file);
                List<InferenceBenchmark.Result> results;
                try (ProgressBar bar = new ProgressBar(err, "benchmarking", quiet || json)) {
                    long[] step = {0};
                    results = InferenceBenchmark.run(siman.backend(), siman.binarizers(), mf, file, batches, seconds,
                            line -> bar.update(++step[0], 0, line));
                }
                if (json) {
                    List<Object> rows = new ArrayList<>();
                    for (InferenceBenchmark.Result r : results) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("batch", r.batch());
                        m.put("threads", r.threads());
                        m.put("backend", r.backend());
                        m.put("model", model != null ? model : file.toString());
                        m.put("float_images_per_second", r.floatImagesPerSecond());
                        m.put("bitwise_images_per_second", r.bitwiseImagesPerSecond());
                        m.put("speedup", r.speedup());
                        List<Object> layers = new ArrayList<>();
                        for (InferenceBenchmark.LayerTiming l : r.layers()) {
                            Map<String, Object> lm = new LinkedHashMap<>();
                            lm.put("name", l.name());
                            lm.put("shape", l.shape());
                            lm.put("float_ms", l.floatMs());
                            lm.put("bitwise_ms", l.bitwiseMs());
                            lm.put("speedup", l.speedup());
                            layers.add(lm);
                        }
                        m.put("layers", layers);
                        m.put("machine", MachineReport.of(siman.backend()).map());
                        rows.add(m);
                    }
                    o.println(Json.write(rows));
                } else {
                    o.println(MachineReport.of(siman.backend()).text());
                    for (InferenceBenchmark.Result r : results) {
                        o.println(String.format(Locale.ROOT, "batch %d (%s, %d threads): float simulation %.1f images/s, bitwise %.1f images/s, speed-up %.2fx",
                                r.batch(), r.backend(), r.threads(), r.floatImagesPerSecond(), r.bitwiseImagesPerSecond(), r.speedup()));
                        for (InferenceBenchmark.LayerTiming l : r.layers()) {
                            o.println(String.format(Locale.ROOT, "  %-22s %-18s float %9.3f ms  bitwise %9.3f ms  %6.2fx",
                                    l.name(), l.shape(), l.floatMs(), l.bitwiseMs(), l.speedup()));
                        }
                    }
                }
                o.flush();
            } finally {
                if (tmp != null) {
                    try (var s = Files.list(tmp)) {
                        for (Path p : s.toList()) {
                            Files.deleteIfExists(p);
                        }
                    }
                    Files.deleteIfExists(tmp);
                }
            }
        }
        return 0;
    }

    private int trainingSteps() {
        if (model == null || modelFile != null) {
            throw new SimanException("--train times a zoo network: give --model (and not --model-file)");
        }
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Siman siman = backendOption.open()) {
            TrainingBenchmark.Result r;
            try (ProgressBar bar = new ProgressBar(err, "training steps", quiet || json)) {
                long[] step = {0};
                r = TrainingBenchmark.run(siman.backend(), siman.binarizers(), model, binarizer, dataset, dataDir,
                        batch, warmup, steps, perLayer, perKernel, line -> bar.update(++step[0], warmup + steps, line));
            }
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("model", r.model());
                m.put("binarizer", r.binarizer());
                m.put("train_images_per_second", r.imagesPerSecond());
                m.put("seconds_per_step", r.seconds() / r.steps());
                m.put("batch", r.batch());
                m.put("threads", r.threads());
                m.put("backend", r.backend());
                m.put("steps", r.steps());
                m.put("allocated_bytes_per_step", r.allocatedBytesPerStep());
                m.put("peak_rss_bytes", r.peakResidentBytes());
                if (perLayer) {
                    List<Object> layers = new ArrayList<>();
                    for (TrainingBenchmark.LayerTime l : r.layers()) {
                        Map<String, Object> lm = new LinkedHashMap<>();
                        lm.put("name", l.name());
                        lm.put("type", l.type());
                        lm.put("forward_ms", l.forwardMs());
                        lm.put("backward_ms", l.backwardMs());
                        layers.add(lm);
                    }
                    m.put("layers", layers);
                }
                if (perKernel) {
                    List<Object> ks = new ArrayList<>();
                    for (KernelProfile.Entry e : r.kernels()) {
                        Map<String, Object> km = new LinkedHashMap<>();
                        km.put("kernel", e.kernel());
                        km.put("calls_per_step", e.calls());
                        km.put("ms_per_step", e.nanos() / 1e6);
                        ks.add(km);
                    }
                    m.put("kernels", ks);
                }
                m.put("machine", MachineReport.of(siman.backend()).map());
                o.println(Json.write(m));
            } else {
                o.println(MachineReport.of(siman.backend()).text());
                o.println(String.format(Locale.ROOT, "%s (%s), batch %d, %s, %d threads: %.1f training images/s (%.3f s per step, %d steps timed)",
                        r.model(), r.binarizer(), r.batch(), r.backend(), r.threads(), r.imagesPerSecond(), r.seconds() / r.steps(), r.steps()));
                o.println(String.format(Locale.ROOT, "  Java heap allocated per step (all threads, data loading included): %s; peak resident memory: %s",
                        r.allocatedBytesPerStep() < 0 ? "unknown" : String.format(Locale.ROOT, "%.1f KiB", r.allocatedBytesPerStep() / 1024.0),
                        r.peakResidentBytes() < 0 ? "unknown" : String.format(Locale.ROOT, "%.0f MiB", r.peakResidentBytes() / 1048576.0)));
                double fwd = 0, bwd = 0;
                for (TrainingBenchmark.LayerTime l : r.layers()) {
                    o.println(String.format(Locale.ROOT, "  %-24s %-14s forward %8.2f ms  backward %8.2f ms", l.name(), l.type(), l.forwardMs(), l.backwardMs()));
                    fwd += l.forwardMs();
                    bwd += l.backwardMs();
                }
                if (perLayer) {
                    o.println(String.format(Locale.ROOT, "  layers in all: forward %.1f ms, backward %.1f ms per step", fwd, bwd));
                }
                for (KernelProfile.Entry e : r.kernels()) {
                    o.println(String.format(Locale.ROOT, "  kernel %-26s %5d calls %9.2f ms per step", e.kernel(), e.calls(), e.nanos() / 1e6));
                }
            }
            o.flush();
        }
        return 0;
    }
}
