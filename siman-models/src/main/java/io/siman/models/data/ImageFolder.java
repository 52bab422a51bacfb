package io.siman.models.data;

import io.siman.api.InvalidDataException;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The ImageNet folder layout ({@code ROOT/train/CLASS/*.JPEG}, {@code ROOT/val/CLASS/*.JPEG}), decoded
 * with ImageIO when a batch asks for it. Training: random-resized-crop to 224 (area 8%..100%, aspect
 * 3/4..4/3) and horizontal flip; evaluation: resize the shorter side to 256 and centre-crop 224.
 * Normalized with the ImageNet mean and standard deviation.
 */
public final class ImageFolder implements Dataset {
    public static final int SIZE = 224;
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    private final String name;
    private final List<String> classes;
    private final List<Path> files;
    private final int[] labels;

    private ImageFolder(String name, List<String> classes, List<Path> files, int[] labels) {
        this.name = name;
        this.classes = classes;
        this.files = files;
        this.labels = labels;
    }

    /** The classes are the sub-folders of {@code classRoot} (sorted); images are read from {@code split}. */
    public static ImageFolder open(String name, Path classRoot, Path split) {
        List<String> classes = subfolders(classRoot);
        if (classes.isEmpty()) {
            throw new InvalidDataException(classRoot + ": no class folders");
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            Path dir = split.resolve(classes.get(c));
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(dir)) {
                for (Path f : s.filter(ImageFolder::isImage).sorted().toList()) {
                    files.add(f);
                    labels.add(c);
                }
            } catch (IOException e) {
                throw new InvalidDataException(dir + ": cannot list (" + e.getMessage() + ")", e);
            }
        }
        if (files.isEmpty()) {
            throw new InvalidDataException(split + ": no images (expected " + split + "/CLASS/*.JPEG)");
        }
        return new ImageFolder(name, List.copyOf(classes), List.copyOf(files), labels.stream().mapToInt(Integer::intValue).toArray());
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".jpeg") || n.endsWith(".jpg") || n.endsWith(".png");
    }

    private static List<String> subfolders(Path root) {
        if (!Files.isDirectory(root)) {
            throw new InvalidDataException(root + ": no such folder");
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new InvalidDataException(root + ": cannot list (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public int channels() {
        return 3;
    }

    @Override
    public int height() {
        return SIZE;
    }

    @Override
    public int width() {
        return SIZE;
    }

    @Override
    public int classes() {
        return classes.size();
    }

    @Override
    public List<String> classNames() {
        return classes;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public void batch(int[] indices, int from, int to, SplittableRandom random, float[] images, int[] out) {
        for (int i = from; i < to; i++) {
            int idx = indices[i];
            BufferedImage img = decode(files.get(idx));
            writeImage(img, random, images, (i - from) * imageSize());
            out[i - from] = labels[idx];
        }
    }

    /** Decodes an encoded image (PNG, JPEG...) held in memory; {@code name} is for messages. */
    static BufferedImage decode(String name, byte[] encoded) {
        try {
            BufferedImage img = ImageIO.read(new java.io.ByteArrayInputStream(encoded));
            if (img == null) {
                throw new InvalidDataException(name + ": not a readable image");
            }
            return img;
        } catch (IOException e) {
            throw new InvalidDataException(name + ": cannot decode (" + e.getMessage() + ")", e);
        }
    }

    static BufferedImage decode(Path f) {
        try {
            BufferedImage img = ImageIO.read(f.toFile());
            if (img == null) {
                throw new InvalidDataException(f + ": not a readable image");
            }
            return img;
        } catch (IOException e) {
            throw new InvalidDataException(f + ": cannot decode (" + e.getMessage() + ")", e);
        }
    }

    /** Crops (training: random-resized; evaluation: resize 256, centre 224), resamples bilinearly, normalizes. */
    static void writeImage(BufferedImage img, SplittableRandom random, float[] dst, int off) {
        int w = img.getWidth(), h = img.getHeight();
        double cx, cy, cw, ch;
        boolean mirror = false;
        if (random != null) {
            double area = (double) w * h;
            double[] crop = null;
            for (int attempt = 0; attempt < 10 && crop == null; attempt++) {
                double target = area * (0.08 + random.nextDouble() * 0.92);
                double logRatio = Math.log(3.0 / 4) + random.nextDouble() * (Math.log(4.0 / 3) - Math.log(3.0 / 4));
                double ratio = Math.exp(logRatio);
                double tw = Math.sqrt(target * ratio), th = Math.sqrt(target / ratio);
                if (tw <= w && th <= h) {
                    crop = new double[]{random.nextDouble() * (w - tw), random.nextDouble() * (h - th), tw, th};
                }
            }
            if (crop == null) {
                double side = Math.min(w, h);
                crop = new double[]{(w - side) / 2, (h - side) / 2, side, side};
            }
            cx = crop[0];
            cy = crop[1];
            cw = crop[2];
            ch = crop[3];
            mirror = random.nextBoolean();
        } else {
            double scale = 256.0 / Math.min(w, h);
            cw = SIZE / scale;
            ch = SIZE / scale;
            cx = (w - cw) / 2;
            cy = (h - ch) / 2;
        }
        int[] rgb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int oy = 0; oy < SIZE; oy++) {
            double sy = Math.min(h - 1, Math.max(0, cy + (oy + 0.5) * ch / SIZE - 0.5));
            int y0 = (int) sy, y1 = Math.min(h - 1, y0 + 1);
            double fy = sy - y0;
            for (int ox = 0; ox < SIZE; ox++) {
                int tx = mirror ? SIZE - 1 - ox : ox;
                double sx = Math.min(w - 1, Math.max(0, cx + (tx + 0.5) * cw / SIZE - 0.5));
                int x0 = (int) sx, x1 = Math.min(w - 1, x0 + 1);
                double fx = sx - x0;
                for (int c = 0; c < 3; c++) {
                    int shift = 16 - 8 * c;
                    double v00 = rgb[y0 * w + x0] >> shift & 0xff, v01 = rgb[y0 * w + x1] >> shift & 0xff;
                    double v10 = rgb[y1 * w + x0] >> shift & 0xff, v11 = rgb[y1 * w + x1] >> shift & 0xff;
                    double v = (v00 * (1 - fx) + v01 * fx) * (1 - fy) + (v10 * (1 - fx) + v11 * fx) * fy;
                    dst[off + (c * SIZE + oy) * SIZE + ox] = (float) ((v / 255 - MEAN[c]) / STD[c]);
                }
            }
        }
    }
}
