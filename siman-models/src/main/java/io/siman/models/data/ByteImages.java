package io.siman.models.data;

import io.siman.api.InvalidDataException;

import java.util.List;
import java.util.SplittableRandom;

/** A dataset held in memory as uint8 images {@code [n, c, h, w]} with labels: IDX and CIFAR files. */
public final class ByteImages implements Dataset {
    private final String name;
    private final byte[] pixels;
    private final int[] labels;
    private final int c, h, w;
    private final List<String> classNames;
    private final Preprocessing prep;

    public ByteImages(String name, byte[] pixels, int[] labels, int c, int h, int w, List<String> classNames, Preprocessing prep) {
        if ((long) labels.length * c * h * w != pixels.length) {
            throw new InvalidDataException(name + ": " + labels.length + " labels for " + pixels.length + " pixel values of "
                    + c + "x" + h + "x" + w + " images");
        }
        checkLabels(name, labels, classNames.size());
        this.name = name;
        this.pixels = pixels;
        this.labels = labels;
        this.c = c;
        this.h = h;
        this.w = w;
        this.classNames = List.copyOf(classNames);
        this.prep = prep;
    }

    /** Every label in {@code [0, classes)}, or a one-line error naming the dataset, the image and the label. */
    static void checkLabels(String name, int[] labels, int classes) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new InvalidDataException(name + ": label " + labels[i] + " of image " + i + " is outside 0.." + (classes - 1));
            }
        }
    }

    /** The first {@code n} images (all when {@code n} is larger). */
    public ByteImages limit(int n) {
        if (n >= labels.length) {
            return this;
        }
        int per = c * h * w;
        return new ByteImages(name, java.util.Arrays.copyOf(pixels, n * per), java.util.Arrays.copyOf(labels, n), c, h, w, classNames, prep);
    }

    /** The images at the given indices, in that order. */
    public ByteImages select(String newName, int[] indices) {
        int per = c * h * w;
        byte[] p = new byte[indices.length * per];
        int[] l = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels, indices[i] * per, p, i * per, per);
            l[i] = labels[indices[i]];
        }
        return new ByteImages(newName, p, l, c, h, w, classNames, prep);
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
        return prep.outSize();
    }

    @Override
    public int width() {
        return prep.outSize();
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
    public void batch(int[] indices, int from, int to, SplittableRandom random, float[] images, int[] out) {
        int per = c * h * w, size = imageSize();
        for (int i = from; i < to; i++) {
            int idx = indices[i];
            prep.apply(pixels, idx * per, c, h, w, random, images, (i - from) * size);
            out[i - from] = labels[idx];
        }
    }
}
