package io.siman.bench;

import io.siman.api.ConvGeometry;
import io.siman.api.SimanException;

/**
 * The 3x3 convolutions of {@code resnet20} and {@code vgg-small} on 32x32 inputs (CIFAR-10 and padded
 * Fashion-MNIST), named by network, channels and spatial size. Stride-2 layers of ResNet-20 are left out: they
 * run once per stage against six stride-1 ones.
 */
public enum LayerShapes {
    R20_16X32("resnet20", 16, 16, 32),
    R20_32X16("resnet20", 32, 32, 16),
    R20_64X8("resnet20", 64, 64, 8),
    VGG_128X32("vgg-small", 128, 128, 32),
    VGG_256X16("vgg-small", 256, 256, 16),
    VGG_512X8("vgg-small", 512, 512, 8);

    public final String network;
    public final int inChannels;
    public final int outChannels;
    public final int size;

    LayerShapes(String network, int inChannels, int outChannels, int size) {
        this.network = network;
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.size = size;
    }

    public ConvGeometry geometry(int batch) {
        return new ConvGeometry(batch, inChannels, size, size, outChannels, 3, 3, 1, 1);
    }

    /** Multiply-accumulates of one forward pass. */
    public long macs(int batch) {
        return (long) batch * outChannels * size * size * inChannels * 9;
    }

    public String label() {
        return network + " " + inChannels + "->" + outChannels + " @" + size + "x" + size;
    }

    public static LayerShapes named(String name) {
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new SimanException("unknown layer shape '" + name + "'");
        }
    }
}
