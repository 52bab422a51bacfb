package io.siman.models;

import io.siman.api.SimanException;
import io.siman.models.io.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files are replaced whole or not at all: a failing write leaves the previous file as it was, and no debris. */
class AtomicFilesTest {
    private static List<String> names(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aDiskThatFillsUpMidWriteLeavesThePreviousFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("last.ckpt");
        AtomicFiles.write(f, out -> out.write("good".getBytes(StandardCharsets.UTF_8)));
        SimanException e = assertThrows(SimanException.class, () -> AtomicFiles.write(f, out -> {
            out.write(new byte[100_000]); // part of the new content reaches the temporary file...
            throw new IOException("No space left on device"); // ...then the disk is full
        }));
        assertEquals("cannot write " + f + ": No space left on device (the previous file is unchanged)", e.getMessage());
        assertEquals("good", Files.readString(f), "the previous file is intact");
        assertEquals(List.of("last.ckpt"), names(dir), "the temporary file is gone");
    }

    @Test
    void anUnwritableLocationIsAOneLineError(@TempDir Path dir) throws IOException {
        Path notADir = Files.writeString(dir.resolve("file"), "x");
        SimanException e = assertThrows(SimanException.class, () -> AtomicFiles.write(notADir.resolve("m.siman"), out -> out.write(1)));
        assertTrue(e.getMessage().startsWith("cannot write " + notADir.resolve("m.siman") + ": "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        // /proc refuses new files even to root
        SimanException p = assertThrows(SimanException.class, () -> AtomicFiles.write(Path.of("/proc/siman-test/x.ckpt"), out -> out.write(1)));
        assertTrue(p.getMessage().startsWith("cannot write /proc/siman-test/x.ckpt: "), p.getMessage());
    }

    @Test
    void aWrittenFileIsOrdinaryAndComplete(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        AtomicFiles.write(f, out -> out.write("one\n".getBytes(StandardCharsets.UTF_8)));
        AtomicFiles.write(f, out -> out.write("two\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals("two\n", Files.readString(f));
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }
}
