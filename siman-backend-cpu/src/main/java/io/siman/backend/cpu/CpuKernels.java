package io.siman.backend.cpu;

import io.siman.api.Activation;
import io.siman.api.BitwiseKernels;
import io.siman.api.ConvGeometry;
import io.siman.api.Encoding;
import io.siman.api.KernelShapes;
import io.siman.api.Kernels;
import io.siman.api.PoolGeometry;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;
import io.siman.api.steps.ActivationPackingSteps;
import io.siman.api.steps.BinaryActivationSteps;
import io.siman.api.steps.IrNetSteps;
import io.siman.api.steps.BinaryBlockSteps;
import io.siman.api.steps.BinaryInputGradientSteps;
import io.siman.api.steps.BinaryWeightGradientSteps;
import io.siman.api.steps.BinaryWeightSteps;
import io.siman.api.steps.ResidualTrainingSteps;
import io.siman.api.steps.ShortcutSteps;
import io.siman.api.steps.SimanSteps;
import io.siman.api.steps.XnorSteps;

import java.util.Map;
import java.util.Optional;

/**
 * The CPU backend's entry points to the kernel contract: the core, both capability groups and its own versions of
 * every built-in step family, each delegating to the kernel family that implements it (one file per family:
 * {@link ElementwiseKernels}, {@link DenseKernels}, {@link ConvolutionKernels}, {@link ChannelKernels},
 * {@link ActivationKernels}, {@link PoolingKernels}, {@link LossAndOptimizerKernels}, {@link RowStatisticsKernels},
 * {@link WeightStepKernels}, {@link BitwiseConvolutionKernels}). The families get the plain or the vector
 * implementations of their loops from the one {@link Vectorization} choice. Loops are split across threads by output
 * element (samples, channels or rows), so each output is computed by one thread in a fixed order.
 */
final class CpuKernels implements Kernels, TrainingKernels, BitwiseKernels,
        SimanSteps, XnorSteps, IrNetSteps, BinaryActivationSteps, ShortcutSteps, BinaryBlockSteps,
        ResidualTrainingSteps, ActivationPackingSteps, BinaryWeightSteps, BinaryInputGradientSteps,
        BinaryWeightGradientSteps {
    /**
     * Backend property (or system property {@code siman.cpu.portableSteps}): {@code true} hides this backend's own step
     * families, so binarizers and layers run the portable defaults on its kernels (to measure what they cost).
     */
    static final String PORTABLE_STEPS = "cpu.portableSteps";

    private final MatMul gemm;
    private final boolean portableSteps;
    private final ElementwiseKernels elementwise;
    private final DenseKernels dense;
    private final ConvolutionKernels convolution;
    private final ChannelKernels channels;
    private final ActivationKernels activations;
    private final PoolingKernels pooling;
    private final LossAndOptimizerKernels lossAndOptimizer;
    private final RowStatisticsKernels rowStatistics;
    private final WeightStepKernels weightSteps;
    private final BitwiseConvolutionKernels bitwise;
    private final String bitPath;

    CpuKernels(CpuBackend backend, Parallel par, Vectorization.Choice path, boolean portableSteps) {
        this.gemm = path.matMul();
        this.portableSteps = portableSteps;
        Reductions red = path.reductions();
        this.elementwise = new ElementwiseKernels(backend, par);
        this.dense = new DenseKernels(backend, par, gemm);
        this.convolution = new ConvolutionKernels(backend, par, gemm, path.convolution());
        this.channels = new ChannelKernels(backend, par, red, path.pointwise());
        this.activations = new ActivationKernels(backend, par, red, path.pointwise());
        this.pooling = new PoolingKernels(backend, par, path.pointwise());
        this.lossAndOptimizer = new LossAndOptimizerKernels(backend, par);
        this.rowStatistics = new RowStatisticsKernels(backend, par, red);
        this.weightSteps = new WeightStepKernels(backend, par, red);
        this.bitwise = new BitwiseConvolutionKernels(backend, par, path.bitKernels(), red);
        this.bitPath = path.bitKernels().describe();
    }

    static boolean portableSteps(Map<String, String> properties) {
        return Boolean.parseBoolean(properties.getOrDefault(PORTABLE_STEPS, System.getProperty("siman." + PORTABLE_STEPS, "false")));
    }

    /** Which matrix-multiply path the float kernels use. */
    String matMulPath() {
        return gemm.describe();
    }

    /** Which popcount strategy the bit kernels use. */
    String bitPath() {
        return bitPath;
    }

    @Override
    public <G> Optional<G> as(Class<G> type) {
        if (portableSteps && type != TrainingKernels.class && type != BitwiseKernels.class) {
            return Optional.empty();
        }
        return Kernels.super.as(type);
    }

    // ---------------------------------------------------------------- Kernels

    @Override
    public void fill(Tensor x, float value) {
        elementwise.fill(x, value);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        elementwise.copy(src, dst);
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        elementwise.add(a, b, out);
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        elementwise.axpy(alpha, x, y);
    }

    @Override
    public void sign(Tensor x, Tensor out) {
        elementwise.sign(x, out);
    }

    @Override
    public void mulSign(Tensor x, Tensor s, Tensor out) {
        elementwise.mulSign(x, s, out);
    }

    @Override
    public void linearForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        dense.linearForward(x, w, bias, y);
    }

    @Override
    public void conv2dForward(ConvGeometry g, Tensor x, Tensor w, Tensor y) {
        convolution.conv2dForward(g, x, w, y);
    }

    @Override
    public void channelScale(Tensor x, Tensor scale, Tensor y) {
        channels.channelScale(x, scale, y);
    }

    @Override
    public void channelAffine(Tensor x, Tensor scale, Tensor bias, Tensor y) {
        channels.channelAffine(x, scale, bias, y);
    }

    @Override
    public void rowScale(Tensor x, Tensor scale, Tensor y) {
        channels.rowScale(x, scale, y);
    }

    @Override
    public void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps, Tensor y) {
        channels.batchNormInference(x, gamma, beta, runningMean, runningVar, eps, y);
    }

    @Override
    public void activation(Activation kind, Tensor x, Tensor y) {
        activations.activation(kind, x, y);
    }

    @Override
    public void prelu(Tensor x, Tensor slope, Tensor y) {
        activations.prelu(x, slope, y);
    }

    @Override
    public void maxPool2d(PoolGeometry g, Tensor x, Tensor y, Tensor argmax) {
        pooling.maxPool2d(g, x, y, argmax);
    }

    @Override
    public void avgPool2d(PoolGeometry g, Tensor x, Tensor y) {
        pooling.avgPool2d(g, x, y);
    }

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor losses) {
        lossAndOptimizer.softmaxCrossEntropy(logits, labels, probs, losses);
    }

    @Override
    public void rowMean(Tensor x, Tensor mean) {
        rowStatistics.rowMean(x, mean);
    }

    @Override
    public void rowStandardize(Tensor x, float eps, Tensor z, Tensor mean, Tensor invStd) {
        rowStatistics.rowStandardize(x, eps, z, mean, invStd);
    }

    @Override
    public void rowSubtract(Tensor x, Tensor values, Tensor y) {
        elementwise.rowSubtract(x, values, y);
    }

    @Override
    public void rowAbsMean(Tensor x, Tensor mean) {
        rowStatistics.rowAbsMean(x, mean);
    }

    @Override
    public void topMagnitudes(Tensor x, Tensor counts, float high, float low, Tensor y) {
        rowStatistics.topMagnitudes(x, counts, high, low, y);
    }

    @Override
    public void magnitudePercentiles(Tensor x, float lowPercent, float highPercent, Tensor bounds) {
        rowStatistics.magnitudePercentiles(x, lowPercent, highPercent, bounds);
    }

    @Override
    public void clampMagnitudes(Tensor x, Tensor bounds, Tensor y) {
        elementwise.clampMagnitudes(x, bounds, y);
    }

    @Override
    public void maskByMagnitude(Tensor x, float limit, Tensor a, Tensor y) {
        elementwise.maskByMagnitude(x, limit, a, y);
    }

    @Override
    public void copyChannels(Tensor src, int srcChannel, Tensor dst, int dstChannel, int count) {
        elementwise.copyChannels(src, srcChannel, dst, dstChannel, count);
    }

    // ---------------------------------------------------------------- TrainingKernels

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias) {
        dense.linearBackward(x, w, dy, dx, dw, dbias);
    }

    @Override
    public void conv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        convolution.conv2dBackwardData(g, dy, w, dx);
    }

    @Override
    public void conv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        convolution.conv2dBackwardWeights(g, x, dy, dw);
    }

    @Override
    public void channelScaleBackward(Tensor x, Tensor scale, Tensor dy, Tensor dx, Tensor dscale) {
        channels.channelScaleBackward(x, scale, dy, dx, dscale);
    }

    @Override
    public void rowScaleBackward(Tensor x, Tensor dy, Tensor dscale) {
        channels.rowScaleBackward(x, dy, dscale);
    }

    @Override
    public void batchNormTraining(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float momentum, float eps, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        channels.batchNormTraining(x, gamma, beta, runningMean, runningVar, momentum, eps, y, saveMean, saveInvStd);
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta) {
        channels.batchNormBackward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
    }

    @Override
    public void activationBackward(Activation kind, Tensor x, Tensor dy, Tensor dx) {
        activations.activationBackward(kind, x, dy, dx);
    }

    @Override
    public void preluBackward(Tensor x, Tensor slope, Tensor dy, Tensor dx, Tensor dslope) {
        activations.preluBackward(x, slope, dy, dx, dslope);
    }

    @Override
    public void maxPool2dBackward(PoolGeometry g, Tensor dy, Tensor argmax, Tensor dx) {
        pooling.maxPool2dBackward(g, dy, argmax, dx);
    }

    @Override
    public void avgPool2dBackward(PoolGeometry g, Tensor dy, Tensor dx) {
        pooling.avgPool2dBackward(g, dy, dx);
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, float scale, Tensor dlogits) {
        lossAndOptimizer.softmaxCrossEntropyBackward(probs, labels, scale, dlogits);
    }

    @Override
    public void rowStandardizeBackward(Tensor z, Tensor invStd, Tensor dz, Tensor dx) {
        rowStatistics.rowStandardizeBackward(z, invStd, dz, dx);
    }

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay) {
        lossAndOptimizer.sgdStep(param, grad, velocity, lr, momentum, weightDecay);
    }

    // ---------------------------------------------------------------- BitwiseKernels

    @Override
    public void packWeights(Tensor s, Tensor bits) {
        bitwise.packWeights(s, bits);
    }

    @Override
    public void packActivations(Tensor x, Tensor threshold, Tensor bits) {
        bitwise.packActivations(x, threshold, bits);
    }

    @Override
    public void meanAndPack(Tensor x, Tensor mean, Tensor bits) {
        bitwise.meanAndPack(x, mean, bits);
    }

    @Override
    public void binaryConv2d(ConvGeometry g, Encoding encoding, Tensor xBits, Tensor wBits, Tensor scale, Tensor bias, Tensor y) {
        bitwise.binaryConv2d(g, encoding, xBits, wBits, scale, bias, y);
    }

    // ---------------------------------------------------------------- BinaryBlockSteps

    @Override
    public void binaryConv2dAddPrelu(ConvGeometry g, Encoding encoding, Tensor xBits, Tensor wBits, Tensor scale, Tensor bias,
                                     Tensor residual, Tensor slope, Tensor y) {
        bitwise.binaryConv2dAddPrelu(g, encoding, xBits, wBits, scale, bias, residual, slope, y);
    }

    // ---------------------------------------------------------------- SimanSteps

    @Override
    public void simanClip(Tensor w, float percent) {
        weightSteps.simanClip(w, percent);
    }

    @Override
    public void topHalfBits(Tensor z, Encoding encoding, Tensor s) {
        weightSteps.topHalfBits(z, encoding, s);
    }

    // ---------------------------------------------------------------- XnorSteps

    @Override
    public void xnorWeights(Tensor w, Tensor s, Tensor scale) {
        weightSteps.xnorWeights(w, s, scale);
    }

    @Override
    public void clippedStraightThrough(Tensor w, Tensor ds, Tensor scale, float limit, Tensor dw) {
        weightSteps.clippedStraightThrough(w, ds, scale, limit, dw);
    }

    // ---------------------------------------------------------------- IrNetSteps

    @Override
    public void irnetWeights(Tensor z, Tensor s, Tensor scale) {
        weightSteps.irnetWeights(z, s, scale);
    }

    @Override
    public void edeBackward(Tensor z, Tensor ds, Tensor scale, float t, float k, Tensor dz) {
        weightSteps.edeBackward(z, ds, scale, t, k, dz);
    }

    // ---------------------------------------------------------------- BinaryActivationSteps

    @Override
    public void approxSignBackward(Tensor a1, Tensor dxb, Tensor da1) {
        activations.approxSignBackward(a1, dxb, da1);
    }

    @Override
    public void binaryActivationBackward(Tensor x, Tensor mean, Tensor invStd, Tensor dxb, Tensor dx) {
        activations.binaryActivationBackward(x, mean, invStd, dxb, dx);
    }

    @Override
    public void binaryConv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        convolution.binaryConv2dBackwardData(g, dy, w, dx);
    }

    @Override
    public void binaryConv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor threshold, Tensor dy, Tensor dw) {
        convolution.binaryConv2dBackwardWeights(g, x, threshold, dy, dw);
    }

    // ---------------------------------------------------------------- BinaryInputGradientSteps

    @Override
    public void binaryConv2dInputGradient(ConvGeometry g, Tensor dy, Tensor w, Tensor x, Tensor mean, Tensor invStd, Tensor addend,
                                          Tensor dx) {
        String op = "binaryConv2dInputGradient";
        KernelShapes.expect(op, "x", x, g.inputShape());
        convolution.binaryConv2dBackwardData(op, g, dy, w, activations.throughSign(op, x, mean, invStd, addend, dx));
    }

    // ---------------------------------------------------------------- BinaryWeightGradientSteps

    @Override
    public void binaryConv2dBackwardWeightsFromBits(ConvGeometry g, Tensor x, Tensor threshold, Tensor xBits, Tensor dy, Tensor dw) {
        convolution.binaryConv2dBackwardWeightsFromBits(g, x, threshold, xBits, dy, dw);
    }

    // ---------------------------------------------------------------- ResidualTrainingSteps

    @Override
    public void batchNormAddPrelu(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float momentum,
                                  float eps, Tensor residual, Tensor slope, Tensor sum, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        channels.batchNormAddPrelu(x, gamma, beta, runningMean, runningVar, momentum, eps, residual, slope, sum, y, saveMean, saveInvStd);
    }

    @Override
    public void binaryActivationBackwardAdd(Tensor x, Tensor mean, Tensor invStd, Tensor dxb, Tensor addend, Tensor dx) {
        activations.binaryActivationBackwardAdd(x, mean, invStd, dxb, addend, dx);
    }

    // ---------------------------------------------------------------- ShortcutSteps

    @Override
    public void shortcutA(Tensor x, Tensor y) {
        pooling.shortcutA(x, y);
    }

    @Override
    public void shortcutABackward(Tensor dy, Tensor dx) {
        pooling.shortcutABackward(dy, dx);
    }
}
