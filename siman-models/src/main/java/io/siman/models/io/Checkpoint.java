package io.siman.models.io;

import io.siman.api.InvalidDataException;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The checkpoint file (documented in {@code docs/checkpoint-format.md}): a magic number, a format version,
 * and sections each with a tag, a length and a CRC32C. Holds the training configuration, a run record,
 * the training state, and named float tensors (parameters, optimizer state, batch-norm statistics, frozen
 * bits). Written atomically.
 */
public final class Checkpoint {
    static final byte[] MAGIC = "SIMANCKP".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    private static final int MAX_RANK = 8;

    /** A stored tensor: its dimensions and values. */
    public record StoredTensor(int[] dims, float[] values) {
    }

    private final Map<String, String> config;
    private final Map<String, String> run;
    private final Map<String, String> state;
    private final Map<String, StoredTensor> tensors;
    private final String sha256;

    public Checkpoint(Map<String, String> config, Map<String, String> run, Map<String, String> state, Map<String, StoredTensor> tensors) {
        this(config, run, state, tensors, null);
    }

    private Checkpoint(Map<String, String> config, Map<String, String> run, Map<String, String> state,
                       Map<String, StoredTensor> tensors, String sha256) {
        this.config = Map.copyOf(config);
        this.run = Map.copyOf(run);
        this.state = Map.copyOf(state);
        this.tensors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.sha256 = sha256;
    }

    public Map<String, String> config() {
        return config;
    }

    public Map<String, String> run() {
        return run;
    }

    public Map<String, String> state() {
        return state;
    }

    public Map<String, StoredTensor> tensors() {
        return tensors;
    }

    /** SHA-256 of the file it was read from (null for one not read from a file). */
    public String sha256() {
        return sha256;
    }

    public void write(Path file) {
        AtomicFiles.write(file, out -> {
            DataOutputStream d = new DataOutputStream(out);
            d.write(MAGIC);
            d.writeInt(VERSION);
            section(d, "CONF", text(config));
            section(d, "RUNR", text(run));
            section(d, "STAT", text(state));
            section(d, "TENS", tensorBytes());
            section(d, "END.", new byte[0]);
            d.flush();
        });
    }

    private static void section(DataOutputStream d, String tag, byte[] payload) throws IOException {
        d.write(tag.getBytes(StandardCharsets.US_ASCII));
        d.writeLong(payload.length);
        d.write(payload);
        CRC32C crc = new CRC32C();
        crc.update(payload);
        d.writeInt((int) crc.getValue());
    }

    private static byte[] text(Map<String, String> m) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(m).entrySet()) {
            if (e.getKey().contains("=") || e.getKey().contains("\n") || e.getValue().contains("\n")) {
                throw new IllegalArgumentException("checkpoint text entries are single lines without '=' in keys: " + e.getKey());
            }
            b.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private byte[] tensorBytes() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bytes);
        d.writeInt(tensors.size());
        for (Map.Entry<String, StoredTensor> e : tensors.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            d.writeShort(name.length);
            d.write(name);
            int[] dims = e.getValue().dims();
            d.writeByte(dims.length);
            for (int dim : dims) {
                d.writeInt(dim);
            }
            ByteBuffer buf = ByteBuffer.allocate(e.getValue().values().length * 4);
            buf.asFloatBuffer().put(e.getValue().values());
            d.write(buf.array());
        }
        d.flush();
        return bytes.toByteArray();
    }

    /** Reads and verifies a checkpoint; every problem is an {@link InvalidDataException} naming the file. */
    public static Checkpoint read(Path file) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InvalidDataException(file + ": no such checkpoint");
        } catch (IOException e) {
            throw new InvalidDataException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        ByteBuffer in = ByteBuffer.wrap(all);
        if (all.length < MAGIC.length + 4 || !java.util.Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new InvalidDataException(file + ": not a SiMaN-J checkpoint");
        }
        in.position(MAGIC.length);
        int version = in.getInt();
        if (version != VERSION) {
            throw new InvalidDataException(file + ": checkpoint format version " + version + " is not supported (this build reads " + VERSION + ")");
        }
        Map<String, byte[]> sections = new LinkedHashMap<>();
        boolean ended = false;
        while (!ended) {
            if (in.remaining() < 12) {
                throw new InvalidDataException(file + ": truncated checkpoint");
            }
            byte[] tagBytes = new byte[4];
            in.get(tagBytes);
            String tag = new String(tagBytes, StandardCharsets.US_ASCII);
            long length = in.getLong();
            if (length < 0 || length > in.remaining() - 4) {
                throw new InvalidDataException(file + ": truncated checkpoint (section " + tag + ")");
            }
            byte[] payload = new byte[(int) length];
            in.get(payload);
            CRC32C crc = new CRC32C();
            crc.update(payload);
            if ((int) crc.getValue() != in.getInt()) {
                throw new InvalidDataException(file + ": corrupt checkpoint (checksum mismatch in section " + tag + ")");
            }
            if (sections.put(tag, payload) != null) {
                throw new InvalidDataException(file + ": corrupt checkpoint (section " + tag + " twice)");
            }
            ended = tag.equals("END.");
        }
        if (in.hasRemaining()) {
            throw new InvalidDataException(file + ": corrupt checkpoint (" + in.remaining() + " bytes after the end)");
        }
        for (String tag : new String[]{"CONF", "RUNR", "STAT", "TENS"}) {
            if (!sections.containsKey(tag)) {
                throw new InvalidDataException(file + ": corrupt checkpoint (no " + tag + " section)");
            }
        }
        return new Checkpoint(parseText(file, sections.get("CONF")), parseText(file, sections.get("RUNR")),
                parseText(file, sections.get("STAT")), parseTensors(file, sections.get("TENS")), sha256(all));
    }

    private static Map<String, String> parseText(Path file, byte[] payload) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : new String(payload, StandardCharsets.UTF_8).split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new InvalidDataException(file + ": corrupt checkpoint (bad entry '" + line + "')");
            }
            m.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return m;
    }

    private static Map<String, StoredTensor> parseTensors(Path file, byte[] payload) {
        ByteBuffer in = ByteBuffer.wrap(payload);
        try {
            int count = in.getInt();
            if (count < 0 || count > payload.length) {
                throw new InvalidDataException(file + ": corrupt checkpoint (tensor count " + count + ")");
            }
            Map<String, StoredTensor> m = new LinkedHashMap<>();
            for (int t = 0; t < count; t++) {
                int nameLength = in.getShort() & 0xffff;
                if (nameLength > in.remaining()) {
                    throw new InvalidDataException(file + ": corrupt checkpoint (tensor name)");
                }
                byte[] name = new byte[nameLength];
                in.get(name);
                int rank = in.get() & 0xff;
                if (rank > MAX_RANK) {
                    throw new InvalidDataException(file + ": corrupt checkpoint (tensor rank " + rank + ")");
                }
                int[] dims = new int[rank];
                long size = 1;
                for (int i = 0; i < rank; i++) {
                    dims[i] = in.getInt();
                    if (dims[i] < 0) {
                        throw new InvalidDataException(file + ": corrupt checkpoint (negative dimension)");
                    }
                    size *= dims[i];
                    if (size * 4 > in.remaining()) {
                        throw new InvalidDataException(file + ": corrupt checkpoint (tensor larger than the file)");
                    }
                }
                float[] values = new float[(int) size];
                in.asFloatBuffer().get(values);
                in.position(in.position() + values.length * 4);
                m.put(new String(name, StandardCharsets.UTF_8), new StoredTensor(dims, values));
            }
            if (in.hasRemaining()) {
                throw new InvalidDataException(file + ": corrupt checkpoint (bytes after the tensors)");
            }
            return m;
        } catch (java.nio.BufferUnderflowException e) {
            throw new InvalidDataException(file + ": corrupt checkpoint (tensor table ends early)");
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
