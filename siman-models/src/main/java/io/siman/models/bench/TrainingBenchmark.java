package io.siman.models.bench;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.api.SimanException;
import io.siman.api.TrainingProgress;
import io.siman.models.data.Dataset;
import io.siman.models.data.Datasets;
import io.siman.models.layers.LayerBase;
import io.siman.models.layers.LayerTimer;
import io.siman.models.nets.Network;
import io.siman.models.train.Batches;
import io.siman.models.train.Evaluation;
import io.siman.models.train.Models;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingStep;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Times whole training steps as {@code siman train} runs them: real batches of the dataset with augmentation
 * (prepared on the loader thread), forward, loss, backward and the SGD update, after warm-up steps that let
 * the JIT compile. Reports training images per second and, if asked, where each step's time goes, layer by layer
 * (timing every layer adds a little to the step).
 */
public final class TrainingBenchmark {
    /**
     * What was measured; {@code layers} and {@code kernels} only when asked for (kernels: per step, longest first).
     * {@code allocatedBytesPerStep}: Java heap allocated by all threads (the data loader's augmentation included)
     * per timed step, -1 where the JVM cannot count it; {@code peakResidentBytes}: the process's peak resident set
     * (Linux's VmHWM) at the end, -1 where unknown.
     */
    public record Result(String model, String binarizer, int batch, int threads, String backend, int steps, double seconds,
                         List<LayerTime> layers, List<KernelProfile.Entry> kernels, long allocatedBytesPerStep, long peakResidentBytes) {
        public double imagesPerSecond() {
            return (double) batch * steps / seconds;
        }
    }

    /** Mean milliseconds per step of one layer (not counting the layers inside it). */
    public record LayerTime(String name, String type, double forwardMs, double backwardMs) {
    }

    private TrainingBenchmark() {
    }

    /**
     * @param warmup steps run before timing
     * @param steps  steps timed
     */
    public static Result run(Backend backend, BinarizerRegistry binarizers, String model, String binarizer, String dataset, Path dataDir,
                             int batch, int warmup, int steps, boolean perLayer, boolean perKernel, Consumer<String> progress) {
        if (batch < 2 || warmup < 0 || steps < 1) {
            throw new SimanException("training benchmark: batch must be at least 2, warm-up steps at least 0 and timed steps at least 1");
        }
        TrainingConfig config = new TrainingConfig(model, dataset, binarizer, Encoding.PM1, 2, batch, TrainingConfig.DEFAULT_LR, 0.9,
                TrainingConfig.DEFAULT_WEIGHT_DECAY, null, 0, 1, 0, 0);
        Dataset data = Datasets.open(dataset, dataDir, Datasets.Split.TRAIN);
        int total = warmup + steps;
        if ((long) total * batch > data.size()) {
            throw new SimanException("training benchmark: " + total + " steps of " + batch + " need more than the " + data.size() + " training images");
        }
        int[] order = Batches.shuffled(Evaluation.range(data.size()), 1);
        KernelProfile kernels = perKernel ? new KernelProfile() : null;
        Backend real = backend;
        backend = perKernel ? kernels.wrap(real) : real;
        try (Network net = Models.build(backend, binarizers, config, new int[]{data.channels(), data.height(), data.width()}, data.classes());
             TrainingStep step = new TrainingStep(backend, net, binarizers.get(binarizer), config.momentum(), config.weightDecay(), null);
             Batches batches = new Batches(data, order, batch, true, 1, 0)) {
            TrainingProgress training = TrainingProgress.training(0, 2);
            Map<LayerBase, long[]> times = new LinkedHashMap<>();
            long t0 = 0;
            long allocatedAtStart = 0;
            for (int s = 0; s < total; s++) {
                if (s == warmup) {
                    t0 = System.nanoTime();
                    allocatedAtStart = allocatedBytes();
                    if (kernels != null) {
                        kernels.reset();
                    }
                    if (perLayer) {
                        net.root().time(new LayerTimer() {
                            @Override
                            public void forward(LayerBase layer, long nanos) {
                                times.computeIfAbsent(layer, l -> new long[2])[0] += nanos;
                            }

                            @Override
                            public void backward(LayerBase layer, long nanos) {
                                times.computeIfAbsent(layer, l -> new long[2])[1] += nanos;
                            }
                        });
                    }
                }
                progress.accept((s < warmup ? "warm-up step " + (s + 1) + "/" + warmup : "timed step " + (s - warmup + 1) + "/" + steps));
                Batches.Batch b = batches.next();
                TrainingStep.Outcome o = step.run(b.images(), b.labels(), b.size(), config.lr(), training);
                if (!Double.isFinite(o.lossSum())) {
                    throw new SimanException("training benchmark: the loss diverged at step " + s);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long allocatedAtEnd = allocatedBytes();
            long allocatedPerStep = allocatedAtStart < 0 || allocatedAtEnd < 0 ? -1 : (allocatedAtEnd - allocatedAtStart) / steps;
            net.root().time(null);
            List<LayerTime> layers = new ArrayList<>();
            for (Map.Entry<LayerBase, long[]> e : times.entrySet()) {
                LayerBase l = e.getKey();
                if (l.children().isEmpty()) {
                    layers.add(new LayerTime(l.name(), l.getClass().getSimpleName(), e.getValue()[0] / 1e6 / steps, e.getValue()[1] / 1e6 / steps));
                }
            }
            List<KernelProfile.Entry> perStep = new ArrayList<>();
            if (kernels != null) {
                for (KernelProfile.Entry e : kernels.entries()) {
                    perStep.add(new KernelProfile.Entry(e.kernel(), e.calls() / steps, e.nanos() / steps));
                }
            }
            return new Result(model, binarizer, batch, real.threads(), real.name(), steps, seconds, layers, perStep,
                    allocatedPerStep, peakResidentBytes());
        }
    }

    /** Bytes allocated so far by the live threads of the JVM (the step's workers and loader live through the run), or -1. */
    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
                && threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled()) {
            long sum = 0;
            for (long bytes : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
                sum += Math.max(0, bytes);
            }
            return sum;
        }
        return -1;
    }

    /** The peak resident set size of this process from {@code /proc/self/status}, or -1 off Linux. */
    static long peakResidentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] f = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
