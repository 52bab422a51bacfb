package io.siman.models.nets;

import io.siman.api.Activation;
import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Layer;
import io.siman.api.SimanException;
import io.siman.api.UnknownNameException;
import io.siman.models.layers.Activate;
import io.siman.models.layers.AvgPool2d;
import io.siman.models.layers.BasicBlock;
import io.siman.models.layers.BatchNorm;
import io.siman.models.layers.BinaryConv2d;
import io.siman.models.layers.BitwiseConv2d;
import io.siman.models.layers.Identity;
import io.siman.models.layers.Conv2d;
import io.siman.models.layers.Flatten;
import io.siman.models.layers.Linear;
import io.siman.models.layers.MaxPool2d;
import io.siman.models.layers.PRelu;
import io.siman.models.layers.ResidualBlock;
import io.siman.models.layers.Sequential;
import io.siman.models.layers.ShortcutA;
import io.siman.models.layers.WeightInit;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The network zoo of docs/method.md section 5. The first convolution and the last linear layer stay full
 * precision; every other convolution is binarized with the chosen binarizer.
 *
 * <p>With the full-precision binarizer ({@code none}) the ResNets are built with He et al.'s basic block
 * (ReLU, one shortcut) instead of the binarized networks' blocks: that is the full-precision ResNet of the
 * authors' code and of the literature the paper compares against. The binarized ResNet-20 block in full
 * precision is a weaker network (86.8% against 89.1% after 3 epochs on Fashion-MNIST, measured with an
 * independent PyTorch implementation as well; see {@code docs/results.md}).
 */
public final class Zoo {
    public static final List<String> NAMES = List.of("resnet20", "resnet18", "vgg-small", "resnet18-imagenet", "resnet34-imagenet");

    private Zoo() {
    }

    public static void requireKnown(String architecture) {
        if (!NAMES.contains(architecture)) {
            throw new UnknownNameException("model", architecture, NAMES);
        }
    }

    /** Builds the network described by {@code spec} for training, its weights drawn from {@code spec.seed()}. */
    public static Network build(Backend backend, ModelSpec spec, BinarizerRegistry binarizers) {
        return build(backend, spec, binarizers, Mode.TRAIN);
    }

    /** What the binarized convolutions of a built network are. */
    public enum Mode {
        /** Latent weights, binarized each step: for training (and float evaluation of checkpoints). */
        TRAIN,
        /** Packed bits run with bit operations: a loaded model file. */
        BITWISE,
        /** The same layers as {@link #BITWISE}, computed in float: the baseline of benchmarks. */
        SIMULATED
    }

    /**
     * Builds the network; except in {@link Mode#TRAIN}, every binarized convolution and the batch norm that
     * follows it become one {@link BitwiseConv2d} (bits and folded affine, to be loaded) and an {@link Identity}.
     */
    public static Network build(Backend backend, ModelSpec spec, BinarizerRegistry binarizers, Mode mode) {
        requireKnown(spec.architecture());
        boolean bitwise = mode != Mode.TRAIN;
        Builder b = new Builder(backend, binarizers.get(spec.binarizer()), spec, bitwise, mode == Mode.SIMULATED);
        Sequential root = new Sequential(backend, spec.architecture());
        try {
            switch (spec.architecture()) {
                case "resnet20" -> b.resnet20(root);
                case "resnet18" -> b.resnet18Cifar(root);
                case "vgg-small" -> b.vggSmall(root);
                case "resnet18-imagenet" -> b.resnetImagenet(root, new int[]{2, 2, 2, 2});
                case "resnet34-imagenet" -> b.resnetImagenet(root, new int[]{3, 4, 6, 3});
                default -> throw new IllegalStateException(spec.architecture());
            }
            return new Network(spec, root, bitwise && b.binarizer.binarizesActivations());
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    private static final class Builder {
        final Backend backend;
        final Binarizer binarizer;
        final ModelSpec spec;
        final SplittableRandom rnd;
        final boolean bitwise, simulate;

        Builder(Backend backend, Binarizer binarizer, ModelSpec spec, boolean bitwise, boolean simulate) {
            this.backend = backend;
            this.binarizer = binarizer;
            this.spec = spec;
            this.rnd = new SplittableRandom(spec.seed());
            this.bitwise = bitwise && binarizer.binarizesActivations();
            this.simulate = simulate;
        }

        /** A binarized convolution and the batch norm right after it: {conv, norm}; fused when bitwise. */
        Layer[] binarized(String conv, String norm, int in, int out, int k, int stride, int pad, WeightInit init, float gamma) {
            return binarized(conv, norm, in, out, k, stride, pad, init, gamma, true);
        }

        /**
         * A binarized convolution and its batch norm; {@code adjacentNorm} false when a pooling layer stands
         * between them (VGG-small): then the norm stays a layer of its own at inference too.
         */
        Layer[] binarized(String conv, String norm, int in, int out, int k, int stride, int pad, WeightInit init, float gamma,
                          boolean adjacentNorm) {
            if (bitwise && !adjacentNorm) {
                return new Layer[]{new BitwiseConv2d(backend, conv, in, out, k, stride, pad, spec.encoding(), simulate),
                        new BatchNorm(backend, norm, out, gamma)};
            }
            if (bitwise) {
                return new Layer[]{new BitwiseConv2d(backend, conv, in, out, k, stride, pad, spec.encoding(), simulate), new Identity(backend, norm)};
            }
            BinaryConv2d c = new BinaryConv2d(backend, conv, in, out, k, stride, pad, binarizer, spec.encoding(), init, rnd);
            BatchNorm b = new BatchNorm(backend, norm, out, gamma);
            if (adjacentNorm && binarizer.binarizesActivations()) {
                c.foldNorm(b);
            }
            return new Layer[]{c, b};
        }

        /** Whether the network is the full-precision baseline (the only binarizer that keeps activations in float). */
        boolean fullPrecision() {
            return !binarizer.binarizesActivations();
        }

        /**
         * A residual block of ResNet-20 and the ImageNet ResNets: binarized, the double-shortcut PReLU block of
         * docs/method.md section 5; in full precision, He et al.'s basic block with ReLU.
         */
        Layer block(String n, Layer[] c1, Layer[] c2, int planes, Layer shortcut) {
            if (fullPrecision()) {
                return new BasicBlock(backend, n, c1[0], c1[1], new Activate(backend, n + ".relu1", Activation.RELU),
                        c2[0], c2[1], new Activate(backend, n + ".relu2", Activation.RELU), shortcut);
            }
            return new ResidualBlock(backend, n, c1[0], c1[1], new PRelu(backend, n + ".prelu1", planes),
                    c2[0], c2[1], new PRelu(backend, n + ".prelu2", planes), shortcut);
        }

        BatchNorm bn(String name, int c) {
            return new BatchNorm(backend, name, c, 1f);
        }

        void head(Sequential root, int features, WeightInit init) {
            root.add(AvgPool2d.global(backend, "pool"));
            root.add(bn("bn_head", features));
            root.add(new Linear(backend, "fc", features, spec.classes(), init, rnd));
        }

        void resnet20(Sequential root) {
            WeightInit init = WeightInit.KAIMING_FAN_IN;
            root.add(new Conv2d(backend, "conv1", spec.inChannels(), 16, 3, 1, 1, init, rnd, false));
            root.add(bn("bn1", 16));
            root.add(new Activate(backend, "relu1", Activation.RELU));
            int in = 16;
            int[] planes = {16, 32, 64};
            for (int s = 0; s < 3; s++) {
                for (int i = 0; i < 3; i++) {
                    int stride = s > 0 && i == 0 ? 2 : 1;
                    int p = planes[s];
                    String n = "layer" + (s + 1) + "." + i;
                    Layer shortcut = stride != 1 || in != p ? new ShortcutA(backend, n + ".shortcut", p) : null;
                    Layer[] c1 = binarized(n + ".conv1", n + ".bn1", in, p, 3, stride, 1, init, 1f);
                    Layer[] c2 = binarized(n + ".conv2", n + ".bn2", p, p, 3, 1, 1, init, 1f);
                    root.add(block(n, c1, c2, p, shortcut));
                    in = p;
                }
            }
            head(root, 64, init);
        }

        void resnet18Cifar(Sequential root) {
            WeightInit init = WeightInit.KAIMING_FAN_IN;
            root.add(new Conv2d(backend, "conv1", spec.inChannels(), 64, 3, 1, 1, init, rnd, false));
            root.add(bn("bn1", 64));
            int in = 64;
            int[] planes = {64, 128, 256, 512};
            for (int s = 0; s < 4; s++) {
                for (int i = 0; i < 2; i++) {
                    int stride = s > 0 && i == 0 ? 2 : 1;
                    int p = planes[s];
                    String n = "layer" + (s + 1) + "." + i;
                    Layer shortcut = null;
                    if (stride != 1 || in != p) {
                        Sequential down = new Sequential(backend, n + ".downsample");
                        Layer[] d = binarized(n + ".downsample.0", n + ".downsample.1", in, p, 1, stride, 0, init, 1f);
                        down.add(d[0]);
                        down.add(d[1]);
                        shortcut = down;
                    }
                    Layer[] c1 = binarized(n + ".conv1", n + ".bn1", in, p, 3, stride, 1, init, 1f);
                    Layer[] c2 = binarized(n + ".conv2", n + ".bn2", p, p, 3, 1, 1, init, 1f);
                    Activation act = fullPrecision() ? Activation.RELU : Activation.HARDTANH;
                    root.add(new BasicBlock(backend, n, c1[0], c1[1], new Activate(backend, n + ".act1", act),
                            c2[0], c2[1], new Activate(backend, n + ".act2", act), shortcut));
                    in = p;
                }
            }
            head(root, 512, init);
        }

        void vggSmall(Sequential root) {
            if (spec.inHeight() != 32 || spec.inWidth() != 32) {
                throw new SimanException("vgg-small needs 32x32 inputs (its classifier is 512*4*4), got "
                        + spec.inHeight() + "x" + spec.inWidth());
            }
            WeightInit init = WeightInit.VGG;
            root.add(new Conv2d(backend, "conv0", spec.inChannels(), 128, 3, 1, 1, init, rnd, false));
            root.add(bn("bn0", 128));
            root.add(new PRelu(backend, "prelu0", 128));
            int[][] convs = {{128, 128, 1}, {128, 256, 0}, {256, 256, 1}, {256, 512, 0}, {512, 512, 1}};
            for (int i = 0; i < convs.length; i++) {
                int in = convs[i][0], out = convs[i][1];
                // the batch norm comes after the pooling; folded, its affine is applied before pooling (docs/method.md section 3)
                Layer[] c = binarized("conv" + (i + 1), "bn" + (i + 1), in, out, 3, 1, 1, init, 1f, convs[i][2] == 0);
                root.add(c[0]);
                if (convs[i][2] == 1) {
                    root.add(new MaxPool2d(backend, "pool" + (i + 1), 2, 2, 0));
                }
                root.add(c[1]);
                root.add(new PRelu(backend, "prelu" + (i + 1), out));
            }
            root.add(new Flatten(backend, "flatten"));
            root.add(new Linear(backend, "fc", 512 * 4 * 4, spec.classes(), init, rnd));
        }

        void resnetImagenet(Sequential root, int[] blocks) {
            WeightInit init = WeightInit.KAIMING_FAN_OUT;
            float gamma = 1e-8f; // docs/method.md section 5: every BatchNorm2d gamma starts at 1e-8
            root.add(new Conv2d(backend, "conv1", spec.inChannels(), 64, 7, 2, 3, init, rnd, false));
            root.add(new BatchNorm(backend, "bn1", 64, gamma));
            root.add(new Activate(backend, "relu", Activation.RELU));
            root.add(new MaxPool2d(backend, "maxpool", 3, 2, 1));
            int in = 64;
            int[] planes = {64, 128, 256, 512};
            for (int s = 0; s < 4; s++) {
                for (int i = 0; i < blocks[s]; i++) {
                    int stride = s > 0 && i == 0 ? 2 : 1;
                    int p = planes[s];
                    String n = "layer" + (s + 1) + "." + i;
                    Layer shortcut = null;
                    if (stride != 1 || in != p) {
                        Sequential down = new Sequential(backend, n + ".downsample");
                        down.add(new Conv2d(backend, n + ".downsample.0", in, p, 1, stride, 0, init, rnd, true));
                        down.add(new BatchNorm(backend, n + ".downsample.1", p, gamma));
                        shortcut = down;
                    }
                    Layer[] c1 = binarized(n + ".conv1", n + ".bn1", in, p, 3, stride, 1, init, gamma);
                    Layer[] c2 = binarized(n + ".conv2", n + ".bn2", p, p, 3, 1, 1, init, gamma);
                    root.add(block(n, c1, c2, p, shortcut));
                    in = p;
                }
            }
            head(root, 512, init);
        }
    }
}
