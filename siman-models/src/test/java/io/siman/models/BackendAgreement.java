package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.api.Parameter;
import io.siman.api.TrainingProgress;
import io.siman.models.data.Dataset;
import io.siman.models.data.Datasets;
import io.siman.models.inference.ModelExport;
import io.siman.models.inference.Predictor;
import io.siman.models.io.Checkpoint;
import io.siman.models.nets.Network;
import io.siman.models.train.Batches;
import io.siman.models.train.Evaluation;
import io.siman.models.train.Models;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingStep;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a device backend is checked against the CPU backend at the level of networks (shared by the OpenCL backend's
 * tests here and the TornadoVM backend's, through this module's test jar).
 *
 * <p>Training steps start both backends from the same state (the reference network's parameters, buffers and
 * optimizer state copied into the candidate's). The two compute the same arithmetic in float with different
 * summation orders, so they differ by rounding, about 1e-7 relative in the loss: full precision always agrees to
 * 1e-5, with the same gradient. A binary network is not continuous, though: an activation within rounding of its
 * sample's mean, or a weight magnitude within rounding of the top-half boundary, takes the other sign on one backend,
 * which moves the loss by about a percent and turns the gradient by a few degrees (measured on the OpenCL backend:
 * one step in five). So SiMaN's losses must agree to 1e-5 in most steps and to 5% in every step, and its gradients
 * point the same way. (Free-running trajectories would drift apart after the first flip, on one backend too.)
 */
public final class BackendAgreement {
    private static final BinarizerRegistry BINARIZERS = BinarizerRegistry.discover();

    private BackendAgreement() {
    }

    /**
     * {@code steps} ResNet-20 steps of {@code batch} real Fashion-MNIST images on both backends, each from the
     * reference's state: every loss within 5%, at least {@code exactSteps} within 1e-5 (with a gradient cosine over
     * 0.9999; over 0.5 otherwise), and every candidate tensor released afterwards.
     */
    public static void trainingSteps(Backend reference, Backend candidate, String binarizer, int steps, int exactSteps, int batch) {
        TrainingConfig cfg = new TrainingConfig("resnet20", "fashion-mnist", binarizer, Encoding.PM1, 2, batch, 0.1, 0.9, 5e-4, null, 0, 9, 0, 0);
        Dataset data = Datasets.open("fashion-mnist", null, Datasets.Split.TRAIN);
        String name = candidate.name();
        int exact = 0;
        long before = candidate.liveTensors();
        try (Network nr = Models.build(reference, BINARIZERS, cfg, new int[]{1, 32, 32}, 10);
             Network nc = Models.build(candidate, BINARIZERS, cfg, new int[]{1, 32, 32}, 10);
             TrainingStep sr = new TrainingStep(reference, nr, BINARIZERS.get(binarizer), 0.9, 5e-4, null);
             TrainingStep sc = new TrainingStep(candidate, nc, BINARIZERS.get(binarizer), 0.9, 5e-4, null);
             Batches batches = new Batches(data, Batches.shuffled(Evaluation.range(data.size()), 3), batch, true, 3, 0)) {
            for (int s = 0; s < steps; s++) {
                Checkpoint state = new Checkpoint(Map.of(), Map.of(), Map.of(), Models.snapshot(reference, nr, sr.velocities()));
                Models.restore(candidate, nc, sc.velocities(), state, Path.of("state"));
                Batches.Batch b = batches.next();
                TrainingProgress p = TrainingProgress.training(0, 2);
                double lr = sr.run(b.images(), b.labels(), b.size(), 0.1, p).lossSum() / b.size();
                double lc = sc.run(b.images(), b.labels(), b.size(), 0.1, p).lossSum() / b.size();
                double rel = Math.abs(lr - lc) / lr;
                assertTrue(rel < 0.05, binarizer + " step " + s + ": loss " + lc + " on " + name + ", " + lr + " on " + reference.name());
                exact += rel < 1e-5 ? 1 : 0;
                double dot = 0, na = 0, nb = 0;
                for (Parameter prm : nr.parameters()) {
                    float[] u = reference.downloadFloats(prm.grad()), v = candidate.downloadFloats(param(nc, prm.name()).grad());
                    for (int i = 0; i < u.length; i++) {
                        dot += (double) u[i] * v[i];
                        na += (double) u[i] * u[i];
                        nb += (double) v[i] * v[i];
                    }
                }
                double cosine = dot / Math.sqrt(na * nb);
                assertTrue(cosine > (rel < 1e-5 ? 0.9999 : 0.5), binarizer + " step " + s + ": gradient cosine " + cosine);
            }
        }
        assertEquals(before, candidate.liveTensors(), "every tensor of the networks and the steps is released on " + name);
        assertTrue(exact >= exactSteps, binarizer + ": " + exact + " of " + steps + " steps agree to 1e-5");
    }

    private static Parameter param(Network n, String name) {
        return n.parameters().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    /** How far bitwise inference on two backends agrees: predicted classes, and logit rows equal to rounding. */
    public record Predictions(int count, int sameClass, int closeLogits) {
    }

    /**
     * A random ResNet-20 exported on {@code reference}, run bitwise on both backends over the first {@code n} test
     * images; the candidate's predictor releases every tensor it held.
     */
    public static Predictions bitwisePredictions(Backend reference, Backend candidate, Path dir, int n) {
        Path model = ModelExport.randomModel(reference, BINARIZERS, "resnet20", "siman", Encoding.PM1, "fashion-mnist", 6, dir);
        Dataset test = Datasets.open("fashion-mnist", null, Datasets.Split.TEST);
        int per = 1024;
        float[] x = new float[n * per];
        test.batch(Evaluation.range(n), 0, n, null, x, new int[n]);
        float[] lr, lc;
        int[] cr, cc;
        try (Predictor p = Predictor.load(reference, BINARIZERS, model)) {
            lr = p.logits(x, n);
            cr = p.classify(x, n);
        }
        long before = candidate.liveTensors();
        try (Predictor p = Predictor.load(candidate, BINARIZERS, model)) {
            lc = p.logits(x, n);
            cc = p.classify(x, n);
        }
        assertEquals(before, candidate.liveTensors(), "the predictor releases its tensors on " + candidate.name());
        int same = 0, close = 0;
        for (int i = 0; i < n; i++) {
            same += cr[i] == cc[i] ? 1 : 0;
            boolean rowClose = true;
            for (int j = 0; j < 10; j++) {
                rowClose &= Math.abs(lr[i * 10 + j] - lc[i * 10 + j]) <= 1e-3 * (1 + Math.abs(lr[i * 10 + j]));
            }
            close += rowClose ? 1 : 0;
        }
        return new Predictions(n, same, close);
    }
}
