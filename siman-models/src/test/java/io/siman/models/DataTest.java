package io.siman.models;

import io.siman.api.InvalidDataException;
import io.siman.models.data.ByteImages;
import io.siman.models.data.CifarFiles;
import io.siman.models.data.Datasets;
import io.siman.models.data.IdxFiles;
import io.siman.models.data.ImageFolder;
import io.siman.models.data.Preprocessing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dataset readers on small real-format files written here, and the preprocessing. */
class DataTest {
    static byte[] idx(int unused, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(0x0800 | dims.length);
        for (int x : dims) {
            d.writeInt(x);
        }
        d.write(data);
        return b.toByteArray();
    }

    static void write(Path f, byte[] bytes, boolean gzip) throws IOException {
        try (OutputStream o = gzip ? new GZIPOutputStream(Files.newOutputStream(f)) : Files.newOutputStream(f)) {
            o.write(bytes);
        }
    }

    /** Writes a small Fashion-MNIST folder: n images of 28x28 whose pixel (r, c) is (i + r + c) % 256. */
    static Path fashionFolder(Path dir, int n, boolean gzip) throws IOException {
        for (String prefix : new String[]{"train", "t10k"}) {
            byte[] px = new byte[n * 28 * 28];
            byte[] labels = new byte[n];
            for (int i = 0; i < n; i++) {
                labels[i] = (byte) (i % 10);
                for (int p = 0; p < 784; p++) {
                    px[i * 784 + p] = (byte) (i + p / 28 + p % 28);
                }
            }
            String gz = gzip ? ".gz" : "";
            write(dir.resolve(prefix + "-images-idx3-ubyte" + gz), idx(0, new int[]{n, 28, 28}, px), gzip);
            write(dir.resolve(prefix + "-labels-idx1-ubyte" + gz), idx(0, new int[]{n}, labels), gzip);
        }
        return dir;
    }

    @Test
    void readsIdxFilesGzippedOrNot(@TempDir Path dir) throws IOException {
        for (boolean gzip : new boolean[]{true, false}) {
            Path d = Files.createDirectories(dir.resolve(gzip ? "gz" : "plain"));
            fashionFolder(d, 12, gzip);
            var train = Datasets.open("fashion-mnist", d, Datasets.Split.TRAIN);
            assertEquals(12, train.size());
            assertEquals(1, train.channels());
            assertEquals(32, train.height());
            assertEquals(3, train.label(3));
            float[] img = new float[train.imageSize()];
            int[] lab = new int[1];
            train.batch(new int[]{5}, 0, 1, null, img, lab);
            assertEquals(5, lab[0]);
            // padding: 2 pixels of zeros around the 28x28 image; pixel (0,0) of image 5 is 5/255
            assertEquals(0f, img[0]);
            assertEquals((5 / 255f - 0.2860f) / 0.3530f, img[2 * 32 + 2], 1e-6f);
            assertEquals(((5 + 27 + 27) / 255f - 0.2860f) / 0.3530f, img[29 * 32 + 29], 1e-6f);
        }
    }

    @Test
    void augmentationShiftsAndFlipsWithZerosAfterNormalization() {
        byte[] px = new byte[4];
        px[0] = (byte) 255;
        Preprocessing p = new Preprocessing(new float[]{0.5f}, new float[]{0.5f}, 4, 1, true);
        ByteImages one = new ByteImages("t", new byte[]{(byte) 255, 0, 0, 0}, new int[]{0}, 1, 2, 2, List.of("a"), p);
        int[] counts = new int[16];
        for (long seed = 0; seed < 400; seed++) {
            float[] img = new float[16];
            one.batch(new int[]{0}, 0, 1, new SplittableRandom(seed), img, new int[1]);
            int bright = -1, zeros = 0;
            for (int i = 0; i < 16; i++) {
                if (img[i] == 1f) {
                    bright = i;
                } else if (img[i] == 0f) {
                    zeros++;
                }
            }
            assertTrue(bright >= 0, "the white pixel survives a shift of at most 1");
            counts[bright]++;
            assertTrue(zeros >= 16 - 4, "padding is zero after normalization");
        }
        int positions = 0;
        for (int c : counts) {
            positions += c > 0 ? 1 : 0;
        }
        // shifts of -1..1 put it in columns 0..2 and rows 0..2; the flip mirrors columns to 3..1: 4 columns x 3 rows
        assertEquals(12, positions, "shifted and mirrored positions of the white pixel");
        float[] plain = new float[16];
        one.batch(new int[]{0}, 0, 1, null, plain, new int[1]);
        assertEquals(1f, plain[5], "no augmentation: centred at (1, 1)");
    }

    @Test
    void malformedIdxFilesFailWithOneLineNamingTheFile(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad");
        Files.write(bad, new byte[]{0, 0, 9, 3, 0, 0, 0, 1});
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> IdxFiles.read(bad));
        assertTrue(e.getMessage().startsWith(bad + ": not an IDX file"), e.getMessage());
        Path truncated = dir.resolve("truncated");
        Files.write(truncated, idx(0, new int[]{2, 28, 28}, new byte[100]));
        e = assertThrows(InvalidDataException.class, () -> IdxFiles.read(truncated));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        Path huge = dir.resolve("huge");
        Files.write(huge, idx(0, new int[]{100000, 100000, 28}, new byte[10]));
        e = assertThrows(InvalidDataException.class, () -> IdxFiles.read(huge));
        assertTrue(e.getMessage().contains("2^31"), "header sizes are checked before allocating: " + e.getMessage());
        Path gz = dir.resolve("corrupt.gz");
        Files.write(gz, new byte[]{0x1f, (byte) 0x8b, 8, 0, 1, 2, 3});
        e = assertThrows(InvalidDataException.class, () -> IdxFiles.read(gz));
        assertTrue(e.getMessage().startsWith(gz.toString()), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        e = assertThrows(InvalidDataException.class, () -> IdxFiles.read(dir.resolve("missing")));
        assertTrue(e.getMessage().endsWith("no such file"), e.getMessage());
    }

    @Test
    void labelsOutOfRangeAndMismatchedCountsAreRejected(@TempDir Path dir) throws IOException {
        Path img = dir.resolve("i"), lab = dir.resolve("l");
        Files.write(img, idx(0, new int[]{2, 28, 28}, new byte[2 * 784]));
        Files.write(lab, idx(0, new int[]{2}, new byte[]{1, 12}));
        InvalidDataException e = assertThrows(InvalidDataException.class,
                () -> IdxFiles.load("t", img, lab, Datasets.FASHION_CLASSES, Preprocessing.FASHION_MNIST));
        assertTrue(e.getMessage().contains("label 12 of image 1"), e.getMessage());
        Files.write(lab, idx(0, new int[]{3}, new byte[]{1, 2, 3}));
        e = assertThrows(InvalidDataException.class,
                () -> IdxFiles.load("t", img, lab, Datasets.FASHION_CLASSES, Preprocessing.FASHION_MNIST));
        assertTrue(e.getMessage().contains("has 2 images but"), e.getMessage());
    }

    @Test
    void readsCifarBinaryBatches(@TempDir Path dir) throws IOException {
        Path d = Files.createDirectories(dir.resolve("cifar-10-batches-bin"));
        for (String name : new String[]{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                "data_batch_5.bin", "test_batch.bin"}) {
            byte[] b = new byte[3 * CifarFiles.RECORD];
            for (int r = 0; r < 3; r++) {
                b[r * CifarFiles.RECORD] = (byte) (r + 7);
                b[r * CifarFiles.RECORD + 1] = (byte) 200; // red (0, 0)
                b[r * CifarFiles.RECORD + 1 + 1024] = (byte) 100; // green (0, 0)
            }
            Files.write(d.resolve(name), b);
        }
        var train = Datasets.open("cifar10", dir, Datasets.Split.TRAIN);
        assertEquals(15, train.size());
        assertEquals(3, train.channels());
        assertEquals(9, train.label(2));
        float[] img = new float[train.imageSize()];
        train.batch(new int[]{0}, 0, 1, null, img, new int[1]);
        assertEquals((200 / 255f - 0.4914f) / 0.2023f, img[0], 1e-5f);
        assertEquals((100 / 255f - 0.4822f) / 0.1994f, img[1024], 1e-5f);
        assertEquals(3, Datasets.open("cifar10", dir, Datasets.Split.TEST).size());
        Files.write(d.resolve("test_batch.bin"), new byte[CifarFiles.RECORD + 5]);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Datasets.open("cifar10", dir, Datasets.Split.TEST));
        assertTrue(e.getMessage().contains("not a whole number of CIFAR-10 records"), e.getMessage());
        byte[] badLabel = new byte[CifarFiles.RECORD];
        badLabel[0] = 10;
        Files.write(d.resolve("test_batch.bin"), badLabel);
        e = assertThrows(InvalidDataException.class, () -> Datasets.open("cifar10", dir, Datasets.Split.TEST));
        assertTrue(e.getMessage().contains("label 10 of record 0"), e.getMessage());
    }

    @Test
    void predictionInputsReadCifarBatchFilesAndPicturesInMemory(@TempDir Path dir) throws IOException {
        byte[] b = new byte[2 * CifarFiles.RECORD];
        b[1] = (byte) 200;                       // record 0, red (0, 0)
        b[CifarFiles.RECORD + 1 + 2048] = (byte) 50; // record 1, blue (0, 0)
        Path bin = dir.resolve("test_batch.bin");
        Files.write(bin, b);
        List<io.siman.models.data.Inputs.Image> images = io.siman.models.data.Inputs.load(bin, "cifar10", 3);
        assertEquals(2, images.size());
        assertEquals("test_batch.bin#1", images.get(1).name());
        assertEquals((200 / 255f - 0.4914f) / 0.2023f, images.get(0).values()[0], 1e-5f);
        assertEquals((50 / 255f - 0.4465f) / 0.2010f, images.get(1).values()[2048], 1e-5f);
        InvalidDataException wrong = assertThrows(InvalidDataException.class, () -> io.siman.models.data.Inputs.load(bin, "fashion-mnist", 1));
        assertTrue(wrong.getMessage().contains("CIFAR-10 batch files fit cifar10 models"), wrong.getMessage());

        // the same picture from a file and from its bytes: identical values
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(3, 4, 0, 180);
        Path png = dir.resolve("p.png");
        ImageIO.write(img, "png", png.toFile());
        float[] fromFile = io.siman.models.data.Inputs.load(png, "fashion-mnist", 1).get(0).values();
        float[] fromBytes = io.siman.models.data.Inputs.picture("p", Files.readAllBytes(png), "fashion-mnist", 1).values();
        assertArrayEquals(fromFile, fromBytes);
        InvalidDataException notAPicture = assertThrows(InvalidDataException.class,
                () -> io.siman.models.data.Inputs.picture("junk", new byte[]{1, 2, 3}, "fashion-mnist", 1));
        assertEquals("junk: not a readable image", notAPicture.getMessage());
    }

    @Test
    void readsAnImageNetFolderWithItsCrops(@TempDir Path dir) throws IOException {
        for (String split : new String[]{"train", "val"}) {
            for (String cls : new String[]{"n01", "n02"}) {
                Path d = Files.createDirectories(dir.resolve(split).resolve(cls));
                BufferedImage img = new BufferedImage(300, 260, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 260; y++) {
                    for (int x = 0; x < 300; x++) {
                        img.setRGB(x, y, cls.equals("n01") ? 0xff0000 : 0x0000ff);
                    }
                }
                ImageIO.write(img, "png", d.resolve("a.png").toFile());
            }
        }
        Files.writeString(dir.resolve("train/n01/notes.txt"), "not an image");
        ImageFolder train = (ImageFolder) Datasets.open("imagenet", dir, Datasets.Split.TRAIN);
        assertEquals(2, train.size());
        assertEquals(List.of("n01", "n02"), train.classNames());
        float[] out = new float[train.imageSize()];
        int[] labels = new int[2];
        float[] two = new float[2 * train.imageSize()];
        train.batch(new int[]{0, 1}, 0, 2, new SplittableRandom(1), two, labels);
        assertArrayEquals(new int[]{0, 1}, labels);
        assertEquals((1 - 0.485f) / 0.229f, two[0], 1e-4f, "red channel of a red image");
        Datasets.open("imagenet", dir, Datasets.Split.TEST).batch(new int[]{1}, 0, 1, null, out, new int[1]);
        assertEquals((1 - 0.406f) / 0.225f, out[2 * 224 * 224 + 5], 1e-4f, "blue channel of a blue image");
        Files.writeString(dir.resolve("val/n02/b.png"), "garbage");
        ImageFolder val = (ImageFolder) Datasets.open("imagenet", dir, Datasets.Split.TEST);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> val.batch(new int[]{2}, 0, 1, null, out, new int[1]));
        assertTrue(e.getMessage().contains("b.png"), e.getMessage());
    }

    @Test
    void unknownOrMissingDatasetsAreClearErrors(@TempDir Path dir) {
        assertEquals("unknown dataset 'svhn'; known: fashion-mnist, mnist, cifar10, imagenet",
                assertThrows(io.siman.api.UnknownNameException.class, () -> Datasets.open("svhn", dir, Datasets.Split.TRAIN)).getMessage());
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Datasets.open("fashion-mnist", dir, Datasets.Split.TRAIN));
        assertTrue(e.getMessage().startsWith("fashion-mnist: " + dir + " has no train-images-idx3-ubyte"), e.getMessage());
        e = assertThrows(InvalidDataException.class, () -> Datasets.open("cifar10", null, Datasets.Split.TRAIN));
        assertEquals("cifar10 has no default location: pass --data-dir", e.getMessage());
    }

    /** The preprocessing a model file stores is the dataset's, spelled out, and converts a picture as the dataset's test images are. */
    @Test
    void aStoredPreprocessingConvertsPicturesAsTheDatasetDoes() {
        assertEquals("mean=0.286;std=0.353;image=28;input=32", io.siman.models.data.Inputs.describe("fashion-mnist"));
        assertEquals("mean=0.4914,0.4822,0.4465;std=0.2023,0.1994,0.201;image=32;input=32", io.siman.models.data.Inputs.describe("cifar10"));
        BufferedImage grey = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        byte[] raw = new byte[28 * 28];
        SplittableRandom rnd = new SplittableRandom(4);
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) rnd.nextInt(256);
            grey.getRaster().setSample(i % 28, i / 28, 0, raw[i] & 0xff);
        }
        float[] expected = new float[32 * 32];
        Preprocessing.FASHION_MNIST.apply(raw, 0, 1, 28, 28, null, expected, 0);
        assertArrayEquals(expected, io.siman.models.data.Inputs.convert(grey, io.siman.models.data.Inputs.describe("fashion-mnist"), 1));
        InvalidDataException e = assertThrows(InvalidDataException.class,
                () -> io.siman.models.data.Inputs.convert(grey, "mean=0.5;std=NaN;image=28;input=32", 1));
        assertTrue(e.getMessage().startsWith("bad preprocessing description 'mean=0.5;std=NaN;image=28;input=32'"), e.getMessage());
        assertThrows(InvalidDataException.class, () -> io.siman.models.data.Inputs.convert(grey, "mean=0.5;std=0.5;image=28;input=99999", 1));
        assertThrows(InvalidDataException.class, () -> io.siman.models.data.Inputs.convert(grey, "garbage", 1));
    }
}
