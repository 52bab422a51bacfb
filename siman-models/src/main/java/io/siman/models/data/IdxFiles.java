package io.siman.models.data;

import io.siman.api.InvalidDataException;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reader of IDX files (MNIST, Fashion-MNIST), gzipped or not: big-endian magic {@code 0x0000 08 NN}
 * (unsigned bytes, NN dimensions), NN sizes, then the data. Sizes are checked before anything is allocated.
 */
public final class IdxFiles {

    /** The parsed content: dimensions and unsigned bytes. */
    public record Idx(int[] dims, byte[] data) {
    }

    /** The most a gzipped IDX file may expand: MNIST-like data compresses 2 to 10 times; 1000 leaves room and stops bombs. */
    private static final long MAX_EXPANSION = 1000;

    private IdxFiles() {
    }

    public static Idx read(Path file) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            InputStream in = b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
            DataInputStream d = new DataInputStream(in);
            int magic = d.readInt();
            if ((magic >>> 16) != 0 || ((magic >>> 8) & 0xff) != 0x08) {
                throw new InvalidDataException(file + ": not an IDX file of unsigned bytes (magic number 0x"
                        + Integer.toHexString(magic) + ")");
            }
            int rank = magic & 0xff;
            if (rank < 1 || rank > 4) {
                throw new InvalidDataException(file + ": IDX file with " + rank + " dimensions (expected 1 to 4)");
            }
            int[] dims = new int[rank];
            long total = 1;
            for (int i = 0; i < rank; i++) {
                dims[i] = d.readInt();
                if (dims[i] <= 0) {
                    throw new InvalidDataException(file + ": dimension " + i + " is " + dims[i]);
                }
                total *= dims[i];
                if (total > Integer.MAX_VALUE - 8) {
                    throw new InvalidDataException(file + ": IDX header announces more than 2^31 values");
                }
            }
            long actual = Files.size(file);
            if (b0 != 0x1f) {
                long expected = 4 + 4L * rank + total;
                if (actual < expected) {
                    throw new InvalidDataException(file + ": truncated: header announces " + expected + " bytes, file has " + actual);
                }
            } else if (total > MAX_EXPANSION * actual + (1 << 20)) {
                // a compressed header may promise anything: refuse before allocating what the file cannot hold
                throw new InvalidDataException(file + ": header announces " + total + " values, more than a gzip file of "
                        + actual + " bytes can plausibly hold");
            }
            // read as the data arrives, so a header that promises more than the stream holds allocates no more than it
            byte[] data = d.readNBytes((int) total);
            if (data.length != total) {
                throw new InvalidDataException(file + ": truncated (ends before the data the header announces)");
            }
            if (d.read() != -1) {
                throw new InvalidDataException(file + ": trailing bytes after the " + total + " values the header announces");
            }
            return new Idx(dims, data);
        } catch (NoSuchFileException e) {
            throw new InvalidDataException(file + ": no such file");
        } catch (EOFException e) {
            throw new InvalidDataException(file + ": truncated (ends before the data the header announces)");
        } catch (java.util.zip.ZipException e) {
            throw new InvalidDataException(file + ": corrupt gzip data (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new InvalidDataException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** Reads an images file {@code [n, h, w]} and its labels file {@code [n]} into a dataset. */
    public static ByteImages load(String name, Path images, Path labels, java.util.List<String> classNames, Preprocessing prep) {
        Idx img = read(images);
        Idx lab = read(labels);
        if (img.dims().length != 3) {
            throw new InvalidDataException(images + ": images must have 3 dimensions [n, h, w], found " + img.dims().length);
        }
        if (lab.dims().length != 1) {
            throw new InvalidDataException(labels + ": labels must have 1 dimension, found " + lab.dims().length);
        }
        if (img.dims()[0] != lab.dims()[0]) {
            throw new InvalidDataException(images + " has " + img.dims()[0] + " images but " + labels + " has " + lab.dims()[0] + " labels");
        }
        if (img.dims()[1] > prep.outSize() || img.dims()[2] > prep.outSize()) {
            throw new InvalidDataException(images + ": images of " + img.dims()[1] + "x" + img.dims()[2] + " are larger than " + prep.outSize());
        }
        int[] l = new int[lab.dims()[0]];
        for (int i = 0; i < l.length; i++) {
            l[i] = lab.data()[i] & 0xff;
        }
        ByteImages.checkLabels(labels.toString(), l, classNames.size());
        return new ByteImages(name, img.data(), l, 1, img.dims()[1], img.dims()[2], classNames, prep);
    }
}
