package io.siman.models.inference;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.ShapeMismatchException;
import io.siman.api.SimanException;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.models.io.ModelFile;
import io.siman.models.nets.ModelSpec;
import io.siman.models.nets.Network;
import io.siman.models.nets.Zoo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A loaded model file, ready to classify: the bitwise engine (or its float simulation) behind a call that
 * takes preprocessed images and returns logits. Safe to share between threads: a network keeps the
 * intermediate tensors of the call running through it, so each concurrent call borrows a network of its own
 * from a pool (built from the already parsed model file the first time that many calls overlap) and returns it.
 * Results do not depend on which network or how many threads served a call.
 *
 * <pre>{@code
 * try (Predictor p = Predictor.load(backend, binarizers, Path.of("r20.siman"))) {
 *     float[] logits = p.logits(images, count);   // images: [count, C, H, W], normalized as the dataset's
 * }
 * }</pre>
 */
public final class Predictor implements AutoCloseable {
    private final Backend backend;
    private final BinarizerRegistry binarizers;
    private final ModelFile model;
    private final Path source;
    private final Zoo.Mode mode;
    private final ModelSpec spec;
    private final List<String> classNames;
    private final ConcurrentLinkedDeque<Network> idle = new ConcurrentLinkedDeque<>();
    private final List<Network> all = new ArrayList<>();
    private volatile boolean closed;
    /** Images per forward call of a large batch ({@link #microBatch()}); 0 until found. */
    private volatile int microBatch;

    private Predictor(Backend backend, BinarizerRegistry binarizers, ModelFile model, Path source, Zoo.Mode mode) {
        this.backend = backend;
        this.binarizers = binarizers;
        this.model = model;
        this.source = source;
        this.mode = mode;
        Network first = ModelExport.load(backend, binarizers, model, source, mode); // validates the file once, up front
        this.spec = first.spec();
        this.all.add(first);
        this.idle.push(first);
        String names = model.header().getOrDefault("class-names", "");
        List<String> labels = new ArrayList<>();
        String[] parts = names.isEmpty() ? new String[0] : names.split("\\|", -1);
        for (int c = 0; c < spec.classes(); c++) {
            labels.add(c < parts.length && !parts[c].isEmpty() ? parts[c] : Integer.toString(c));
        }
        this.classNames = List.copyOf(labels);
    }

    /** Reads a model file and prepares it to run bitwise. */
    public static Predictor load(Backend backend, BinarizerRegistry binarizers, Path modelFile) {
        return new Predictor(backend, binarizers, ModelFile.read(modelFile), modelFile, Zoo.Mode.BITWISE);
    }

    /** A model file already read; {@code mode} is {@link Zoo.Mode#BITWISE} or {@link Zoo.Mode#SIMULATED}. */
    public static Predictor of(Backend backend, BinarizerRegistry binarizers, ModelFile model, Path source, Zoo.Mode mode) {
        return new Predictor(backend, binarizers, model, source, mode);
    }

    public ModelSpec spec() {
        return spec;
    }

    /** The model file's header (architecture, dataset, binarizer, source checkpoint...). */
    public java.util.Map<String, String> header() {
        return model.header();
    }

    /** One label per class, from the model file ("0", "1", ... where it names none). */
    public List<String> classNames() {
        return classNames;
    }

    /** Values per image: {@code C * H * W}. */
    public int imageSize() {
        return spec.inChannels() * spec.inHeight() * spec.inWidth();
    }

    /**
     * Logits {@code [count, classes]} of {@code count} preprocessed images {@code [count, C, H, W]}. Safe to call from
     * several threads at once.
     */
    public float[] logits(float[] images, int count) {
        if (closed) {
            throw new SimanException("the predictor was closed");
        }
        if (count < 1 || (long) count * imageSize() != images.length) {
            throw new ShapeMismatchException("predict: " + images.length + " values are not " + count + " images of "
                    + spec.inChannels() + "x" + spec.inHeight() + "x" + spec.inWidth());
        }
        for (float v : images) {
            if (!Float.isFinite(v)) {
                throw new SimanException("predict: the images contain NaN or infinite values");
            }
        }
        int micro = microBatch(), parts = Math.min(count, backend.taskParallelism());
        if (count <= micro) {
            Network net = borrow();
            try (Tensor x = backend.upload(images, net.inputShape(count))) {
                return backend.downloadFloats(net.forward(x, TrainingProgress.EVAL));
            } finally {
                idle.push(net);
            }
        }
        // a part of the batch per thread, each through the whole network in micro-batches small enough that a layer's
        // output stays in the core's cache (at batch 64 the layer-by-layer order had streamed every activation through
        // memory); the logits of an image do not depend on the images computed with it
        int classes = spec.classes(), size = imageSize();
        float[] out = new float[count * classes];
        backend.runTasks(parts, part -> {
            int from = (int) ((long) count * part / parts), to = (int) ((long) count * (part + 1) / parts);
            // a divisor of the part, so every call has one shape and the network's buffers are not reallocated
            int step = micro;
            while ((to - from) % step != 0) {
                step--;
            }
            Network net = borrow();
            try {
                for (int at = from; at < to; at += step) {
                    float[] slice = Arrays.copyOfRange(images, at * size, (at + step) * size);
                    try (Tensor x = backend.upload(slice, net.inputShape(step))) {
                        System.arraycopy(backend.downloadFloats(net.forward(x, TrainingProgress.EVAL)), 0, out, at * classes, step * classes);
                    }
                }
            } finally {
                idle.push(net);
            }
        });
        return out;
    }

    /**
     * Images per forward call: as many as keep the largest layer output within {@link Backend#cacheBytesPerThread}
     * (on the CPU backend 5 for ResNet-20 on 28x28 images, 4 on 32x32), found once by running one blank image; any
     * number where the backend takes batches whole or one image's layer output does not fit (VGG-small's 128x32x32
     * planes are 512 KB: run one image at a time on each thread it was 12% slower than layer by layer).
     */
    private int microBatch() {
        long cache = backend.cacheBytesPerThread();
        if (cache <= 0) {
            return Integer.MAX_VALUE;
        }
        int m = microBatch;
        if (m == 0) {
            Network net = borrow();
            try (Tensor x = backend.upload(new float[imageSize()], net.inputShape(1))) {
                net.forward(x, TrainingProgress.EVAL);
                long largest = 1;
                for (io.siman.models.layers.LayerBase layer : net.layers(io.siman.models.layers.LayerBase.class)) {
                    io.siman.api.Shape shape = layer.lastOutputShape();
                    if (shape != null) {
                        largest = Math.max(largest, shape.size());
                    }
                }
                long fit = cache / (largest * Float.BYTES);
                m = fit < 1 ? Integer.MAX_VALUE : (int) Math.min(64, fit);
            } finally {
                idle.push(net);
            }
            microBatch = m;
        }
        return m;
    }

    /** The most likely class of each image (the first of equal scores). */
    public int[] classify(float[] images, int count) {
        float[] z = logits(images, count);
        int k = spec.classes();
        int[] best = new int[count];
        for (int i = 0; i < count; i++) {
            best[i] = top(z, i * k, k);
        }
        return best;
    }

    /** The most likely class of one row of logits (the first of equal scores). */
    public static int top(float[] logits, int offset, int classes) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (logits[offset + c] > logits[offset + best]) {
                best = c;
            }
        }
        return best;
    }

    /** Softmax of one row of logits, in double. */
    public static double[] softmax(float[] logits, int offset, int classes) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < classes; j++) {
            max = Math.max(max, logits[offset + j]);
        }
        double[] p = new double[classes];
        for (int j = 0; j < classes; j++) {
            p[j] = Math.exp(logits[offset + j] - max);
            sum += p[j];
        }
        for (int j = 0; j < classes; j++) {
            p[j] /= sum;
        }
        return p;
    }

    /** The classes of one row of logits, most probable first (ties by lower class). */
    public static int[] ranking(float[] logits, int offset, int classes) {
        Integer[] order = new Integer[classes];
        for (int c = 0; c < classes; c++) {
            order[c] = c;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[offset + b], logits[offset + a]));
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }

    /** Networks built so far: the most calls that have overlapped. */
    public int networks() {
        synchronized (all) {
            return all.size();
        }
    }

    private Network borrow() {
        Network net = idle.poll();
        if (net != null) {
            return net;
        }
        net = ModelExport.load(backend, binarizers, model, source, mode);
        synchronized (all) {
            if (closed) {
                net.close();
                throw new SimanException("the predictor was closed");
            }
            all.add(net);
        }
        return net;
    }

    /** Releases every network's tensors; calls still running must have returned. */
    @Override
    public void close() {
        synchronized (all) {
            if (closed) {
                return;
            }
            closed = true;
            all.forEach(Network::close);
            all.clear();
            idle.clear();
        }
    }
}
