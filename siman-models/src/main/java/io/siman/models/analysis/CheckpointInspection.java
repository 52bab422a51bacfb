package io.siman.models.analysis;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.InferenceForm;
import io.siman.api.Parameter;
import io.siman.api.SimanException;
import io.siman.models.io.Checkpoint;
import io.siman.models.layers.BinaryConv2d;
import io.siman.models.nets.Network;
import io.siman.models.train.Models;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a checkpoint's binarized layers look like: per layer the statistics of its latent weights and bits
 * ({@link WeightStatistics}) and, against a second checkpoint of the same network, how many bits changed; and
 * a hash of all its parameters and buffers, so two runs can be compared from outside.
 */
public final class CheckpointInspection {
    /** One binarized layer. {@code bitsFlipped} is -1 without a second checkpoint. */
    public record Layer(String name, int outChannels, int fanIn, WeightStatistics statistics, long bitsFlipped) {
    }

    private CheckpointInspection() {
    }

    /** Histogram bins of the reports. */
    public static final int BINS = 80;

    public static List<Layer> inspect(Backend backend, BinarizerRegistry binarizers, Checkpoint ckpt, Path source,
                                      Checkpoint other, Path otherSource) {
        List<Layer> layers = new ArrayList<>();
        try (Network net = Models.fromCheckpoint(backend, binarizers, ckpt, source);
             Network cmp = other == null ? null : Models.fromCheckpoint(backend, binarizers, other, otherSource)) {
            List<BinaryConv2d> convs = net.binaryConvolutions();
            List<BinaryConv2d> cmpConvs = cmp == null ? null : cmp.binaryConvolutions();
            if (cmpConvs != null && (!cmp.spec().architecture().equals(net.spec().architecture()) || cmpConvs.size() != convs.size())) {
                throw new SimanException(otherSource + " holds a " + cmp.spec().architecture() + ", " + source + " a "
                        + net.spec().architecture() + ": their bits cannot be compared");
            }
            for (int i = 0; i < convs.size(); i++) {
                BinaryConv2d c = convs.get(i);
                Parameter w = weight(c);
                int rows = w.value().shape().dim(0), n = w.value().shape().rowLength();
                boolean[] bits = bits(backend, c.inferenceForm());
                WeightStatistics stats = WeightStatistics.of(backend.downloadFloats(w.value()), rows, bits, BINS);
                long flipped = -1;
                if (cmpConvs != null) {
                    boolean[] theirs = bits(backend, cmpConvs.get(i).inferenceForm());
                    if (bits == null || theirs == null || theirs.length != bits.length) {
                        throw new SimanException(c.name() + ": the two checkpoints' bits have different sizes or none");
                    }
                    flipped = 0;
                    for (int j = 0; j < bits.length; j++) {
                        flipped += bits[j] != theirs[j] ? 1 : 0;
                    }
                }
                layers.add(new Layer(c.name(), rows, n, stats, flipped));
            }
        }
        return layers;
    }

    private static Parameter weight(BinaryConv2d c) {
        for (Parameter p : c.parameters()) {
            if (p.name().equals(c.name() + ".weight")) {
                return p;
            }
        }
        throw new IllegalStateException(c.name() + " has no weight");
    }

    private static boolean[] bits(Backend backend, InferenceForm form) {
        if (form == null) {
            return null; // full precision: no bits
        }
        float[] e = backend.downloadFloats(form.effective());
        boolean[] b = new boolean[e.length];
        for (int i = 0; i < e.length; i++) {
            b[i] = e[i] > 0f;
        }
        return b;
    }

    /**
     * SHA-256 over every parameter and buffer of a checkpoint (not the optimizer state), in name order: for each,
     * its name in UTF-8 and a zero byte, its rank and dimensions as 32-bit little-endian integers, and its values
     * as little-endian float32. Equal weights give equal hashes, whatever the file's other contents.
     */
    public static String weightsSha256(Checkpoint ckpt) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Map<String, Checkpoint.StoredTensor> sorted = new TreeMap<>(ckpt.tensors());
        for (Map.Entry<String, Checkpoint.StoredTensor> e : sorted.entrySet()) {
            if (e.getKey().startsWith("velocity:")) {
                continue;
            }
            md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            int[] dims = e.getValue().dims();
            ByteBuffer head = ByteBuffer.allocate(4 + 4 * dims.length).order(ByteOrder.LITTLE_ENDIAN);
            head.putInt(dims.length);
            for (int d : dims) {
                head.putInt(d);
            }
            md.update(head.array());
            float[] v = e.getValue().values();
            ByteBuffer body = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            body.asFloatBuffer().put(v);
            md.update(body.array());
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
