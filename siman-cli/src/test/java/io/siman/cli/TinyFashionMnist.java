package io.siman.cli;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A tiny Fashion-MNIST in the real IDX format (96 training and 40 test images), learnable but not trivially. */
final class TinyFashionMnist {
    private TinyFashionMnist() {
    }

    /** Writes the four IDX files into {@code dir/data}; returns that folder. */
    static Path write(Path dir) throws IOException {
        return write(dir, 96, 40);
    }

    /** The same with {@code train} and {@code test} images. */
    static Path write(Path dir, int train, int test) throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        for (String prefix : new String[]{"train", "t10k"}) {
            int n = prefix.equals("train") ? train : test;
            byte[] px = new byte[n * 784];
            byte[] labels = new byte[n];
            for (int i = 0; i < n; i++) {
                labels[i] = (byte) (i % 10);
                for (int p = 0; p < 784; p++) {
                    // class-dependent stripes plus noise: learnable, not trivial
                    px[i * 784 + p] = (byte) (((p % 28) / 3 == labels[i] ? 200 : 20) + r.nextInt(40));
                }
            }
            Files.write(data.resolve(prefix + "-images-idx3-ubyte"), idx(new int[]{n, 28, 28}, px));
            Files.write(data.resolve(prefix + "-labels-idx1-ubyte"), idx(new int[]{n}, labels));
        }
        return data;
    }

    static byte[] idx(int[] dims, byte[] body) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(0x0800 | dims.length);
        for (int x : dims) {
            d.writeInt(x);
        }
        d.write(body);
        return b.toByteArray();
    }
}
