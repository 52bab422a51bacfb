package io.siman.models.data;

import io.siman.api.InvalidDataException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reader of the CIFAR-10 binary version: records of 1 label byte and 3072 pixel bytes (1024 red, 1024
 * green, 1024 blue, row-major 32x32), in {@code data_batch_1.bin .. data_batch_5.bin} and {@code test_batch.bin}.
 */
public final class CifarFiles {
    public static final int RECORD = 1 + 3 * 32 * 32;
    public static final List<String> CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
            "horse", "ship", "truck");

    private CifarFiles() {
    }

    /** Reads and concatenates the given batch files. */
    public static ByteImages load(String name, List<Path> files, Preprocessing prep) {
        long total = 0;
        for (Path f : files) {
            long size;
            try {
                size = Files.size(f);
            } catch (NoSuchFileException e) {
                throw new InvalidDataException(f + ": no such file");
            } catch (IOException e) {
                throw new InvalidDataException(f + ": cannot read (" + e.getMessage() + ")", e);
            }
            if (size == 0 || size % RECORD != 0) {
                throw new InvalidDataException(f + ": " + size + " bytes is not a whole number of CIFAR-10 records of " + RECORD + " bytes");
            }
            total += size / RECORD;
        }
        if (total * 3072 > Integer.MAX_VALUE - 8) {
            throw new InvalidDataException(name + ": too many CIFAR records (" + total + ")");
        }
        byte[] pixels = new byte[(int) total * 3072];
        int[] labels = new int[(int) total];
        int at = 0;
        for (Path f : files) {
            byte[] all;
            try {
                all = Files.readAllBytes(f);
            } catch (IOException e) {
                throw new InvalidDataException(f + ": cannot read (" + e.getMessage() + ")", e);
            }
            for (int r = 0; r < all.length / RECORD; r++, at++) {
                int label = all[r * RECORD] & 0xff;
                if (label > 9) {
                    throw new InvalidDataException(f + ": label " + label + " of record " + r + " is outside 0..9");
                }
                labels[at] = label;
                System.arraycopy(all, r * RECORD + 1, pixels, at * 3072, 3072);
            }
        }
        return new ByteImages(name, pixels, labels, 3, 32, 32, CLASSES, prep);
    }
}
