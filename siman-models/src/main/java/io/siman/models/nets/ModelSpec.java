package io.siman.models.nets;

import io.siman.api.Encoding;
import io.siman.api.SimanException;

/**
 * Everything needed to rebuild a network: architecture, binarizer and encoding, input shape, classes and
 * the seed of its initialization.
 */
public record ModelSpec(String architecture, String binarizer, Encoding encoding,
                        int inChannels, int inHeight, int inWidth, int classes, long seed) {
    /** Limits that keep a corrupt file from asking for an absurd network (and the memory it would need). */
    public static final int MAX_CHANNELS = 1024, MAX_SIZE = 8192, MAX_CLASSES = 1_000_000;

    public ModelSpec {
        if (architecture == null || binarizer == null || encoding == null) {
            throw new SimanException("a network needs an architecture, a binarizer and an encoding");
        }
        if (inChannels < 1 || inChannels > MAX_CHANNELS || inHeight < 1 || inHeight > MAX_SIZE || inWidth < 1 || inWidth > MAX_SIZE) {
            throw new SimanException("input " + inChannels + "x" + inHeight + "x" + inWidth + " is out of range (1 to "
                    + MAX_CHANNELS + " channels, 1 to " + MAX_SIZE + " pixels a side)");
        }
        if (classes < 1 || classes > MAX_CLASSES) {
            throw new SimanException(classes + " classes is out of range (1 to " + MAX_CLASSES + ")");
        }
    }
}
