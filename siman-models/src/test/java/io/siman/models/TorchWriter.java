package io.siman.models;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes state dicts as {@code torch.save} does (a zip of {@code data.pkl}, pickle protocol 2, and one stored entry
 * of little-endian float32 per tensor), so tests can make checkpoints of any network without Python. The reader is
 * also checked on files PyTorch itself wrote (test resources {@code pytorch/}).
 */
final class TorchWriter {
    /** A float32 tensor, row-major. */
    record T(int[] dims, float[] values) {
    }

    private TorchWriter() {
    }

    /** Writes {@code stateDict}, alone or (with {@code wrapper} non-null) as {@code wrapper[key] = stateDict}. */
    static void write(Path file, Map<String, T> stateDict, String wrapperKey) throws IOException {
        List<T> storages = new ArrayList<>(stateDict.values());
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2);
        if (wrapperKey != null) {
            p.write('}');
            p.write('(');
            str(p, "epoch");
            p.write('K');
            p.write(5);
            str(p, wrapperKey);
        }
        global(p, "collections", "OrderedDict");
        p.write(')');
        p.write('R');
        p.write('(');
        int i = 0;
        for (Map.Entry<String, T> e : stateDict.entrySet()) {
            str(p, e.getKey());
            tensor(p, Integer.toString(i++), e.getValue().dims(), e.getValue().values().length);
        }
        p.write('u');
        if (wrapperKey != null) {
            p.write('u');
        }
        p.write('.');
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", p.toByteArray());
        for (int k = 0; k < storages.size(); k++) {
            float[] v = storages.get(k).values();
            ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) {
                b.putFloat(f);
            }
            entries.put("archive/data/" + k, b.array());
        }
        entries.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        Files.write(file, zip(entries));
    }

    /** A zip of stored (uncompressed) entries, as torch.save writes. */
    static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                ze.setMethod(ZipEntry.STORED);
                ze.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                ze.setCrc(crc.getValue());
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /** One tensor {@code name} viewing {@code storage} at {@code offset} with {@code size} and {@code stride} (any layout). */
    static void writeView(Path file, String name, float[] storage, long offset, int[] size, long[] stride) throws IOException {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2);
        global(p, "collections", "OrderedDict");
        p.write(')');
        p.write('R');
        str(p, name);
        view(p, "0", storage.length, offset, size, stride);
        p.write('s');
        p.write('.');
        ByteBuffer b = ByteBuffer.allocate(4 * storage.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : storage) {
            b.putFloat(f);
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", p.toByteArray());
        entries.put("archive/data/0", b.array());
        Files.write(file, zip(entries));
    }

    /** The pickle of a rebuilt float tensor on storage {@code key}, contiguous. */
    static void tensor(OutputStream p, String key, int[] dims, long numel) throws IOException {
        long stride = 1;
        long[] strides = new long[dims.length];
        for (int d = dims.length - 1; d >= 0; d--) {
            strides[d] = stride;
            stride *= dims[d];
        }
        view(p, key, numel, 0, dims, strides);
    }

    private static void view(OutputStream p, String key, long numel, long offset, int[] dims, long[] strides) throws IOException {
        global(p, "torch._utils", "_rebuild_tensor_v2");
        p.write('(');
        p.write('(');
        str(p, "storage");
        global(p, "torch", "FloatStorage");
        str(p, key);
        str(p, "cpu");
        integer(p, numel);
        p.write('t');
        p.write('Q');
        integer(p, offset);
        p.write('(');
        for (int d : dims) {
            integer(p, d);
        }
        p.write('t');
        p.write('(');
        for (long s : strides) {
            integer(p, s);
        }
        p.write('t');
        p.write(0x89);
        global(p, "collections", "OrderedDict");
        p.write(')');
        p.write('R');
        p.write('t');
        p.write('R');
    }

    static void global(OutputStream p, String module, String name) throws IOException {
        p.write('c');
        p.write((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    static void str(OutputStream p, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X');
        p.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        p.write(b);
    }

    static void integer(OutputStream p, long v) throws IOException {
        p.write('J');
        p.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    }
}
