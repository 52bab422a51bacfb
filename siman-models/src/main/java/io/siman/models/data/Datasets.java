package io.siman.models.data;

import io.siman.api.InvalidDataException;
import io.siman.api.UnknownNameException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The named datasets and where their files are: {@code fashion-mnist}, {@code mnist}, {@code cifar10}, {@code imagenet}. */
public final class Datasets {
    public static final List<String> NAMES = List.of("fashion-mnist", "mnist", "cifar10", "imagenet");
    public static final Path FASHION_MNIST_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    public static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    /** Which part of a dataset. */
    public enum Split { TRAIN, TEST }

    private Datasets() {
    }

    public static void requireKnown(String name) {
        if (!NAMES.contains(name)) {
            throw new UnknownNameException("dataset", name, NAMES);
        }
    }

    /** The default folder of a dataset, or null when it has none and {@code --data-dir} is required. */
    public static Path defaultDir(String name) {
        return switch (name) {
            case "fashion-mnist" -> FASHION_MNIST_DIR;
            case "mnist" -> Path.of("/usr/share/datasets/mnist");
            default -> null;
        };
    }

    /** Input channels and size of a dataset's images as the networks see them (without reading files). */
    public static int[] inputShape(String name) {
        requireKnown(name);
        return switch (name) {
            case "fashion-mnist", "mnist" -> new int[]{1, 32, 32};
            case "cifar10" -> new int[]{3, 32, 32};
            default -> new int[]{3, ImageFolder.SIZE, ImageFolder.SIZE};
        };
    }

    /** A dataset's class names where they are fixed (not ImageNet's, which come from its folders): empty if not. */
    public static List<String> classNames(String name) {
        requireKnown(name);
        return switch (name) {
            case "fashion-mnist" -> FASHION_CLASSES;
            case "mnist" -> DIGITS;
            case "cifar10" -> CifarFiles.CLASSES;
            default -> List.of();
        };
    }

    /** The class names of a dataset joined by {@code |}, where it names exactly {@code classes} of them; else empty. */
    public static String classNamesText(String name, int classes) {
        List<String> names = classNames(name);
        return names.size() == classes ? String.join("|", names) : "";
    }

    /**
     * The dataset a network brought in from elsewhere is for, when not given: ImageNet for the ImageNet architectures,
     * else Fashion-MNIST for one input channel and CIFAR-10 for three.
     */
    public static String defaultFor(String architecture, int inputChannels) {
        return architecture.endsWith("-imagenet") ? "imagenet" : inputChannels == 1 ? "fashion-mnist" : "cifar10";
    }

    public static int classes(String name) {
        requireKnown(name);
        return name.equals("imagenet") ? 1000 : 10;
    }

    public static Dataset open(String name, Path dataDir, Split split) {
        requireKnown(name);
        Path dir = dataDir != null ? dataDir : defaultDir(name);
        if (dir == null) {
            throw new InvalidDataException(name + " has no default location: pass --data-dir");
        }
        if (!Files.isDirectory(dir)) {
            throw new InvalidDataException(name + ": data folder " + dir + " does not exist"
                    + (name.equals("fashion-mnist") ? " (install the Debian package dataset-fashion-mnist, or pass --data-dir)" : ""));
        }
        String tag = name + "/" + split.name().toLowerCase(java.util.Locale.ROOT);
        return switch (name) {
            case "fashion-mnist", "mnist" -> {
                String prefix = split == Split.TRAIN ? "train" : "t10k";
                Preprocessing prep = name.equals("mnist") ? Preprocessing.MNIST : Preprocessing.FASHION_MNIST;
                yield IdxFiles.load(tag, idx(dir, prefix + "-images-idx3-ubyte", name), idx(dir, prefix + "-labels-idx1-ubyte", name),
                        classNames(name), prep);
            }
            case "cifar10" -> {
                Path d = Files.isDirectory(dir.resolve("cifar-10-batches-bin")) ? dir.resolve("cifar-10-batches-bin") : dir;
                List<Path> files = new ArrayList<>();
                if (split == Split.TRAIN) {
                    for (int i = 1; i <= 5; i++) {
                        files.add(d.resolve("data_batch_" + i + ".bin"));
                    }
                } else {
                    files.add(d.resolve("test_batch.bin"));
                }
                yield CifarFiles.load(tag, files, Preprocessing.CIFAR10);
            }
            case "imagenet" -> ImageFolder.open(tag, dir.resolve("train"), dir.resolve(split == Split.TRAIN ? "train" : "val"));
            default -> throw new IllegalStateException(name);
        };
    }

    private static Path idx(Path dir, String base, String dataset) {
        for (String candidate : new String[]{base + ".gz", base, base.replace("-idx", ".idx")}) {
            if (Files.isRegularFile(dir.resolve(candidate))) {
                return dir.resolve(candidate);
            }
        }
        throw new InvalidDataException(dataset + ": " + dir + " has no " + base + "(.gz)");
    }
}
