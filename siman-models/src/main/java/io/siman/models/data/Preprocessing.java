package io.siman.models.data;

import java.util.SplittableRandom;

/**
 * Normalization, zero padding to the network's input size, and the training augmentation of docs/method.md
 * sections 6 and 8: random crop with 4 pixels of zero padding, then horizontal flip with probability 1/2.
 * Zeros are added after normalization.
 *
 * @param mean     per-channel mean of the [0, 1] values
 * @param std      per-channel standard deviation
 * @param outSize  output height and width (images are centred on a zero canvas of this size)
 * @param cropPad  padding of the random crop, 0 for none
 * @param flip     whether augmentation flips horizontally
 */
public record Preprocessing(float[] mean, float[] std, int outSize, int cropPad, boolean flip) {
    public static final Preprocessing FASHION_MNIST = new Preprocessing(new float[]{0.2860f}, new float[]{0.3530f}, 32, 4, true);
    public static final Preprocessing MNIST = new Preprocessing(new float[]{0.1307f}, new float[]{0.3081f}, 32, 4, true);
    public static final Preprocessing CIFAR10 = new Preprocessing(new float[]{0.4914f, 0.4822f, 0.4465f},
            new float[]{0.2023f, 0.1994f, 0.2010f}, 32, 4, true);

    /**
     * Preprocesses one uint8 image {@code [c, h, w]} from {@code src} at {@code srcOff} into {@code dst} at
     * {@code dstOff} as {@code [c, outSize, outSize]}.
     */
    public void apply(byte[] src, int srcOff, int c, int h, int w, SplittableRandom random, float[] dst, int dstOff) {
        int out = outSize, top = (out - h) / 2, left = (out - w) / 2;
        int dy = 0, dx = 0;
        boolean mirror = false;
        if (random != null) {
            dy = cropPad > 0 ? random.nextInt(2 * cropPad + 1) - cropPad : 0;
            dx = cropPad > 0 ? random.nextInt(2 * cropPad + 1) - cropPad : 0;
            mirror = flip && random.nextBoolean();
        }
        for (int ch = 0; ch < c; ch++) {
            float m = mean[ch], inv = 1f / std[ch];
            int s = srcOff + ch * h * w, d = dstOff + ch * out * out;
            for (int y = 0; y < out; y++) {
                int sy = y + dy - top;
                for (int x = 0; x < out; x++) {
                    int cx = mirror ? out - 1 - x : x;
                    int sx = cx + dx - left;
                    float v = 0f;
                    if (sy >= 0 && sy < h && sx >= 0 && sx < w) {
                        v = ((src[s + sy * w + sx] & 0xff) / 255f - m) * inv;
                    }
                    dst[d + y * out + x] = v;
                }
            }
        }
    }
}
