package io.siman.models.bench;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Shape;
import io.siman.api.SimanException;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.models.inference.ModelExport;
import io.siman.models.inference.Predictor;
import io.siman.models.io.ModelFile;
import io.siman.models.layers.BitwiseConv2d;
import io.siman.models.layers.Init;
import io.siman.models.nets.Network;
import io.siman.models.nets.Zoo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Measures, in one run and on the same inputs, a model's float simulation and its bitwise engine: whole
 * network images per second (through a {@link Predictor} each, as an application runs them) and, per binarized
 * layer, milliseconds per batch, the two sides timed in alternating slices ({@link #timeSideBySide}). Both are
 * loaded from the same model file; their logits are checked to be equal before anything is timed.
 */
public final class InferenceBenchmark {
    /** One binarized layer at one batch size. */
    public record LayerTiming(String name, String shape, double floatMs, double bitwiseMs) {
        public double speedup() {
            return floatMs / bitwiseMs;
        }
    }

    /** One batch size. */
    public record Result(int batch, int threads, String backend, double floatImagesPerSecond, double bitwiseImagesPerSecond,
                         List<LayerTiming> layers) {
        public double speedup() {
            return bitwiseImagesPerSecond / floatImagesPerSecond;
        }
    }

    private InferenceBenchmark() {
    }

    /**
     * @param seconds  measuring time per network and batch size (warm-up comes on top)
     * @param progress receives one line per step, for a progress display
     */
    public static List<Result> run(Backend backend, BinarizerRegistry binarizers, ModelFile model, Path source,
                                   int[] batches, double seconds, Consumer<String> progress) {
        List<Result> results = new ArrayList<>();
        try (Network simulated = ModelExport.load(backend, binarizers, model, source, Zoo.Mode.SIMULATED);
             Network bitwise = ModelExport.load(backend, binarizers, model, source, Zoo.Mode.BITWISE);
             Predictor simulatedPredictor = Predictor.of(backend, binarizers, model, source, Zoo.Mode.SIMULATED);
             Predictor bitwisePredictor = Predictor.of(backend, binarizers, model, source, Zoo.Mode.BITWISE)) {
            if (bitwise.layers(BitwiseConv2d.class).isEmpty()) {
                throw new SimanException(source + " has no binarized layers to run bitwise (binarizer " + model.header().get("binarizer") + ")");
            }
            SplittableRandom rnd = new SplittableRandom(42);
            for (int batch : batches) {
                if (batch < 1) {
                    throw new SimanException("batch sizes must be positive, got " + batch);
                }
                Shape in = bitwise.inputShape(batch);
                float[] images = Init.normal(rnd, in.intSize(), 1);
                try (Tensor x = backend.upload(images, in)) {
                    float[] a = backend.downloadFloats(simulated.forward(x, TrainingProgress.EVAL));
                    float[] b = backend.downloadFloats(bitwise.forward(x, TrainingProgress.EVAL));
                    if (!Arrays.equals(a, b) || !Arrays.equals(a, bitwisePredictor.logits(images, batch))) {
                        throw new SimanException("bitwise and float logits differ at batch " + batch + ": the backend breaks the kernel contract");
                    }
                    // the whole network as an application runs it: through a Predictor (a large batch in a part per
                    // thread and micro-batches that stay in cache), images in and logits out
                    progress.accept("batch " + batch + ": whole network");
                    double[] whole = timeSideBySide(() -> simulatedPredictor.logits(images, batch),
                            () -> bitwisePredictor.logits(images, batch), 2 * seconds);
                    double floatIps = batch / whole[0], bitIps = batch / whole[1];
                    List<LayerTiming> layers = new ArrayList<>();
                    Map<String, BitwiseConv2d> simByName = simulated.layers(BitwiseConv2d.class).stream()
                            .collect(Collectors.toMap(BitwiseConv2d::name, l -> l));
                    // each layer's input made once; every layer run on both sides before any is timed: the first
                    // one timed had paid for the JIT's work on the layer-by-layer path (at batch 1, twice the time
                    // of the identical layers after it)
                    List<BitwiseConv2d> timed = bitwise.layers(BitwiseConv2d.class);
                    List<Tensor> inputs = new ArrayList<>();
                    try {
                        for (BitwiseConv2d layer : timed) {
                            inputs.add(backend.upload(Init.normal(rnd, layer.lastInputShape().intSize(), 1), layer.lastInputShape()));
                        }
                        progress.accept("batch " + batch + ": layers, warm-up");
                        for (int pass = 0; pass < 2; pass++) {
                            for (int l = 0; l < timed.size(); l++) {
                                Tensor lx = inputs.get(l);
                                BitwiseConv2d layer = timed.get(l), sim = simByName.get(layer.name());
                                repeat(() -> sim.forward(lx, TrainingProgress.EVAL), seconds / 100);
                                repeat(() -> layer.forward(lx, TrainingProgress.EVAL), seconds / 100);
                            }
                        }
                        for (int l = 0; l < timed.size(); l++) {
                            Tensor lx = inputs.get(l);
                            BitwiseConv2d layer = timed.get(l), sim = simByName.get(layer.name());
                            Shape shape = lx.shape();
                            progress.accept("batch " + batch + ": layer " + layer.name());
                            double[] t = timeSideBySide(() -> sim.forward(lx, TrainingProgress.EVAL),
                                    () -> layer.forward(lx, TrainingProgress.EVAL), seconds / 5);
                            layers.add(new LayerTiming(layer.name(), layer.inChannels() + "->" + layer.outChannels() + " "
                                    + shape.dim(2) + "x" + shape.dim(3) + (layer.stride() > 1 ? " /" + layer.stride() : ""), t[0] * 1e3, t[1] * 1e3));
                        }
                    } finally {
                        inputs.forEach(Tensor::close);
                    }
                    results.add(new Result(batch, backend.threads(), backend.name(), floatIps, bitIps, layers));
                }
            }
        }
        return results;
    }

    /** Slices per side in {@link #timeSideBySide}: odd, so that the median is one slice's time. */
    static final int SLICES = 7;

    /**
     * Seconds per call of {@code a} and of {@code b}, measured side by side: after warm-up, {@link #SLICES} slices of
     * each in turn, {@code seconds} in all, and per side the median slice. On a shared machine a burst of someone
     * else's work then slows a slice or two of either side rather than one side's whole measurement.
     */
    static double[] timeSideBySide(Runnable a, Runnable b, double seconds) {
        double slice = seconds / (2 * SLICES);
        repeat(a, slice * 2);
        repeat(b, slice * 2);
        double[] ta = new double[SLICES], tb = new double[SLICES];
        for (int s = 0; s < SLICES; s++) {
            ta[s] = repeat(a, slice);
            tb[s] = repeat(b, slice);
        }
        Arrays.sort(ta);
        Arrays.sort(tb);
        return new double[] {ta[SLICES / 2], tb[SLICES / 2]};
    }

    /** Runs {@code r} for at least {@code seconds} and at least 3 calls; seconds per call. */
    private static double repeat(Runnable r, double seconds) {
        long t0 = System.nanoTime();
        int calls = 0;
        while (calls < 3 || System.nanoTime() - t0 < seconds * 1e9) {
            r.run();
            calls++;
        }
        return (System.nanoTime() - t0) / 1e9 / calls;
    }
}
