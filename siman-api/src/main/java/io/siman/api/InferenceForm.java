package io.siman.api;

/**
 * What a binarizer leaves for bitwise inference: the signs to pack, their encoding, and a per-channel
 * scale that export folds into the layer's affine (together with a learned alpha, if any).
 *
 * @param encoding     how the packed bits enter the dot product
 * @param effective    the effective weights {@code [Co, Ci, kh, kw]}; bit = {@code effective > 0}; owned by
 *                     the binarizer (do not close)
 * @param channelScale constant scale per output channel, or null for 1
 */
public record InferenceForm(Encoding encoding, Tensor effective, float[] channelScale) {
}
