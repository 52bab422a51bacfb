package io.siman.models.io;

import io.siman.api.InvalidDataException;

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
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The container shared by checkpoints and model files: an 8-byte magic, a 4-byte version, then sections
 * (4-byte tag, 8-byte length, payload, CRC32C of the payload) ending with {@code END.}. Big-endian.
 * Reading validates every length against the file before allocating and every checksum.
 */
public final class SectionFile {
    /** What {@link #read} found. */
    public record Content(Map<String, byte[]> sections, String sha256) {
    }

    private SectionFile() {
    }

    public static void write(Path file, String magic, int version, Map<String, byte[]> sections) {
        AtomicFiles.write(file, out -> {
            DataOutputStream d = new DataOutputStream(out);
            d.write(magic.getBytes(StandardCharsets.US_ASCII));
            d.writeInt(version);
            for (Map.Entry<String, byte[]> s : sections.entrySet()) {
                section(d, s.getKey(), s.getValue());
            }
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

    /**
     * @param kind what the file should be, for messages ("checkpoint", "model file")
     */
    public static Content read(Path file, String magic, int version, String kind, String... required) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InvalidDataException(file + ": no such " + kind);
        } catch (IOException e) {
            throw new InvalidDataException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        byte[] m = magic.getBytes(StandardCharsets.US_ASCII);
        if (all.length < m.length + 4 || !java.util.Arrays.equals(all, 0, m.length, m, 0, m.length)) {
            throw new InvalidDataException(file + ": not a SiMaN-J " + kind);
        }
        ByteBuffer in = ByteBuffer.wrap(all);
        in.position(m.length);
        int v = in.getInt();
        if (v != version) {
            throw new InvalidDataException(file + ": " + kind + " format version " + v + " is not supported (this build reads " + version + ")");
        }
        Map<String, byte[]> sections = new LinkedHashMap<>();
        boolean ended = false;
        while (!ended) {
            if (in.remaining() < 16) {
                throw new InvalidDataException(file + ": truncated " + kind);
            }
            byte[] tagBytes = new byte[4];
            in.get(tagBytes);
            String tag = new String(tagBytes, StandardCharsets.US_ASCII);
            long length = in.getLong();
            if (length < 0 || length > in.remaining() - 4) {
                throw new InvalidDataException(file + ": truncated " + kind + " (section " + tag + ")");
            }
            byte[] payload = new byte[(int) length];
            in.get(payload);
            CRC32C crc = new CRC32C();
            crc.update(payload);
            if ((int) crc.getValue() != in.getInt()) {
                throw new InvalidDataException(file + ": corrupt " + kind + " (checksum mismatch in section " + tag + ")");
            }
            if (sections.put(tag, payload) != null) {
                throw new InvalidDataException(file + ": corrupt " + kind + " (section " + tag + " twice)");
            }
            ended = tag.equals("END.");
        }
        if (in.hasRemaining()) {
            throw new InvalidDataException(file + ": corrupt " + kind + " (" + in.remaining() + " bytes after the end)");
        }
        for (String tag : required) {
            if (!sections.containsKey(tag)) {
                throw new InvalidDataException(file + ": corrupt " + kind + " (no " + tag + " section)");
            }
        }
        return new Content(sections, sha256(all));
    }

    /** {@code key=value} lines, sorted by key. */
    public static byte[] text(Map<String, String> m) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : new TreeMap<>(m).entrySet()) {
            if (e.getKey().contains("=") || e.getKey().contains("\n") || e.getValue().contains("\n")) {
                throw new IllegalArgumentException("text entries are single lines without '=' in keys: " + e.getKey());
            }
            b.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static Map<String, String> parseText(Path file, String kind, byte[] payload) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : new String(payload, StandardCharsets.UTF_8).split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new InvalidDataException(file + ": corrupt " + kind + " (bad entry '" + line + "')");
            }
            m.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return m;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
