package io.siman.models.train;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.TrainingKernels;
import io.siman.api.Parameter;
import io.siman.api.Tensor;
import io.siman.models.nets.Network;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The optimizer of docs/method.md section 6 and its state: SGD with momentum and the weight decay of each
 * parameter's role, one velocity per parameter (zero at the start; checkpoints save and restore them). A
 * {@link TrainingStep} updates through it; Spark's driver holds one to carry the averaged velocities between rounds.
 */
public final class SgdMomentum implements AutoCloseable {
    private final TrainingKernels k;
    private final double momentum;
    private final Map<Parameter, Tensor> velocity = new LinkedHashMap<>();
    private final Map<Parameter, Float> decay = new LinkedHashMap<>();

    /**
     * @param weightDecay          the base weight decay (regular parameters)
     * @param binarizedWeightDecay weight decay of binarized weights and alphas; null applies the binarizer's rule
     */
    public SgdMomentum(Backend backend, Network net, Binarizer binarizer, double momentum, double weightDecay, Double binarizedWeightDecay) {
        // training needs the training group: a backend without it is refused here, before anything is allocated
        this.k = backend.kernels(TrainingKernels.class);
        this.momentum = momentum;
        for (Parameter p : net.parameters()) {
            velocity.put(p, backend.allocate(p.value().shape()));
            decay.put(p, (float) weightDecay(p, binarizer, weightDecay, binarizedWeightDecay));
        }
    }

    /** The optimizer of a run's configuration. */
    public static SgdMomentum of(Backend backend, Network net, Binarizer binarizer, TrainingConfig config) {
        return new SgdMomentum(backend, net, binarizer, config.momentum(), config.weightDecay(), config.binarizedWeightDecay());
    }

    /** Weight decay by role (docs/method.md section 4 and 6): SiMaN exempts its binarized weights and alphas, the baselines do not. */
    static double weightDecay(Parameter p, Binarizer binarizer, double base, Double binarized) {
        return switch (p.role()) {
            case REGULAR -> base;
            case BINARIZED_WEIGHT, BINARIZED_SCALE -> binarized != null ? binarized
                    : (binarizer.decaysLatentWeights() && p.role() == Parameter.Role.BINARIZED_WEIGHT ? base : 0.0);
        };
    }

    /** The state, by parameter, for checkpoints. */
    public Map<Parameter, Tensor> velocities() {
        return velocity;
    }

    /** One update of every parameter from its gradient, with learning rate {@code lr}. */
    public void update(double lr) {
        for (Map.Entry<Parameter, Tensor> e : velocity.entrySet()) {
            Parameter prm = e.getKey();
            k.sgdStep(prm.value(), prm.grad(), e.getValue(), (float) lr, (float) momentum, decay.get(prm));
        }
    }

    @Override
    public void close() {
        velocity.values().forEach(Tensor::close);
    }
}
