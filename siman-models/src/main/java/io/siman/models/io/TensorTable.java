package io.siman.models.io;

import io.siman.api.InvalidDataException;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named tensors in a section: a count, then per tensor a 2-byte name length, the UTF-8 name, a 1-byte rank,
 * the dimensions (4 bytes each), and the values (float32 or int64, big-endian). Sizes are checked against
 * the section before anything is allocated.
 */
public final class TensorTable {
    private static final int MAX_RANK = 8;

    /** A stored tensor: its dimensions and values (one of the two arrays is set). */
    public record Entry(int[] dims, float[] floats, long[] longs) {
        public static Entry of(int[] dims, float[] values) {
            return new Entry(dims, values, null);
        }

        public static Entry ofLongs(int[] dims, long[] values) {
            return new Entry(dims, null, values);
        }
    }

    private TensorTable() {
    }

    public static byte[] encode(Map<String, Entry> tensors, boolean longs) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(bytes);
            d.writeInt(tensors.size());
            for (Map.Entry<String, Entry> e : tensors.entrySet()) {
                byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
                d.writeShort(name.length);
                d.write(name);
                int[] dims = e.getValue().dims();
                d.writeByte(dims.length);
                for (int dim : dims) {
                    d.writeInt(dim);
                }
                if (longs) {
                    ByteBuffer buf = ByteBuffer.allocate(e.getValue().longs().length * 8);
                    buf.asLongBuffer().put(e.getValue().longs());
                    d.write(buf.array());
                } else {
                    ByteBuffer buf = ByteBuffer.allocate(e.getValue().floats().length * 4);
                    buf.asFloatBuffer().put(e.getValue().floats());
                    d.write(buf.array());
                }
            }
            d.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Map<String, Entry> decode(Path file, String kind, byte[] payload, boolean longs) {
        ByteBuffer in = ByteBuffer.wrap(payload);
        int width = longs ? 8 : 4;
        try {
            int count = in.getInt();
            if (count < 0 || count > payload.length) {
                throw new InvalidDataException(file + ": corrupt " + kind + " (tensor count " + count + ")");
            }
            Map<String, Entry> m = new LinkedHashMap<>();
            for (int t = 0; t < count; t++) {
                int nameLength = in.getShort() & 0xffff;
                if (nameLength > in.remaining()) {
                    throw new InvalidDataException(file + ": corrupt " + kind + " (tensor name)");
                }
                byte[] name = new byte[nameLength];
                in.get(name);
                int rank = in.get() & 0xff;
                if (rank > MAX_RANK) {
                    throw new InvalidDataException(file + ": corrupt " + kind + " (tensor rank " + rank + ")");
                }
                int[] dims = new int[rank];
                long size = 1;
                for (int i = 0; i < rank; i++) {
                    dims[i] = in.getInt();
                    if (dims[i] < 0) {
                        throw new InvalidDataException(file + ": corrupt " + kind + " (negative dimension)");
                    }
                    size *= dims[i];
                    if (size * width > in.remaining()) {
                        throw new InvalidDataException(file + ": corrupt " + kind + " (tensor larger than the file)");
                    }
                }
                Entry e;
                if (longs) {
                    long[] v = new long[(int) size];
                    in.asLongBuffer().get(v);
                    e = Entry.ofLongs(dims, v);
                } else {
                    float[] v = new float[(int) size];
                    in.asFloatBuffer().get(v);
                    e = Entry.of(dims, v);
                }
                in.position(in.position() + (int) size * width);
                if (m.put(new String(name, StandardCharsets.UTF_8), e) != null) {
                    throw new InvalidDataException(file + ": corrupt " + kind + " (tensor " + new String(name, StandardCharsets.UTF_8) + " twice)");
                }
            }
            if (in.hasRemaining()) {
                throw new InvalidDataException(file + ": corrupt " + kind + " (bytes after the tensors)");
            }
            return m;
        } catch (BufferUnderflowException e) {
            throw new InvalidDataException(file + ": corrupt " + kind + " (tensor table ends early)");
        }
    }
}
