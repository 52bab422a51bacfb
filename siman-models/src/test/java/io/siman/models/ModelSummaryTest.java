package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.models.inference.ModelExport;
import io.siman.models.io.ModelFile;
import io.siman.models.nets.ModelSpec;
import io.siman.models.nets.Network;
import io.siman.models.nets.Zoo;
import io.siman.models.summary.ModelSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Summaries count what the layers hold and compute, checked against counts worked out by hand. */
class ModelSummaryTest {
    private final BinarizerRegistry binarizers = BinarizerRegistry.discover();

    /** ResNet-20 on 1x32x32: 16 binarized convs of 2,359,296 MACs per image and two strided ones of half that. */
    private static final long RESNET20_BINARY_MACS = 16L * 2_359_296 + 2L * 1_179_648;
    /** Binarized conv weights: six 16x16x9, one 32x16x9, five 32x32x9, one 64x32x9, five 64x64x9. */
    private static final long RESNET20_BITS = 6L * 2304 + 4608 + 5L * 9216 + 18432 + 5L * 36864;

    @Test
    void resnet20CountsBitsFloatsAndMultiplyAccumulates(@TempDir Path dir) {
        try (Backend backend = TestBackends.create(1)) {
            ModelSummary training;
            try (Network net = Zoo.build(backend, new ModelSpec("resnet20", "siman", Encoding.PM1, 1, 32, 32, 10, 1), binarizers)) {
                training = ModelSummary.of(backend, net, "resnet20");
            }
            assertEquals(RESNET20_BINARY_MACS, training.total().binaryMacs());
            assertEquals(16L * 32 * 32 * 9 + 64 * 10, training.total().floatMacs(), "the stem conv and the classifier");
            assertEquals(RESNET20_BITS, training.total().oneBitParameters());
            ModelSummary.Row stem = training.rows().get(0);
            assertEquals("conv1", stem.name());
            assertEquals("16x32x32", stem.outputShape());
            assertEquals(144, stem.footprint().floatParameters());
            ModelSummary.Row last = training.rows().get(training.rows().size() - 1);
            assertEquals("10", last.outputShape());
            assertEquals(650, last.footprint().floatParameters());

            Path model = ModelExport.randomModel(backend, binarizers, "resnet20", "siman", Encoding.PM1, "fashion-mnist", 1, dir);
            ModelSummary bitwise;
            try (Network net = ModelExport.load(backend, binarizers, ModelFile.read(model), model)) {
                bitwise = ModelSummary.of(backend, net, "model file");
            }
            assertEquals(RESNET20_BITS, bitwise.total().oneBitParameters());
            assertEquals(RESNET20_BINARY_MACS, bitwise.total().binaryMacs());
            // each output channel's bits padded to whole words: 144 bits -> 3 words, 288 -> 5, 576 -> 9
            long bitBytes = 8L * (6 * 16 * 3 + 32 * 3 + 5 * 32 * 5 + 64 * 5 + 5 * 64 * 9);
            long foldedBatchNorms = 2L * (6 * 16 + 6 * 32 + 6 * 64); // scale and bias per binarized conv output channel
            long prelus = 6L * 16 + 6 * 32 + 6 * 64; // one slope per channel after every binarized conv
            long floats = 144 + 4 * 16 + foldedBatchNorms + prelus + 4 * 64 + 650; // stem conv and batch norm, ..., head
            assertEquals(floats, bitwise.total().floatParameters());
            assertEquals(bitBytes + 4 * floats, bitwise.total().bytes());
            assertTrue(bitwise.compression() > 15, "a 1-bit ResNet-20 is many times smaller than float32: " + bitwise.compression());
            assertTrue(bitwise.table().contains("x smaller"));
        }
    }

    @Test
    void fullPrecisionCountsEverythingAsFloat() {
        try (Backend backend = TestBackends.create(1);
             Network net = Zoo.build(backend, new ModelSpec("resnet20", "none", Encoding.PM1, 1, 32, 32, 10, 1), binarizers)) {
            ModelSummary s = ModelSummary.of(backend, net, "fp");
            assertEquals(0, s.total().oneBitParameters());
            assertEquals(0, s.total().binaryMacs());
            assertEquals(RESNET20_BINARY_MACS + 16L * 32 * 32 * 9 + 640, s.total().floatMacs());
            assertEquals(1.0, s.compression(), 1e-12);
        }
    }
}
