package io.siman.models.train;

import io.siman.api.Backend;
import io.siman.api.DType;
import io.siman.api.Kernels;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.models.data.Dataset;
import io.siman.models.nets.Network;
import io.siman.models.progress.ProgressListener;

/** Evaluates a network on a dataset in evaluation mode (running statistics, frozen bits). */
public final class Evaluation {
    private Evaluation() {
    }

    public static EvalResult run(Backend backend, Network network, Dataset data, int[] indices, int batch) {
        return run(backend, network, data, indices, batch, ProgressListener.NONE);
    }

    /** As {@link #run(Backend, Network, Dataset, int[], int)}, reporting each batch to {@code progress}. */
    public static EvalResult run(Backend backend, Network network, Dataset data, int[] indices, int batch, ProgressListener progress) {
        long t0 = System.nanoTime();
        Kernels k = backend.kernels();
        double lossSum = 0;
        int correct = 0, top5 = 0, classes = network.spec().classes();
        Tensor x = null, y = null, probs = null, losses = null;
        try (Batches batches = new Batches(data, indices, batch, false, 0, 0)) {
            while (batches.hasNext()) {
                Batches.Batch b = batches.next();
                if (x == null || x.shape().dim(0) != b.size()) {
                    closeAll(x, y, probs, losses);
                    x = backend.allocate(network.inputShape(b.size()));
                    y = backend.allocate(DType.INT32, Shape.of(b.size()));
                    probs = backend.allocate(Shape.of(b.size(), classes));
                    losses = backend.allocate(Shape.of(b.size()));
                }
                backend.write(x, b.images());
                backend.write(y, b.labels());
                Tensor logits = network.forward(x, TrainingProgress.EVAL);
                k.softmaxCrossEntropy(logits, y, probs, losses);
                for (float l : backend.downloadFloats(losses)) {
                    lossSum += l;
                }
                float[] p = backend.downloadFloats(probs);
                for (int i = 0; i < b.size(); i++) {
                    int rank = rankOfLabel(p, i * classes, classes, b.labels()[i]);
                    correct += rank == 0 ? 1 : 0;
                    top5 += rank < 5 ? 1 : 0;
                }
                progress.update(b.index() + 1, batches.count(), String.format(java.util.Locale.ROOT, "%.0f images/s",
                        (b.index() + 1) * (double) batch / ((System.nanoTime() - t0) / 1e9)));
            }
        } finally {
            closeAll(x, y, probs, losses);
        }
        int n = indices.length;
        return new EvalResult(n == 0 ? 0 : lossSum / n, n == 0 ? 0 : correct / (double) n, n == 0 ? 0 : top5 / (double) n, n,
                (System.nanoTime() - t0) / 1e9);
    }

    /** How two networks agree on a dataset: predicted classes and logits. */
    public record Agreement(int count, int samePrediction, int identicalLogits, double maxAbsDifference) {
        public double fraction() {
            return count == 0 ? 1 : samePrediction / (double) count;
        }
    }

    /** Runs both networks on the same batches and compares their logits and predicted classes. */
    public static Agreement agreement(Backend backend, Network a, Network b, Dataset data, int[] indices, int batch) {
        int classes = a.spec().classes(), same = 0, identical = 0;
        double maxDiff = 0;
        try (Batches batches = new Batches(data, indices, batch, false, 0, 0)) {
            while (batches.hasNext()) {
                Batches.Batch bt = batches.next();
                try (Tensor x = backend.upload(bt.images(), a.inputShape(bt.size()))) {
                    float[] la = backend.downloadFloats(a.forward(x, TrainingProgress.EVAL));
                    float[] lb = backend.downloadFloats(b.forward(x, TrainingProgress.EVAL));
                    for (int i = 0; i < bt.size(); i++) {
                        int pa = 0, pb = 0;
                        boolean equal = true;
                        for (int j = 0; j < classes; j++) {
                            int at = i * classes + j;
                            pa = la[at] > la[i * classes + pa] ? j : pa;
                            pb = lb[at] > lb[i * classes + pb] ? j : pb;
                            equal &= la[at] == lb[at];
                            maxDiff = Math.max(maxDiff, Math.abs((double) la[at] - lb[at]));
                        }
                        same += pa == pb ? 1 : 0;
                        identical += equal ? 1 : 0;
                    }
                }
            }
        }
        return new Agreement(indices.length, same, identical, maxDiff);
    }

    /** How many classes score above the label (ties count against it, after lower indices). */
    static int rankOfLabel(float[] scores, int off, int classes, int label) {
        float s = scores[off + label];
        int rank = 0;
        for (int j = 0; j < classes; j++) {
            float v = scores[off + j];
            if (v > s || (v == s && j < label)) {
                rank++;
            }
        }
        return rank;
    }

    static void closeAll(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null) {
                t.close();
            }
        }
    }

    /** {@code 0..n-1}. */
    public static int[] range(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }
}
