package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.ShapeMismatchException;
import io.siman.api.SimanException;
import io.siman.models.data.Inputs;
import io.siman.models.inference.Predictor;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A model file loaded to classify bitwise (XNOR/AND and popcount), from {@link Siman#load}. Pictures are
 * converted to the network's input as the model file says ({@code preprocessing} in its header: resized, grey or
 * colour, normalized and padded as the dataset's test images were); already preprocessed inputs go in as they are.
 * Safe to share between threads. Close it before the {@link Siman} it came from.
 */
public final class Classifier implements AutoCloseable {
    private final Predictor predictor;
    private final String preprocessing;

    /** One class of a result: its index, its name, and the softmax probability of the logits. */
    public record Prediction(int classIndex, String label, double probability) {
    }

    private Classifier(Predictor predictor) {
        this.predictor = predictor;
        Map<String, String> header = predictor.header();
        String stored = header.get("preprocessing");
        this.preprocessing = stored != null && !stored.isBlank() ? stored : Inputs.describe(header.get("dataset"));
    }

    static Classifier load(Backend backend, BinarizerRegistry binarizers, Path modelFile) {
        return new Classifier(Predictor.load(backend, binarizers, modelFile));
    }

    /** The class names, in class order. */
    public List<String> classNames() {
        return predictor.classNames();
    }

    /** Channels of the network's input (1 grey, 3 colour). */
    public int inputChannels() {
        return predictor.spec().inChannels();
    }

    /** Floats per preprocessed input: channels x height x width. */
    public int inputSize() {
        return predictor.imageSize();
    }

    /** The model file's header (architecture, dataset, binarizer, preprocessing, source checkpoint...). */
    public Map<String, String> header() {
        return predictor.header();
    }

    /** The network input of a picture (any size, colour or grey), as {@link #predict(BufferedImage)} makes it. */
    public float[] preprocess(BufferedImage picture) {
        if (picture == null) {
            throw new SimanException("no picture given (ImageIO.read returns null for formats it cannot read)");
        }
        return Inputs.convert(picture, preprocessing, predictor.spec().inChannels());
    }

    /** The most probable class of a picture. */
    public Prediction predict(BufferedImage picture) {
        return top(picture, 1).get(0);
    }

    /** The {@code k} most probable classes of a picture, most probable first. */
    public List<Prediction> top(BufferedImage picture, int k) {
        return top(preprocess(picture), k);
    }

    /** The most probable class of one preprocessed input ({@link #inputSize()} floats). */
    public Prediction predict(float[] preprocessed) {
        return top(preprocessed, 1).get(0);
    }

    /** The {@code k} most probable classes of one preprocessed input, most probable first. */
    public List<Prediction> top(float[] preprocessed, int k) {
        return top(preprocessed, 1, k).get(0);
    }

    /** The most probable class of each of {@code count} preprocessed inputs laid one after another. */
    public List<Prediction> predictBatch(float[] preprocessed, int count) {
        List<Prediction> out = new ArrayList<>(count);
        for (List<Prediction> one : top(preprocessed, count, 1)) {
            out.add(one.get(0));
        }
        return out;
    }

    /** The raw logits of {@code count} preprocessed inputs, {@code [count, classes]}: the bitwise engine's output. */
    public float[] logits(float[] preprocessed, int count) {
        if (preprocessed == null || count < 1 || preprocessed.length != (long) count * inputSize()) {
            throw new ShapeMismatchException("expected " + count + " preprocessed inputs of " + inputSize() + " floats, got "
                    + (preprocessed == null ? "none" : preprocessed.length + " floats"));
        }
        return predictor.logits(preprocessed, count);
    }

    /** The {@code k} most probable classes of each of {@code count} preprocessed inputs, most probable first. */
    public List<List<Prediction>> top(float[] preprocessed, int count, int k) {
        if (k < 1) {
            throw new SimanException("k must be positive, got " + k);
        }
        float[] logits = logits(preprocessed, count);
        int classes = predictor.spec().classes();
        List<List<Prediction>> all = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            double[] p = Predictor.softmax(logits, i * classes, classes);
            int[] order = Predictor.ranking(logits, i * classes, classes);
            List<Prediction> best = new ArrayList<>();
            for (int r = 0; r < Math.min(k, classes); r++) {
                best.add(new Prediction(order[r], classNames().get(order[r]), p[order[r]]));
            }
            all.add(List.copyOf(best));
        }
        return all;
    }

    @Override
    public void close() {
        predictor.close();
    }
}
