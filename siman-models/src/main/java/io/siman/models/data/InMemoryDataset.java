package io.siman.models.data;

import io.siman.api.InvalidDataException;

import java.util.List;
import java.util.SplittableRandom;

/** Already preprocessed float images {@code [n, c, h, w]} with labels, for library users; no augmentation. */
public final class InMemoryDataset implements Dataset {
    private final String name;
    private final float[] images;
    private final int[] labels;
    private final int c, h, w;
    private final List<String> classNames;

    public InMemoryDataset(String name, float[] images, int[] labels, int c, int h, int w, List<String> classNames) {
        if ((long) labels.length * c * h * w != images.length) {
            throw new InvalidDataException(name + ": " + images.length + " values do not make " + labels.length + " images of " + c + "x" + h + "x" + w);
        }
        ByteImages.checkLabels(name, labels, classNames.size());
        for (float v : images) {
            if (!Float.isFinite(v)) {
                throw new InvalidDataException(name + ": images contain NaN or infinite values");
            }
        }
        this.name = name;
        this.images = images;
        this.labels = labels;
        this.c = c;
        this.h = h;
        this.w = w;
        this.classNames = List.copyOf(classNames);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int channels() {
        return c;
    }

    @Override
    public int height() {
        return h;
    }

    @Override
    public int width() {
        return w;
    }

    @Override
    public int classes() {
        return classNames.size();
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public void batch(int[] indices, int from, int to, SplittableRandom random, float[] dst, int[] out) {
        int per = imageSize();
        for (int i = from; i < to; i++) {
            System.arraycopy(images, indices[i] * per, dst, (i - from) * per, per);
            out[i - from] = labels[indices[i]];
        }
    }
}
