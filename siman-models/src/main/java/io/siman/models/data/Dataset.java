package io.siman.models.data;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Labelled images ready for a network: {@link #batch} writes preprocessed images (normalized, padded,
 * optionally augmented) as float {@code [n, channels, height, width]}.
 */
public interface Dataset {
    /** Name such as "fashion-mnist/train". */
    String name();

    int size();

    int channels();

    int height();

    int width();

    int classes();

    List<String> classNames();

    int label(int index);

    /**
     * Writes the images {@code indices[from..to)} into {@code images} (at 0) and their labels into
     * {@code labels}. With {@code random} non-null, training augmentation draws from it (in index order,
     * so the result depends only on the generator's seed).
     */
    void batch(int[] indices, int from, int to, SplittableRandom random, float[] images, int[] labels);

    /** Values of one preprocessed image. */
    default int imageSize() {
        return channels() * height() * width();
    }
}
