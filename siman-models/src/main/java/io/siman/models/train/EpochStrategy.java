package io.siman.models.train;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.models.data.Dataset;
import io.siman.models.nets.Network;

/**
 * How one epoch of training is carried out. {@link Trainer} owns everything around it, the same for every strategy:
 * building the network and its optimizer, resuming, the learning-rate schedule, evaluation, metrics, checkpoints
 * and the best epoch. The strategy trains the network in place: when {@link #trainEpoch} returns, the network's
 * parameters, batch-norm statistics and the optimizer's velocities hold the epoch's result. The default strategy
 * is {@link LocalSteps} (one process, step by step); Spark's synchronous rounds of model averaging are another.
 */
public interface EpochStrategy extends AutoCloseable {
    /** What a strategy works on: the run's network, its optimizer state, the configuration and the training data. */
    record Run(Backend backend, BinarizerRegistry binarizers, Network net, SgdMomentum optimizer, TrainingConfig config,
               Dataset train, int[] trainIndices, TrainingListener listener) {
    }

    /** What an epoch measured: summed loss and correct count over {@code seen} training images, in {@code steps} steps. */
    record Outcome(double lossSum, int correct, int seen, int steps) {
    }

    /**
     * Trains epoch {@code epoch} at learning rate {@code lr}; {@code stepsBefore} counts the steps of earlier epochs.
     * Calls the listener's {@code epochStarted} and {@code batchFinished}.
     */
    Outcome trainEpoch(Run run, int epoch, double lr, int stepsBefore);

    /** Where the run's random choices come from, as the checkpoint records it. */
    String randomness(TrainingConfig config);

    @Override
    default void close() {
    }

    /** Single-process training: the epoch's shuffled batches, one {@link TrainingStep} each. */
    final class LocalSteps implements EpochStrategy {
        private TrainingStep step;

        @Override
        public Outcome trainEpoch(Run run, int epoch, double lr, int stepsBefore) {
            TrainingConfig config = run.config();
            if (step == null) {
                step = new TrainingStep(run.backend(), run.net(), run.optimizer());
            }
            long t0 = System.nanoTime();
            int[] order = Batches.shuffled(run.trainIndices(), Batches.mix(config.seed(), epoch, -1));
            io.siman.api.TrainingProgress progress = io.siman.api.TrainingProgress.training(epoch, config.epochs());
            double lossSum = 0;
            int correct = 0, seen = 0, steps = 0;
            try (Batches batches = new Batches(run.train(), order, config.batch(), true, config.seed(), epoch)) {
                run.listener().epochStarted(epoch, config.epochs(), lr, batches.count());
                while (batches.hasNext()) {
                    Batches.Batch b = batches.next();
                    if (b.size() < 2) {
                        continue; // batch norm cannot train on one sample (PyTorch refuses it too)
                    }
                    if (stepsBefore + steps == Faults.nanAtStep()) {
                        java.util.Arrays.fill(b.images(), Float.NaN); // injected numerical fault (reliability tests)
                    }
                    TrainingStep.Outcome o = step.run(b.images(), b.labels(), b.size(), lr, progress);
                    if (!Double.isFinite(o.lossSum())) {
                        throw new TrainingDivergedException(epoch, b.index(), o.lossSum() / b.size(), lr);
                    }
                    lossSum += o.lossSum();
                    correct += o.correct();
                    seen += b.size();
                    steps++;
                    double elapsed = (System.nanoTime() - t0) / 1e9;
                    run.listener().batchFinished(epoch, b.index(), batches.count(), lossSum / seen, seen / elapsed);
                }
            }
            return new Outcome(lossSum, correct, seen, steps);
        }

        @Override
        public String randomness(TrainingConfig config) {
            return "derived from seed " + config.seed() + ", epoch and batch";
        }

        @Override
        public void close() {
            if (step != null) {
                step.close();
            }
        }
    }
}
