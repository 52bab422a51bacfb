package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.api.SimanException;
import io.siman.models.data.CifarFiles;
import io.siman.models.data.Datasets;
import io.siman.models.data.IdxFiles;
import io.siman.models.data.Preprocessing;
import io.siman.models.io.Checkpoint;
import io.siman.models.inference.ModelExport;
import io.siman.models.io.ModelFile;
import io.siman.models.nets.Network;
import io.siman.models.pytorch.PyTorchImport;
import io.siman.models.pytorch.TorchFile;
import io.siman.models.train.Models;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A seeded mutation fuzzer for every reader of files from outside: checkpoints and model files (read and loaded
 * into their network), IDX files gzipped or not, CIFAR-10 batches. Mutations flip bits, overwrite bytes and
 * header fields with extreme values, cut and extend files; for the checksummed formats, mutated section payloads
 * also get their checksums recomputed, so the parsers behind the checksums are reached too. Every input must end
 * in success or in a {@link SimanException} with a one-line message, within seconds, allocating no more than the
 * file justifies. The inputs that once broke a reader are kept in {@code src/test/resources/hostile/} and replayed.
 */
class HostileFilesTest {
    private static final int ROUNDS = Integer.getInteger("siman.fuzz.rounds", 150);
    private static final BinarizerRegistry BINARIZERS = BinarizerRegistry.discover();
    private static Backend backend;
    @TempDir
    static Path dir;
    static byte[] checkpoint, model, idxImages, idxImagesGz, idxLabels, cifar;

    @BeforeAll
    static void seeds() throws IOException {
        backend = TestBackends.create(1);
        Path m = ModelExport.randomModel(backend, BINARIZERS, "resnet20", "siman", Encoding.PM1, "fashion-mnist", 3, dir);
        checkpoint = Files.readAllBytes(dir.resolve("random.ckpt"));
        model = Files.readAllBytes(m);
        byte[] px = new byte[6 * 28 * 28], labels = new byte[6];
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) r.nextInt(256);
        }
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (byte) (i % 10);
        }
        idxImages = idx(new int[]{6, 28, 28}, px);
        idxImagesGz = gzip(idxImages);
        idxLabels = idx(new int[]{6}, labels);
        cifar = new byte[3 * CifarFiles.RECORD];
        for (int i = 0; i < cifar.length; i++) {
            cifar[i] = (byte) (i % CifarFiles.RECORD == 0 ? i % 10 : r.nextInt(256));
        }
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    static byte[] idx(int[] dims, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + body.length);
        b.putInt(0x0800 | dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(body).array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) {
            g.write(raw);
        }
        return out.toByteArray();
    }

    /** A reader under test: reads (and uses) the file, or throws. */
    @FunctionalInterface
    interface Reader {
        void read(Path file) throws Exception;
    }

    static final Reader CHECKPOINT = f -> {
        Checkpoint c = Checkpoint.read(f);
        try (Network n = Models.fromCheckpoint(backend, BINARIZERS, c, f)) {
            n.parameterCount();
        }
    };
    static final Reader MODEL = f -> {
        try (Network n = ModelExport.load(backend, BINARIZERS, ModelFile.read(f), f)) {
            n.parameterCount();
        }
    };
    static final Reader IDX_IMAGES = f -> IdxFiles.load("fuzz", f, dir.resolve("labels-ok"), Datasets.FASHION_CLASSES,
            Preprocessing.FASHION_MNIST);
    static final Reader IDX_LABELS = f -> IdxFiles.load("fuzz", dir.resolve("images-ok"), f, Datasets.FASHION_CLASSES,
            Preprocessing.FASHION_MNIST);
    static final Reader CIFAR = f -> CifarFiles.load("fuzz", List.of(f), Preprocessing.CIFAR10);
    /** A torch.save file: unpickled, its state dict found and every tensor read. */
    static final Reader TORCH_FILE = f -> {
        try (TorchFile t = TorchFile.open(f)) {
            t.stateDict().forEach(t::floats);
        }
    };
    /** A PyTorch checkpoint imported as the authors' ResNet-20. */
    static final Reader PYTORCH = f -> PyTorchImport.read(backend, BINARIZERS, f,
            new PyTorchImport.Options("resnet20", "siman", Encoding.PM1, "fashion-mnist"));

    @Test
    void checkpointsAndModelFiles() throws Exception {
        fuzz("checkpoint", checkpoint, CHECKPOINT, true, 11);
        fuzz("model", model, MODEL, true, 12);
    }

    @Test
    void idxAndCifarFiles() throws Exception {
        Files.write(dir.resolve("labels-ok"), idxLabels);
        Files.write(dir.resolve("images-ok"), idxImages);
        fuzz("idx-images", idxImages, IDX_IMAGES, false, 21);
        fuzz("idx-images-gz", idxImagesGz, IDX_IMAGES, false, 22);
        fuzz("idx-labels", idxLabels, IDX_LABELS, false, 23);
        fuzz("cifar", cifar, CIFAR, false, 24);
    }

    @Test
    void pytorchCheckpoints() throws Exception {
        byte[] tiny = Files.readAllBytes(Path.of("src", "test", "resources", "pytorch", "training-script-tiny.pth"));
        fuzz("torch-file", tiny, TORCH_FILE, false, 31);
        SplittableRandom r = new SplittableRandom(32);
        for (int i = 0; i < ROUNDS; i++) {
            check("torch-pickle-" + i, mutatePickle(tiny, r), TORCH_FILE);
        }
        Path authors = Path.of("src", "test", "resources", "pytorch", "authors-resnet20-fmnist.pth");
        check("pytorch-seed", Files.readAllBytes(authors), PYTORCH);
        for (int i = 0; i < ROUNDS / 5; i++) {
            check("pytorch-" + i, mutatePickle(Files.readAllBytes(authors), r), PYTORCH);
        }
    }

    /** A torch.save zip whose data.pkl is mutated, re-zipped intact so the unpickler sees the mutation. */
    static byte[] mutatePickle(byte[] seed, SplittableRandom r) throws IOException {
        java.util.Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        Path f = Files.write(dir.resolve("pickle-seed.zip"), seed);
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(f.toFile())) {
            for (var it = z.entries(); it.hasMoreElements(); ) {
                java.util.zip.ZipEntry e = it.nextElement();
                byte[] b = z.getInputStream(e).readAllBytes();
                entries.put(e.getName(), e.getName().endsWith("data.pkl") ? mutate(b, r) : b);
            }
        }
        return TorchWriter.zip(entries);
    }

    /** The inputs that broke a reader once, replayed with the reader they broke. */
    @Test
    void theRegressionCorpus() throws Exception {
        Files.write(dir.resolve("labels-ok"), idxLabels);
        Files.write(dir.resolve("images-ok"), idxImages);
        Path corpus = Path.of("src", "test", "resources", "hostile");
        assertTrue(Files.isDirectory(corpus), "the corpus folder exists");
        List<Path> files;
        try (Stream<Path> s = Files.list(corpus)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        assertFalse(files.isEmpty(), "the corpus holds inputs");
        for (Path f : files) {
            String n = f.getFileName().toString();
            Reader reader = n.startsWith("pytorch") ? PYTORCH : n.startsWith("checkpoint") ? CHECKPOINT : n.startsWith("model") ? MODEL
                    : n.startsWith("idx-labels") ? IDX_LABELS : n.startsWith("idx") ? IDX_IMAGES : n.startsWith("cifar") ? CIFAR : null;
            assertTrue(reader != null, "corpus file names start with the reader they are for: " + n);
            check(n, Files.readAllBytes(f), reader);
        }
    }

    private static void fuzz(String name, byte[] seed, Reader reader, boolean sections, long seedValue) throws Exception {
        check(name + "-seed", seed, reader);
        SplittableRandom r = new SplittableRandom(seedValue);
        for (int i = 0; i < ROUNDS; i++) {
            byte[] input = sections && r.nextInt(3) > 0 ? mutateSection(seed, r) : mutate(seed, r);
            check(name + "-" + i, input, reader);
        }
    }

    /** Raw mutations anywhere in the file. */
    static byte[] mutate(byte[] seed, SplittableRandom r) {
        byte[] b = seed.clone();
        switch (r.nextInt(6)) {
            case 0 -> {
                for (int k = 1 + r.nextInt(8); k > 0; k--) {
                    int at = r.nextInt(b.length);
                    b[at] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> {
                for (int k = 1 + r.nextInt(16); k > 0; k--) {
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
            }
            case 2 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length)); // cut short
            case 3 -> {
                byte[] longer = java.util.Arrays.copyOf(b, b.length + 1 + r.nextInt(64));
                for (int i = b.length; i < longer.length; i++) {
                    longer[i] = (byte) r.nextInt(256);
                }
                b = longer;
            }
            case 4 -> {
                // an extreme 32-bit value over a header field
                int[] extremes = {Integer.MAX_VALUE, Integer.MIN_VALUE, 0, -1, 0x7fff_fff0, 1 << 30, 65536};
                int at = r.nextInt(Math.min(b.length - 3, 48));
                ByteBuffer.wrap(b).putInt(at, extremes[r.nextInt(extremes.length)]);
            }
            default -> {
                int from = r.nextInt(b.length), len = Math.min(b.length - from, 1 + r.nextInt(256)), to = r.nextInt(b.length - len + 1);
                System.arraycopy(b.clone(), from, b, to, len);
            }
        }
        return b;
    }

    /**
     * A mutation inside one section's payload of a {@code SectionFile} (magic, version, sections of tag, length,
     * payload and CRC32C), with the checksum recomputed so the payload's parser sees it.
     */
    static byte[] mutateSection(byte[] seed, SplittableRandom r) {
        ByteBuffer in = ByteBuffer.wrap(seed);
        int pos = 8 + 4; // magic, version
        List<int[]> sections = new ArrayList<>();
        while (pos + 12 <= seed.length) {
            long len = in.getLong(pos + 4);
            if (len < 0 || pos + 12 + len + 4 > seed.length) {
                break;
            }
            sections.add(new int[]{pos + 12, (int) len});
            pos += 12 + (int) len + 4;
        }
        List<int[]> nonEmpty = sections.stream().filter(s -> s[1] > 0).toList();
        int[] s = nonEmpty.get(r.nextInt(nonEmpty.size()));
        byte[] payload = java.util.Arrays.copyOfRange(seed, s[0], s[0] + s[1]);
        byte[] mutated = mutate(payload, r);
        if (mutated.length == 0) {
            mutated = new byte[]{0};
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(seed, 0, s[0] - 8);
        out.writeBytes(ByteBuffer.allocate(8).putLong(mutated.length).array());
        out.writeBytes(mutated);
        CRC32C crc = new CRC32C();
        crc.update(mutated);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        int after = s[0] + s[1] + 4;
        out.write(seed, after, seed.length - after);
        return out.toByteArray();
    }

    /** Feeds one input to a reader and checks the outcome; a failing input is kept in target/hostile-failures. */
    static void check(String name, byte[] input, Reader reader) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, input);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                long before = threads.getCurrentThreadAllocatedBytes();
                try {
                    reader.read(f);
                } catch (SimanException e) {
                    String m = e.getMessage();
                    if (m == null || m.isBlank() || m.contains("\n")) {
                        fail(name + ": the error is not one line: " + m);
                    }
                }
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                // loading a network allocates its tensors whatever the file; beyond that, the file's own size
                long limit = 16L * input.length + (256L << 20);
                if (allocated > limit) {
                    fail(name + ": allocated " + allocated + " bytes for a file of " + input.length);
                }
            }, name + " did not finish in time");
        } catch (AssertionError e) {
            keep(name, input);
            throw e;
        } catch (RuntimeException e) {
            keep(name, input);
            throw new AssertionError(name + ": a reader threw " + rootCause(e) + " instead of a one-line error", e);
        } catch (Throwable t) {
            keep(name, input);
            throw new AssertionError(name + ": a reader failed with " + t, t);
        }
    }

    private static String rootCause(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.toString();
    }

    private static void keep(String name, byte[] input) {
        try {
            Path out = Files.createDirectories(Path.of("target", "hostile-failures"));
            Files.write(out.resolve(name), input);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
