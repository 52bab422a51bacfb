package io.siman.models.nets;

import io.siman.api.Encoding;

/**
 * Everything needed to rebuild a network: architecture, binarizer and encoding, input shape, classes and
 * the seed of its initialization.
 */
public record ModelSpec(String architecture, String binarizer, Encoding encoding,
                        int inChannels, int inHeight, int inWidth, int classes, long seed) {
}
