package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.api.steps.ResidualTrainingSteps;

/** Batch normalization over [N, C, H, W] (2d) or [N, C] (1d): momentum 0.1, eps 1e-5 (docs/method.md section 6). */
public final class BatchNorm extends LayerBase {
    public static final float MOMENTUM = 0.1f;
    public static final float EPS = 1e-5f;

    final int channels;
    final Parameter gamma, beta;
    final Tensor runningMean, runningVar;
    private final Work out = work(), saveMean = work(), saveInvStd = work(), dx = work();
    private Tensor x;
    private BinaryConv2d foldedInto;
    private final ResidualTrainingSteps residualSteps;

    public BatchNorm(Backend backend, String name, int channels, float gammaInit) {
        super(backend, name);
        this.channels = channels;
        Shape s = Shape.of(channels);
        this.gamma = parameter("weight", Init.constant(channels, gammaInit), s, Parameter.Role.REGULAR);
        this.beta = parameter("bias", new float[channels], s, Parameter.Role.REGULAR);
        this.runningMean = buffer("running_mean", new float[channels], s);
        this.runningVar = buffer("running_var", Init.constant(channels, 1f), s);
        this.residualSteps = ResidualTrainingSteps.of(backend);
    }

    /** Marks this batch norm as applied by the convolution before it during evaluation. */
    void foldedInto(BinaryConv2d conv) {
        this.foldedInto = conv;
    }

    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        if (foldedInto != null) {
            return x; // applied by the convolution's folded affine
        }
        return graph.batchNorm(name(), x, host(gamma.value()), host(beta.value()), host(runningMean), host(runningVar), EPS);
    }

    public Tensor runningMean() {
        return runningMean;
    }

    public Tensor runningVar() {
        return runningVar;
    }

    @Override
    public Shape outputShape(Shape input) {
        if ((input.rank() != 2 && input.rank() != 4) || input.dim(1) != channels) {
            throw new ShapeMismatchException(name() + " expects [N, " + channels + "] or [N, " + channels + ", H, W], got " + input);
        }
        return input;
    }

    @Override
    protected Tensor computeForward(Tensor input, TrainingProgress progress) {
        outputShape(input.shape());
        x = input;
        if (!progress.training() && foldedInto != null) {
            return input; // the convolution before applied this normalization in its folded affine
        }
        Tensor y = out.get(input.shape());
        if (progress.training()) {
            training().batchNormTraining(input, gamma.value(), beta.value(), runningMean, runningVar, MOMENTUM, EPS, y,
                    saveMean.get(Shape.of(channels)), saveInvStd.get(Shape.of(channels)));
        } else {
            k.batchNormInference(input, gamma.value(), beta.value(), runningMean, runningVar, EPS, y);
        }
        return y;
    }

    /**
     * The training pass with what follows it in a residual block fused in ({@link ResidualTrainingSteps#batchNormAddPrelu}):
     * {@code sum = batchNorm(input) + residual}, {@code y = prelu(sum, slope)}; this layer's normalized output is
     * never written. Its backward pass is the usual one.
     */
    void trainingForwardAddPrelu(Tensor input, Tensor residual, Tensor slope, Tensor sum, Tensor y) {
        outputShape(input.shape());
        x = input;
        residualSteps.batchNormAddPrelu(input, gamma.value(), beta.value(), runningMean, runningVar, MOMENTUM, EPS, residual,
                slope, sum, y, saveMean.get(Shape.of(channels)), saveInvStd.get(Shape.of(channels)));
        fusedInto(input.shape(), input.shape());
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        requireForward(x, name());
        Tensor d = dx.get(x.shape());
        training().batchNormBackward(x, dy, gamma.value(), saveMean.get(Shape.of(channels)), saveInvStd.get(Shape.of(channels)),
                d, gamma.grad(), beta.grad());
        return d;
    }
}
