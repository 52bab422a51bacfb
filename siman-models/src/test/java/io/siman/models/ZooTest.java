package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.TrainingKernels;
import io.siman.api.BinarizerRegistry;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.api.UnknownNameException;
import io.siman.models.layers.BasicBlock;
import io.siman.models.layers.PRelu;
import io.siman.models.layers.ResidualBlock;
import io.siman.models.nets.ModelSpec;
import io.siman.models.nets.Network;
import io.siman.models.nets.Zoo;
import io.siman.testkit.Reference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ZooTest {
    private final Backend backend = TestBackends.create(2);
    private final BinarizerRegistry binarizers = BinarizerRegistry.discover();

    @AfterEach
    void close() {
        assertEquals(0, backend.liveTensors(), "networks release every tensor");
        backend.close();
    }

    private Network net(String arch, String binarizer, int c, int size, int classes) {
        return Zoo.build(backend, new ModelSpec(arch, binarizer, Encoding.PM1, c, size, size, classes, 1), binarizers);
    }

    /**
     * ResNet-20 for CIFAR-10: the reference's 0.27 M conv and linear weights (3*16*9 + 9 blocks' convs + 64*10 + 10),
     * plus what SiMaN adds: 18 alphas and 18 PReLUs (16/32/64 channels each), BN affine parameters.
     */
    @Test
    void resnet20HasTheReferenceParameterCount() {
        long convs = 3 * 16 * 9 + 6 * (16 * 16 * 9) + (16 * 32 * 9 + 5 * 32 * 32 * 9) + (32 * 64 * 9 + 5 * 64 * 64 * 9);
        long fc = 64 * 10 + 10;
        long perChannel = 6 * 16 + 6 * 32 + 6 * 64; // per binarized conv: one set of channels
        long bn = 2 * (16 + perChannel) + 2 * 64;      // stem, after every binarized conv, head
        long alphas = perChannel, prelus = perChannel;
        try (Network n = net("resnet20", "siman", 3, 32, 10)) {
            assertEquals(convs + fc + bn + alphas + prelus, n.parameterCount());
            assertEquals(18, n.binaryConvolutions().size());
            assertTrue(convs + fc > 268_000 && convs + fc < 272_000, "about 0.27 M: " + (convs + fc));
        }
        try (Network n = net("resnet20", "irnet", 1, 32, 10)) {
            long expected = convs - 2 * 16 * 9 + fc + bn + prelus; // one input channel, no alpha
            assertEquals(expected, n.parameterCount());
        }
    }

    /**
     * Full precision builds He et al.'s ResNet-20 (ReLU, one shortcut per block; the authors' full-precision
     * network): the reference's 0.27 M weights plus batch norm, and neither alphas nor PReLU slopes.
     */
    @Test
    void fullPrecisionResnet20IsTheStandardNetwork() {
        long convs = 3 * 16 * 9 + 6 * (16 * 16 * 9) + (16 * 32 * 9 + 5 * 32 * 32 * 9) + (32 * 64 * 9 + 5 * 64 * 64 * 9);
        long bn = 2 * (16 + 6 * 16 + 6 * 32 + 6 * 64) + 2 * 64;
        try (Network n = net("resnet20", "none", 3, 32, 10)) {
            assertEquals(convs + 64 * 10 + 10 + bn, n.parameterCount());
            assertEquals(9, n.layers(BasicBlock.class).size());
            assertEquals(0, n.layers(ResidualBlock.class).size());
            assertEquals(0, n.layers(PRelu.class).size());
        }
        try (Network n = net("resnet20", "siman", 3, 32, 10)) {
            assertEquals(9, n.layers(ResidualBlock.class).size(), "binarized: the double-shortcut PReLU block");
            assertEquals(0, n.layers(BasicBlock.class).size());
        }
    }

    @Test
    void everyArchitectureBuildsAndMapsItsInputToLogits() {
        Object[][] cases = {{"resnet20", 1, 32}, {"resnet18", 3, 32}, {"vgg-small", 3, 32}, {"resnet18-imagenet", 3, 64},
                {"resnet34-imagenet", 3, 64}};
        for (Object[] c : cases) {
            for (String binarizer : new String[]{"siman", "none"}) {
                try (Network n = net((String) c[0], binarizer, (Integer) c[1], (Integer) c[2], 7);
                     Tensor x = backend.upload(Reference.randomFloats(new SplittableRandom(3), 2 * (Integer) c[1] * (Integer) c[2] * (Integer) c[2], 1),
                             Shape.of(2, (Integer) c[1], (Integer) c[2], (Integer) c[2]))) {
                    Tensor y = n.forward(x, TrainingProgress.training(0, 2));
                    assertEquals(Shape.of(2, 7), y.shape(), (String) c[0]);
                    for (float v : backend.downloadFloats(y)) {
                        assertTrue(Float.isFinite(v), c[0] + " logits are finite");
                    }
                    try (Tensor g = backend.upload(new float[14], Shape.of(2, 7))) {
                        n.backward(g);
                    }
                }
            }
        }
        try (Network n = net("resnet18", "siman", 3, 32, 10)) {
            assertEquals(19, n.binaryConvolutions().size(), "16 block convs and 3 binarized downsampling shortcuts");
        }
    }

    @Test
    void unknownArchitectureIsAOneLineError() {
        UnknownNameException e = assertThrows(UnknownNameException.class, () -> net("alexnet", "siman", 3, 32, 10));
        assertEquals("unknown model 'alexnet'; known: resnet20, resnet18, vgg-small, resnet18-imagenet, resnet34-imagenet", e.getMessage());
    }

    @Test
    void theSameSeedBuildsTheSameWeights() {
        try (Network a = net("resnet20", "siman", 1, 32, 10); Network b = net("resnet20", "siman", 1, 32, 10)) {
            for (int i = 0; i < a.parameters().size(); i++) {
                Parameter pa = a.parameters().get(i), pb = b.parameters().get(i);
                assertEquals(pa.name(), pb.name());
                assertArrayEquals(backend.downloadFloats(pa.value()), backend.downloadFloats(pb.value()), pa.name());
            }
        }
    }

    @Test
    void aFewStepsFitASmallBatch() {
        try (Network n = net("resnet20", "siman", 1, 32, 10);
             Tensor x = backend.upload(Reference.randomFloats(new SplittableRandom(5), 16 * 1024, 1), Shape.of(16, 1, 32, 32));
             Tensor y = backend.upload(new int[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5}, Shape.of(16));
             Tensor probs = backend.allocate(Shape.of(16, 10)); Tensor losses = backend.allocate(Shape.of(16));
             Tensor d = backend.allocate(Shape.of(16, 10))) {
            java.util.List<Tensor> vel = new java.util.ArrayList<>();
            double first = 0, last = 0;
            for (int step = 0; step < 30; step++) {
                Tensor logits = n.forward(x, TrainingProgress.training(0, 1));
                backend.kernels().softmaxCrossEntropy(logits, y, probs, losses);
                double loss = 0;
                for (float l : backend.downloadFloats(losses)) {
                    loss += l / 16;
                }
                if (step == 0) {
                    first = loss;
                }
                last = loss;
                backend.kernels(TrainingKernels.class).softmaxCrossEntropyBackward(probs, y, 1f / 16, d);
                n.backward(d);
                int i = 0;
                for (Parameter p : n.parameters()) {
                    if (vel.size() <= i) {
                        vel.add(backend.allocate(DType.FLOAT32, p.value().shape()));
                    }
                    backend.kernels(TrainingKernels.class).sgdStep(p.value(), p.grad(), vel.get(i++), 0.05f, 0.9f, 0f);
                }
            }
            vel.forEach(Tensor::close);
            assertTrue(last < 0.5 * first, "loss falls from " + first + " to " + last);
        }
    }
}
