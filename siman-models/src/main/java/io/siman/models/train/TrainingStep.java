package io.siman.models.train;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.DType;
import io.siman.api.Kernels;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;
import io.siman.api.TrainingProgress;
import io.siman.models.nets.Network;

import java.util.Map;

/**
 * One SGD step of docs/method.md section 6 on one batch: forward, softmax cross-entropy, backward, and the update of
 * every parameter by its {@link SgdMomentum} optimizer. Holds the optimizer and the batch's tensors, which it
 * reuses while the batch size stays the same, so a step allocates nothing on the backend. Used by the trainer, by
 * Spark's workers and by the training benchmark, so all time the same work.
 */
public final class TrainingStep implements AutoCloseable {
    /** What one step measured: the summed loss of the batch and how many samples were classified right. */
    public record Outcome(double lossSum, int correct) {
    }

    private final Backend backend;
    private final Kernels k;
    private final TrainingKernels training;
    private final Network net;
    private final SgdMomentum optimizer;
    private final boolean ownsOptimizer;
    private final int classes;
    private Tensor x, y, probs, losses, dlogits;

    /**
     * @param weightDecay         the base weight decay (regular parameters)
     * @param binarizedWeightDecay weight decay of binarized weights and alphas; null applies the binarizer's rule
     */
    public TrainingStep(Backend backend, Network net, Binarizer binarizer, double momentum, double weightDecay, Double binarizedWeightDecay) {
        this(backend, net, new SgdMomentum(backend, net, binarizer, momentum, weightDecay, binarizedWeightDecay), true);
    }

    /** Steps that update through {@code optimizer}, which the caller keeps (and closes). */
    public TrainingStep(Backend backend, Network net, SgdMomentum optimizer) {
        this(backend, net, optimizer, false);
    }

    private TrainingStep(Backend backend, Network net, SgdMomentum optimizer, boolean ownsOptimizer) {
        this.backend = backend;
        this.k = backend.kernels();
        this.training = backend.kernels(TrainingKernels.class);
        this.net = net;
        this.classes = net.spec().classes();
        this.optimizer = optimizer;
        this.ownsOptimizer = ownsOptimizer;
    }

    /** The optimizer state, by parameter, for checkpoints. */
    public Map<Parameter, Tensor> velocities() {
        return optimizer.velocities();
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
        training.softmaxCrossEntropyBackward(probs, y, 1f / size, dlogits);
        net.backward(dlogits);
        optimizer.update(lr);
        return new Outcome(lossSum, correct);
    }

    private void closeBatchTensors() {
        Evaluation.closeAll(x, y, probs, losses, dlogits);
        x = y = probs = losses = dlogits = null;
    }

    @Override
    public void close() {
        closeBatchTensors();
        if (ownsOptimizer) {
            optimizer.close();
        }
    }
}
