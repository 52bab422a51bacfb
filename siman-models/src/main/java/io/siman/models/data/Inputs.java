package io.siman.models.data;

import io.siman.api.InvalidDataException;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Images to predict on, converted to a model's input the way its dataset's test images are: an IDX images
 * file, a CIFAR-10 binary batch file ({@code .bin}), or PNG/JPEG files (a file or a folder of them) resized to the
 * dataset's image size, in grey or colour.
 */
public final class Inputs {
    /** One image ready for the network. */
    public record Image(String name, float[] values) {
    }

    private Inputs() {
    }

    public static List<Image> load(Path path, String dataset, int channels) {
        Datasets.requireKnown(dataset);
        if (Files.isDirectory(path)) {
            List<Image> all = new ArrayList<>();
            try (Stream<Path> s = Files.list(path)) {
                for (Path f : s.filter(Inputs::isPicture).sorted().toList()) {
                    all.add(picture(f, dataset, channels));
                }
            } catch (IOException e) {
                throw new InvalidDataException(path + ": cannot list (" + e.getMessage() + ")", e);
            }
            if (all.isEmpty()) {
                throw new InvalidDataException(path + ": no PNG or JPEG images");
            }
            return all;
        }
        if (!Files.exists(path)) {
            throw new InvalidDataException(path + ": no such file");
        }
        if (isPicture(path)) {
            return List.of(picture(path, dataset, channels));
        }
        if (path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".bin")) {
            return cifar(path, dataset, channels);
        }
        return idx(path, dataset, channels);
    }

    private static boolean isPicture(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    private static Preprocessing preprocessing(String dataset) {
        return switch (dataset) {
            case "fashion-mnist" -> Preprocessing.FASHION_MNIST;
            case "mnist" -> Preprocessing.MNIST;
            case "cifar10" -> Preprocessing.CIFAR10;
            default -> null;
        };
    }

    /** Raw image side before padding: 28 for the MNISTs, 32 for CIFAR-10. */
    private static int rawSize(String dataset) {
        return dataset.equals("cifar10") ? 32 : 28;
    }

    /**
     * How a picture becomes a network input for a dataset, in the compact form a model file's header stores
     * ({@code preprocessing=mean=0.286;std=0.353;image=28;input=32}): per-channel mean and standard deviation of
     * the [0, 1] values, the side pictures are resized to, and the side of the zero-padded input.
     */
    public static String describe(String dataset) {
        Datasets.requireKnown(dataset);
        if (dataset.equals("imagenet")) {
            return "mean=0.485,0.456,0.406;std=0.229,0.224,0.225;image=" + ImageFolder.SIZE + ";input=" + ImageFolder.SIZE;
        }
        Preprocessing p = preprocessing(dataset);
        return "mean=" + join(p.mean()) + ";std=" + join(p.std()) + ";image=" + rawSize(dataset) + ";input=" + p.outSize();
    }

    private static String join(float[] v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ",").append(v[i]);
        }
        return b.toString();
    }

    /**
     * Converts a picture as {@link #describe} says ({@code description} from a model file's header), resized with
     * bilinear interpolation, grey by the luma weights when {@code channels} is 1. ImageNet pictures take the
     * resize-and-centre-crop of the ImageNet reader.
     */
    public static float[] convert(BufferedImage img, String description, int channels) {
        Map<String, String> parts = new java.util.HashMap<>();
        for (String part : description.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                parts.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
            }
        }
        try {
            float[] mean = floats(parts.get("mean")), std = floats(parts.get("std"));
            int image = Integer.parseInt(parts.getOrDefault("image", "")), input = Integer.parseInt(parts.getOrDefault("input", ""));
            if (mean.length != channels || std.length != channels || image < 1 || input < image || input > 4096) {
                throw new NumberFormatException("sizes do not fit " + channels + " channels");
            }
            for (float s : std) {
                if (!(s > 0)) {
                    throw new NumberFormatException("a standard deviation must be positive");
                }
            }
            if (image == ImageFolder.SIZE && input == ImageFolder.SIZE && channels == 3) {
                float[] v = new float[3 * ImageFolder.SIZE * ImageFolder.SIZE];
                ImageFolder.writeImage(img, null, v, 0);
                return v;
            }
            byte[] raw = raw(img, image, channels);
            float[] v = new float[channels * input * input];
            new Preprocessing(mean, std, input, 0, false).apply(raw, 0, channels, image, image, null, v, 0);
            return v;
        } catch (NumberFormatException | NullPointerException e) {
            throw new InvalidDataException("bad preprocessing description '" + description + "' (" + e.getMessage() + ")");
        }
    }

    private static float[] floats(String csv) {
        String[] p = csv.split(",");
        float[] v = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            v[i] = Float.parseFloat(p[i]);
            if (!(v[i] > -10 && v[i] < 10) || Float.isNaN(v[i])) {
                throw new NumberFormatException("value out of range: " + p[i]);
            }
        }
        return v;
    }

    /** The picture resized to {@code size} x {@code size}, as bytes [channels, size, size]. */
    private static byte[] raw(BufferedImage img, int size, int channels) {
        BufferedImage scaled = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(img, 0, 0, size, size, null);
        g.dispose();
        byte[] raw = new byte[channels * size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int rgb = scaled.getRGB(x, y);
                int r = rgb >> 16 & 0xff, gr = rgb >> 8 & 0xff, b = rgb & 0xff;
                if (channels == 1) {
                    raw[y * size + x] = (byte) Math.round(0.299 * r + 0.587 * gr + 0.114 * b);
                } else {
                    raw[y * size + x] = (byte) r;
                    raw[size * size + y * size + x] = (byte) gr;
                    raw[2 * size * size + y * size + x] = (byte) b;
                }
            }
        }
        return raw;
    }

    /** A CIFAR-10 binary batch file ({@code data_batch_N.bin}, {@code test_batch.bin}): its labels are ignored. */
    private static List<Image> cifar(Path file, String dataset, int channels) {
        if (!dataset.equals("cifar10") || channels != 3) {
            throw new InvalidDataException(file + ": CIFAR-10 batch files fit cifar10 models; this model was trained on " + dataset);
        }
        ByteImages images = CifarFiles.load(file.toString(), List.of(file), Preprocessing.CIFAR10);
        int n = images.size(), size = images.imageSize();
        float[] all = new float[size];
        int[] label = new int[1];
        List<Image> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            images.batch(new int[]{i}, 0, 1, null, all, label);
            out.add(new Image(file.getFileName() + "#" + i, all.clone()));
        }
        return out;
    }

    private static List<Image> idx(Path file, String dataset, int channels) {
        Preprocessing prep = preprocessing(dataset);
        if (prep == null || channels != 1) {
            throw new InvalidDataException(file + ": IDX input fits grey 28x28 models (fashion-mnist, mnist); give PNG or JPEG images");
        }
        IdxFiles.Idx idx = IdxFiles.read(file);
        if (idx.dims().length != 3 || idx.dims()[1] > prep.outSize() || idx.dims()[2] > prep.outSize()) {
            throw new InvalidDataException(file + ": expected an IDX file of images [n, h, w] no larger than " + prep.outSize());
        }
        int n = idx.dims()[0], h = idx.dims()[1], w = idx.dims()[2];
        List<Image> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] v = new float[prep.outSize() * prep.outSize()];
            prep.apply(idx.data(), i * h * w, 1, h, w, null, v, 0);
            all.add(new Image(file.getFileName() + "#" + i, v));
        }
        return all;
    }

    private static Image picture(Path f, String dataset, int channels) {
        return picture(f.toString(), ImageFolder.decode(f), dataset, channels);
    }

    /**
     * One encoded picture (PNG, JPEG...) already in memory, converted like a file: for readers that get bytes
     * rather than paths (a distributed file system, a message). {@code name} names it in the result and in errors.
     */
    public static Image picture(String name, byte[] encoded, String dataset, int channels) {
        Datasets.requireKnown(dataset);
        return picture(name, ImageFolder.decode(name, encoded), dataset, channels);
    }

    private static Image picture(String name, BufferedImage img, String dataset, int channels) {
        return new Image(name, convert(img, describe(dataset), channels));
    }
}
