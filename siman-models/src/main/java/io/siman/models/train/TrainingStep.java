package io.siman.models.train;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.DType;
import io.siman.api.Kernels;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.models.nets.Network;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One SGD step of docs/method.md section 6 on one batch: forward, softmax cross-entropy, backward, and the update of
 * every parameter with momentum and the weight decay of its role. Holds the optimizer state (one velocity per
 * parameter) and the batch's tensors, which it reuses while the batch size stays the same, so a step
 * allocates nothing on the backend. Used by the trainer and by the training benchmark, so both time the same work.
 */
public final class TrainingStep implements AutoCloseable {
    /** What one step measured: the summed loss of the batch and how many samples were classified right. */
    public record Outcome(double lossSum, int correct) {
    }

    private final Backend backend;
    private final Kernels k;
    private final Network net;
    private final double momentum;
    private final Map<Parameter, Tensor> velocity = new LinkedHashMap<>();
    private final Map<Parameter, Float> decay = new LinkedHashMap<>();
    private final int classes;
    private Tensor x, y, probs, losses, dlogits;

    /**
     * @param weightDecay         the base weight decay (regular parameters)
     * @param binarizedWeightDecay weight decay of binarized weights and alphas; null applies the binarizer's rule
     */
    public TrainingStep(Backend backend, Network net, Binarizer binarizer, double momentum, double weightDecay, Double binarizedWeightDecay) {
        this.backend = backend;
        this.k = backend.kernels();
        this.net = net;
        this.momentum = momentum;
        this.classes = net.spec().classes();
        for (Parameter p : net.parameters()) {
            velocity.put(p, backend.allocate(p.value().shape()));
            decay.put(p, (float) weightDecay(p, binarizer, weightDecay, binarizedWeightDecay));
        }
    }

    /** Weight decay by role (docs/method.md section 4 and 6): SiMaN exempts its binarized weights and alphas, the baselines do not. */
    static double weightDecay(Parameter p, Binarizer binarizer, double base, Double binarized) {
        return switch (p.role()) {
            case REGULAR -> base;
            case BINARIZED_WEIGHT, BINARIZED_SCALE -> binarized != null ? binarized
                    : (binarizer.decaysLatentWeights() && p.role() == Parameter.Role.BINARIZED_WEIGHT ? base : 0.0);
        };
    }

    /** The optimizer state, by parameter, for checkpoints. */
    public Map<Parameter, Tensor> velocities() {
        return velocity;
    }

    /**
     * Trains on one batch of {@code size} preprocessed images with learning rate {@code lr}. Returns the summed
     * loss (not finite when training diverged: nothing is updated then) and the correct count.
     */
    public Outcome run(float[] images, int[] labels, int size, double lr, TrainingProgress progress) {
        if (x == null || x.shape().dim(0) != size) {
            closeBatchTensors();
            x = backend.allocate(net.inputShape(size));
            y = backend.allocate(DType.INT32, Shape.of(size));
            probs = backend.allocate(Shape.of(size, classes));
            losses = backend.allocate(Shape.of(size));
            dlogits = backend.allocate(Shape.of(size, classes));
        }
        backend.write(x, images);
        backend.write(y, labels);
        Tensor logits = net.forward(x, progress);
        k.softmaxCrossEntropy(logits, y, probs, losses);
        double lossSum = 0;
        for (float l : backend.downloadFloats(losses)) {
            lossSum += l;
        }
        if (!Double.isFinite(lossSum)) {
            return new Outcome(lossSum, 0);
        }
        float[] p = backend.downloadFloats(probs);
        int correct = 0;
        for (int i = 0; i < size; i++) {
            correct += Evaluation.rankOfLabel(p, i * classes, classes, labels[i]) == 0 ? 1 : 0;
        }
        k.softmaxCrossEntropyBackward(probs, y, 1f / size, dlogits);
        net.backward(dlogits);
        for (Map.Entry<Parameter, Tensor> e : velocity.entrySet()) {
            Parameter prm = e.getKey();
            k.sgdStep(prm.value(), prm.grad(), e.getValue(), (float) lr, (float) momentum, decay.get(prm));
        }
        return new Outcome(lossSum, correct);
    }

    private void closeBatchTensors() {
        Evaluation.closeAll(x, y, probs, losses, dlogits);
        x = y = probs = losses = dlogits = null;
    }

    @Override
    public void close() {
        closeBatchTensors();
        velocity.values().forEach(Tensor::close);
    }
}
