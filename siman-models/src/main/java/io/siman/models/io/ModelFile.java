package io.siman.models.io;

import io.siman.api.InvalidDataException;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A deployable model (documented byte by byte in {@code docs/model-format.md}): a {@link SectionFile} with
 * magic {@code SIMANMDL} holding a header ({@code HEAD}: architecture, binarizer, encoding, input shape and
 * normalization, class names, the checksum of the source checkpoint), the full-precision tensors and the
 * folded affines ({@code FLT }), and the binarized weights as bits ({@code BITS}: per output channel, the
 * {@code Ci*kh*kw} bits in PyTorch's weight order, padded to whole 64-bit words).
 */
public final class ModelFile {
    public static final String MAGIC = "SIMANMDL";
    public static final int VERSION = 1;
    private static final String KIND = "model file";

    private final Map<String, String> header;
    private final Map<String, TensorTable.Entry> floats;
    private final Map<String, TensorTable.Entry> bits;
    private final String sha256;

    public ModelFile(Map<String, String> header, Map<String, TensorTable.Entry> floats, Map<String, TensorTable.Entry> bits) {
        this(header, floats, bits, null);
    }

    private ModelFile(Map<String, String> header, Map<String, TensorTable.Entry> floats, Map<String, TensorTable.Entry> bits, String sha256) {
        this.header = Map.copyOf(header);
        this.floats = new LinkedHashMap<>(floats);
        this.bits = new LinkedHashMap<>(bits);
        this.sha256 = sha256;
    }

    public Map<String, String> header() {
        return header;
    }

    public Map<String, TensorTable.Entry> floats() {
        return floats;
    }

    public Map<String, TensorTable.Entry> bits() {
        return bits;
    }

    public String sha256() {
        return sha256;
    }

    public void write(Path file) {
        Map<String, byte[]> sections = new LinkedHashMap<>();
        sections.put("HEAD", SectionFile.text(header));
        sections.put("FLT ", TensorTable.encode(floats, false));
        sections.put("BITS", TensorTable.encode(bits, true));
        SectionFile.write(file, MAGIC, VERSION, sections);
    }

    public static ModelFile read(Path file) {
        SectionFile.Content c = SectionFile.read(file, MAGIC, VERSION, KIND, "HEAD", "FLT ", "BITS");
        Map<String, String> header = SectionFile.parseText(file, KIND, c.sections().get("HEAD"));
        if (!"siman-model".equals(header.get("format"))) {
            throw new InvalidDataException(file + ": corrupt model file (header does not name the format)");
        }
        return new ModelFile(header, TensorTable.decode(file, KIND, c.sections().get("FLT "), false),
                TensorTable.decode(file, KIND, c.sections().get("BITS"), true), c.sha256());
    }

    /** Packs {@code effective > 0} per output channel (rows of {@code n} values) into whole 64-bit words. */
    public static long[] packRows(float[] effective, int rows, int n) {
        int words = (n + 63) >>> 6;
        long[] packed = new long[rows * words];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                if (effective[r * n + j] > 0f) {
                    packed[r * words + (j >>> 6)] |= 1L << (j & 63);
                }
            }
        }
        return packed;
    }

    /**
     * The bits of packed rows ({@code [Co][Ci * kh * kw]}, as {@link #packRows} writes a convolution's weights) in the
     * kernel contract's layout {@code [Co, kh, kw, words(Ci)]} (what {@code BitwiseKernels.packWeights} writes): a
     * loaded model's bits go to the backend as they are, with no float weights in between.
     */
    public static long[] kernelLayout(long[] packed, int co, int ci, int kh, int kw) {
        int taps = kh * kw, n = ci * taps, rowWords = (n + 63) >>> 6, words = (ci + 63) >>> 6;
        if (packed.length != (long) co * rowWords) {
            throw new InvalidDataException("packed bits: " + packed.length + " words for " + co + " rows of " + n + " bits");
        }
        long[] out = new long[co * taps * words];
        for (int o = 0; o < co; o++) {
            for (int c = 0; c < ci; c++) {
                for (int t = 0; t < taps; t++) {
                    int j = c * taps + t;
                    long bit = packed[o * rowWords + (j >>> 6)] >>> (j & 63) & 1L;
                    out[(o * taps + t) * words + (c >>> 6)] |= bit << (c & 63);
                }
            }
        }
        return out;
    }

    /**
     * The weights {@code [Co, Ci, kh, kw]} that bits in the kernel layout stand for: 1 for a set bit, {@code zero} (-1 or
     * 0) for a clear one (the inverse of {@link #kernelLayout} followed by {@link #unpackRows}).
     */
    public static float[] kernelLayoutValues(long[] bits, int co, int ci, int kh, int kw, float zero) {
        int taps = kh * kw, words = (ci + 63) >>> 6;
        float[] w = new float[co * ci * taps];
        for (int o = 0; o < co; o++) {
            for (int c = 0; c < ci; c++) {
                for (int t = 0; t < taps; t++) {
                    boolean one = (bits[(o * taps + t) * words + (c >>> 6)] >>> (c & 63) & 1L) != 0;
                    w[(o * ci + c) * taps + t] = one ? 1f : zero;
                }
            }
        }
        return w;
    }

    /** The effective values of packed rows: 1 for a set bit, {@code zero} (-1 or 0) for a clear one. */
    public static float[] unpackRows(long[] packed, int rows, int n, float zero) {
        int words = (n + 63) >>> 6;
        if (packed.length != (long) rows * words) {
            throw new InvalidDataException("packed bits: " + packed.length + " words for " + rows + " rows of " + n + " bits");
        }
        float[] e = new float[rows * n];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                e[r * n + j] = (packed[r * words + (j >>> 6)] >>> (j & 63) & 1L) != 0 ? 1f : zero;
            }
        }
        return e;
    }
}
