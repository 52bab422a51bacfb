package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.TrainingKernels;
import io.siman.api.BinarizerRegistry;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.InvalidDataException;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.models.io.Checkpoint;
import io.siman.models.inference.ModelExport;
import io.siman.models.io.ModelFile;
import io.siman.models.layers.BitwiseConv2d;
import io.siman.models.nets.Network;
import io.siman.models.train.Models;
import io.siman.models.train.TrainingConfig;
import io.siman.testkit.Reference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * For every architecture of the zoo, every binarizer and both encodings: a network trained a few steps,
 * saved, exported and loaded bitwise gives exactly the float simulation's logits. Both paths apply the same
 * folded affine with one fused multiply-add to exact integer sums, so equality is bit for bit.
 */
class BitwiseEquivalenceTest {
    private final Backend backend = TestBackends.create(2);
    private final BinarizerRegistry binarizers = BinarizerRegistry.discover();

    @AfterEach
    void close() {
        assertEquals(0, backend.liveTensors(), "no tensor leaked");
        backend.close();
    }

    /** Trains a few steps on random data and writes a checkpoint; returns its path. */
    private Path checkpoint(Path dir, String arch, String binarizer, Encoding enc, int c, int size) {
        TrainingConfig config = new TrainingConfig(arch, "cifar10", binarizer, enc, 4, 8, 0.05, 0.9, 5e-4, null, 0, 7, 0, 0);
        int[] input = {c, size, size};
        try (Network net = Models.build(backend, binarizers, config, input, 10);
             Tensor x = backend.allocate(Shape.of(8, c, size, size)); Tensor y = backend.allocate(DType.INT32, Shape.of(8));
             Tensor probs = backend.allocate(Shape.of(8, 10)); Tensor losses = backend.allocate(Shape.of(8));
             Tensor d = backend.allocate(Shape.of(8, 10))) {
            SplittableRandom rnd = new SplittableRandom(11);
            List<Tensor> velocity = new ArrayList<>();
            for (Parameter p : net.parameters()) {
                velocity.add(backend.allocate(p.value().shape()));
            }
            for (int step = 0; step < 3; step++) {
                backend.write(x, Reference.randomFloats(rnd, 8 * c * size * size, 1.5));
                backend.write(y, new int[]{0, 1, 2, 3, 4, 5, 6, 7});
                Tensor logits = net.forward(x, TrainingProgress.training(step, 4));
                backend.kernels().softmaxCrossEntropy(logits, y, probs, losses);
                backend.kernels(TrainingKernels.class).softmaxCrossEntropyBackward(probs, y, 1f / 8, d);
                net.backward(d);
                for (int i = 0; i < velocity.size(); i++) {
                    Parameter p = net.parameters().get(i);
                    backend.kernels(TrainingKernels.class).sgdStep(p.value(), p.grad(), velocity.get(i), 0.05f, 0.9f, 5e-4f);
                }
            }
            velocity.forEach(Tensor::close);
            Map<String, String> state = new LinkedHashMap<>();
            state.put("epoch", "0");
            state.put("input", c + "x" + size + "x" + size);
            state.put("classes", "10");
            state.put("class-names", "a|b|c|d|e|f|g|h|i|j");
            Path f = dir.resolve(arch + "-" + binarizer + "-" + enc.id() + ".ckpt");
            new Checkpoint(config.toMap(), Map.of(), state, Models.snapshot(backend, net, null)).write(f);
            return f;
        }
    }

    private float[] logits(Network net, float[] inputs, int n, int c, int size) {
        float[] all = new float[n * 10];
        int batch = 25;
        for (int from = 0; from < n; from += batch) {
            int b = Math.min(batch, n - from);
            try (Tensor x = backend.upload(java.util.Arrays.copyOfRange(inputs, from * c * size * size, (from + b) * c * size * size),
                    Shape.of(b, c, size, size))) {
                float[] out = backend.downloadFloats(net.forward(x, TrainingProgress.EVAL));
                System.arraycopy(out, 0, all, from * 10, out.length);
            }
        }
        return all;
    }

    private void equivalent(Path dir, String arch, String binarizer, Encoding enc, int c, int size, int samples) {
        Path ckpt = checkpoint(dir, arch, binarizer, enc, c, size);
        Path model = dir.resolve(arch + "-" + binarizer + "-" + enc.id() + ".siman");
        ModelExport.Result r = ModelExport.export(backend, binarizers, ckpt, model);
        float[] inputs = Reference.randomFloats(new SplittableRandom(3), samples * c * size * size, 2);
        float[] simulated, bitwise;
        try (Network net = Models.fromCheckpoint(backend, binarizers, Checkpoint.read(ckpt), ckpt)) {
            simulated = logits(net, inputs, samples, c, size);
        }
        try (Network net = ModelExport.load(backend, binarizers, ModelFile.read(model), model)) {
            assertEquals(r.bitwiseLayers(), net.layers(BitwiseConv2d.class).size());
            assertTrue(r.bitwiseLayers() > 0, "binarized layers run bitwise");
            bitwise = logits(net, inputs, samples, c, size);
        }
        assertArrayEquals(simulated, bitwise, 0f, arch + " " + binarizer + " " + enc.id() + ": bitwise logits equal the float simulation");
        try (Network net = ModelExport.load(backend, binarizers, ModelFile.read(model), model, io.siman.models.nets.Zoo.Mode.SIMULATED)) {
            assertArrayEquals(simulated, logits(net, inputs, samples, c, size), 0f, "the model file's float simulation too");
        }
        assertTrue(r.bitBytes() * 24 <= r.binarizedFloat32Bytes(), "bits take at most 1/24 of the float32 weights: "
                + r.bitBytes() + " bytes for " + r.binarizedFloat32Bytes());
    }

    @Test
    void resnet20EveryBinarizerAndEncoding(@TempDir Path dir) {
        equivalent(dir, "resnet20", "siman", Encoding.PM1, 1, 32, 200);
        equivalent(dir, "resnet20", "siman", Encoding.ZERO_ONE, 1, 32, 200);
        equivalent(dir, "resnet20", "xnor", Encoding.PM1, 3, 32, 100);
        equivalent(dir, "resnet20", "irnet", Encoding.PM1, 3, 32, 100);
    }

    @Test
    void theOtherArchitectures(@TempDir Path dir) {
        equivalent(dir, "vgg-small", "siman", Encoding.PM1, 3, 32, 50);
        equivalent(dir, "vgg-small", "irnet", Encoding.PM1, 3, 32, 25);
        equivalent(dir, "resnet18", "siman", Encoding.ZERO_ONE, 3, 32, 50);
        equivalent(dir, "resnet18-imagenet", "siman", Encoding.PM1, 3, 64, 25);
        equivalent(dir, "resnet34-imagenet", "xnor", Encoding.PM1, 3, 64, 25);
    }

    @Test
    void modelFileRowsBecomeTheKernelLayoutThatPackWeightsWrites() {
        SplittableRandom r = new SplittableRandom(4);
        for (int[] s : new int[][]{{16, 16, 3}, {5, 70, 3}, {9, 130, 1}, {3, 3, 7}, {64, 64, 3}}) {
            int co = s[0], ci = s[1], k = s[2], n = ci * k * k;
            float[] effective = new float[co * n];
            for (int i = 0; i < effective.length; i++) {
                effective[i] = r.nextBoolean() ? 1f : -1f;
            }
            long[] direct = ModelFile.kernelLayout(ModelFile.packRows(effective, co, n), co, ci, k, k);
            try (Tensor w = backend.upload(effective, Shape.of(co, ci, k, k));
                 Tensor bits = backend.allocate(DType.INT64, Shape.of(co, k, k, Shape.words(ci)))) {
                backend.kernels(io.siman.api.BitwiseKernels.class).packWeights(w, bits);
                assertArrayEquals(backend.downloadLongs(bits), direct, co + "x" + ci + "x" + k + "x" + k);
                assertArrayEquals(effective, ModelFile.kernelLayoutValues(direct, co, ci, k, k, -1f), 0f, "and back");
            }
        }
    }

    @Test
    void damagedModelFilesAreRejected(@TempDir Path dir) throws IOException {
        Path ckpt = checkpoint(dir, "resnet20", "siman", Encoding.PM1, 1, 32);
        Path model = dir.resolve("m.siman");
        ModelExport.export(backend, binarizers, ckpt, model);
        byte[] bytes = Files.readAllBytes(model);
        byte[] bad = bytes.clone();
        bad[bytes.length / 2] ^= 1;
        Files.write(model, bad);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ModelFile.read(model));
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
        Files.write(model, java.util.Arrays.copyOf(bytes, 40));
        assertTrue(assertThrows(InvalidDataException.class, () -> ModelFile.read(model)).getMessage().contains("truncated"));
        Files.write(model, bytes);
        bytes[11] = 9;
        Files.write(model, bytes);
        assertTrue(assertThrows(InvalidDataException.class, () -> ModelFile.read(model)).getMessage().contains("version 9 is not supported"));
        assertTrue(assertThrows(InvalidDataException.class, () -> ModelFile.read(ckpt)).getMessage().endsWith("not a SiMaN-J model file"));
    }
}
