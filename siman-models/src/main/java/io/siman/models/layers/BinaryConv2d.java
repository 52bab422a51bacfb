package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.ConvGeometry;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.InferenceForm;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.api.WeightBinarization;
import io.siman.api.steps.BinaryActivationSteps;
import io.siman.api.steps.BinaryInputGradientSteps;
import io.siman.api.steps.BinaryWeightGradientSteps;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * A binarized convolution (docs/method.md sections 1 and 2): the input is standardized per sample and replaced by
 * its sign, the weights by the binarizer's effective weights; with SiMaN the result is scaled by a learned
 * per-channel alpha. Padding is applied after binarization (padded positions are 0). The convolution of
 * signs with binarized weights runs with bit operations in training and evaluation alike (the integer sums of
 * the float convolution, exactly), when the binarizer describes its weights as bits; the backward pass uses
 * the kernels for binary inputs, so no float copy of the signs is kept.
 */
public final class BinaryConv2d extends LayerBase {
    static final float ACTIVATION_EPS = 1e-5f;

    final int inChannels, outChannels, kernel, stride, padding;
    final Parameter weight;
    final Parameter alpha;
    final Binarizer binarizer;
    final Encoding encoding;
    private final WeightBinarization weights;
    private final BinaryActivationSteps activationSteps;
    private final BinaryInputGradientSteps inputGradientSteps;
    private final BinaryWeightGradientSteps weightGradientSteps;
    private final Work a1 = work(), mean = work(), invStd = work(), xb = work(), conv = work(), out = work();
    private final Work dEffective = work(), dRaw = work(), scaledWeights = work(), dx = work();
    private final Work affineScale = work(), scaledAffine = work(), affineBias = work(), packedInput = work(), packedWeights = work();
    private Tensor input, effective;
    /** The bits of {@code input}'s signs, when the training forward pass ran bitwise; else null. */
    private Tensor inputBits;
    private ConvGeometry g;
    private BatchNorm foldedNorm;

    public BinaryConv2d(Backend backend, String name, int inChannels, int outChannels, int kernel, int stride, int padding,
                        Binarizer binarizer, Encoding encoding, WeightInit init, SplittableRandom rnd) {
        super(backend, name);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.binarizer = binarizer;
        this.encoding = encoding;
        Shape ws = Shape.of(outChannels, inChannels, kernel, kernel);
        float[] w0 = Conv2d.initConv(init, rnd, ws);
        this.weight = parameter("weight", w0, ws, Parameter.Role.BINARIZED_WEIGHT);
        if (binarizer.learnsScale()) {
            // alpha starts at mean |w_c| of the initial weights (docs/method.md section 1.6)
            float[] a = new float[outChannels];
            int n = ws.rowLength();
            for (int c = 0; c < outChannels; c++) {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += Math.abs(w0[c * n + j]);
                }
                a[c] = (float) (s / n);
            }
            this.alpha = parameter("alpha", a, Shape.of(outChannels), Parameter.Role.BINARIZED_SCALE);
        } else {
            this.alpha = null;
        }
        this.weights = binarizer.create(backend, ws, encoding);
        this.activationSteps = BinaryActivationSteps.of(backend);
        this.inputGradientSteps = BinaryInputGradientSteps.of(backend);
        this.weightGradientSteps = BinaryWeightGradientSteps.of(backend);
    }

    /**
     * Folds the batch norm that directly follows this convolution into its inference affine: in evaluation
     * this layer then applies both and the batch norm passes its input through (as the exported model does).
     */
    public void foldNorm(BatchNorm norm) {
        if (norm.channels != outChannels) {
            throw new io.siman.api.ShapeMismatchException(name() + " cannot fold " + norm.name() + ": channel counts differ");
        }
        this.foldedNorm = norm;
        norm.foldedInto(this);
    }

    /** The batch norm folded into this convolution at inference, or null. */
    public BatchNorm foldedNorm() {
        return foldedNorm;
    }

    /** The inference affine: alpha, the binarizer's scale and the folded batch norm (see {@link Folding}). */
    public Folding.Affine inferenceAffine(InferenceForm form) {
        float[] a = alpha == null ? null : backend.downloadFloats(alpha.value());
        if (foldedNorm == null) {
            return Folding.of(outChannels, a, form.channelScale(), null, null, null, null, 0f);
        }
        return Folding.of(outChannels, a, form.channelScale(), backend.downloadFloats(foldedNorm.gamma.value()),
                backend.downloadFloats(foldedNorm.beta.value()), backend.downloadFloats(foldedNorm.runningMean),
                backend.downloadFloats(foldedNorm.runningVar), BatchNorm.EPS);
    }

    @Override
    public Shape outputShape(Shape in) {
        return Conv2d.geometry(name(), in, inChannels, outChannels, kernel, stride, padding).outputShape();
    }

    /**
     * Binarized weights count as bits and their products as binary (what inference runs), alpha as 32-bit;
     * with the full-precision binarizer everything is float.
     */
    @Override
    public Footprint footprint() {
        long n = (long) inChannels * kernel * kernel;
        return Footprint.weights(binarizer.binarizesActivations(), outChannels, n, alpha == null ? 0 : outChannels, outputsPerImage() * n);
    }

    /**
     * Evaluation in standard operators: full precision, a convolution with the binarizer's weights; binarized, the
     * sign at the sample mean, a convolution with the effective weights' values and the inference affine (alpha, the
     * binarizer's scale and the folded batch norm), as {@link BitwiseConv2d#describe} writes a model file's layer.
     */
    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        Shape ws = Shape.of(outChannels, inChannels, kernel, kernel);
        if (!binarizer.binarizesActivations()) {
            Tensor w = weights.forward(weight.value(), TrainingProgress.EVAL);
            return graph.conv(name(), x, host(w), ws.dims(), stride, padding);
        }
        InferenceForm form = weights.inferenceForm(weight.value());
        if (form == null) {
            throw new io.siman.api.SimanException(name() + ": binarizer '" + binarizer.name() + "' describes no inference form to export");
        }
        float[] w = host(form.effective());
        float zero = form.encoding() == Encoding.PM1 ? -1f : 0f;
        for (int i = 0; i < w.length; i++) {
            w[i] = w[i] > 0f ? 1f : zero; // the bits the engine runs
        }
        Folding.Affine affine = inferenceAffine(form);
        return BitwiseConv2d.describeBinarized(graph, name(), x, w, ws, stride, padding, affine.scale(), affine.bias());
    }

    @Override
    protected Tensor computeForward(Tensor x, TrainingProgress progress) {
        g = Conv2d.geometry(name(), x.shape(), inChannels, outChannels, kernel, stride, padding);
        input = x;
        inputBits = null;
        if (!binarizer.binarizesActivations()) {
            effective = weights.forward(weight.value(), progress);
            Tensor y = out.get(g.outputShape());
            k.conv2dForward(g, x, effective, y);
            return y;
        }
        int n = g.batch();
        if (!progress.training()) {
            return inferenceForward(x);
        }
        // the per-sample statistics: sign(a1) = +1 exactly where x >= mean; the backward pass recomputes a1
        Tensor m = mean.get(Shape.of(n)), s = invStd.get(Shape.of(n));
        effective = weights.forward(weight.value(), progress);
        InferenceForm form = weights.binaryForm();
        if (form != null) {
            // the same integer sums as the float convolution of the signs, by XNOR (or AND) and popcount, with
            // alpha applied by the same multiply (backward needs no copy of the unscaled output)
            k.rowStandardize(x, ACTIVATION_EPS, null, m, s);
            Tensor y = out.get(g.outputShape());
            inputBits = bitwiseConvolution(x, m, form.effective(), form.encoding(), form.channelScale(),
                    alpha == null ? null : alpha.value(), null, y);
            return y;
        }
        Tensor c = conv.get(g.outputShape()), z = a1.get(x.shape()), signs = xb.get(x.shape());
        k.rowStandardize(x, ACTIVATION_EPS, z, m, s);
        k.sign(z, signs);
        k.conv2dForward(g, signs, effective, c);
        if (alpha == null) {
            return c;
        }
        Tensor y = out.get(g.outputShape());
        k.channelScale(c, alpha.value(), y);
        return y;
    }

    /**
     * {@code y = fma(sum, extra[c] * alpha[c], bias[c])} where {@code sum} is the convolution of
     * {@code sign(x - threshold)} with the effective weights' bits; {@code extra}, {@code alpha} (multiplied in on the
     * device) and {@code bias} may be null. Returns the packed signs of {@code x}.
     */
    private Tensor bitwiseConvolution(Tensor x, Tensor threshold, Tensor effectiveWeights, Encoding enc, float[] extra, Tensor alpha,
                                    float[] bias, Tensor y) {
        Tensor xBits = packedInput.get(DType.INT64, g.packedInputShape()), wBits = packedWeights.get(DType.INT64, g.packedWeightShape());
        bitwise().packActivations(x, threshold, xBits);
        bitwise().packWeights(effectiveWeights, wBits);
        Tensor s = null, b = null;
        if (extra != null) {
            s = affineScale.get(Shape.of(outChannels));
            backend.write(s, extra);
        }
        if (alpha != null) {
            if (s == null) {
                s = alpha;
            } else {
                Tensor scaled = scaledAffine.get(Shape.of(outChannels));
                k.rowScale(s, alpha, scaled);
                s = scaled;
            }
        }
        if (bias != null) {
            b = affineBias.get(Shape.of(outChannels));
            backend.write(b, bias);
        }
        bitwise().binaryConv2d(g, enc, xBits, wBits, s, b, y);
        return xBits;
    }

    /**
     * Evaluation: integer sums of signs (the effective weights reduced to their bits), then the folded affine,
     * as one fused multiply-add, run with bit operations: exactly what {@link BitwiseConv2d} computes.
     */
    private Tensor inferenceForward(Tensor x) {
        InferenceForm form = weights.inferenceForm(weight.value());
        Tensor m = mean.get(Shape.of(g.batch()));
        k.rowMean(x, m);
        Folding.Affine affine = inferenceAffine(form);
        Tensor y = out.get(g.outputShape());
        bitwiseConvolution(x, m, form.effective(), form.encoding(), affine.scale(), null, affine.bias(), y);
        return y;
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        return backward(dy, null);
    }

    /**
     * The input gradient plus {@code addend} (another branch's gradient of the same input), the add fused into the
     * last pass where the activations are binarized ({@link BinaryInputGradientSteps#binaryConv2dInputGradient}).
     */
    Tensor backwardAdding(Tensor dy, Tensor addend) {
        return timedBackward(() -> backward(dy, addend));
    }

    /** The weight gradient of the input's signs at {@code m}: from their bits where the forward pass packed them. */
    private void weightGradientOfSigns(Tensor m, Tensor dy, Tensor dw) {
        if (inputBits != null) {
            weightGradientSteps.binaryConv2dBackwardWeightsFromBits(g, input, m, inputBits, dy, dw);
        } else {
            activationSteps.binaryConv2dBackwardWeights(g, input, m, dy, dw);
        }
    }

    /** The input gradient, plus {@code addend} unless it is null. */
    private Tensor backward(Tensor dy, Tensor addend) {
        requireForward(input, name());
        Tensor ds = dEffective.get(g.weightShape());
        if (!binarizer.binarizesActivations()) {
            training().conv2dBackwardWeights(g, input, dy, ds);
            weights.backward(weight.value(), ds, weight.grad());
            Tensor d = dx.get(g.inputShape());
            training().conv2dBackwardData(g, dy, effective, d);
            if (addend != null) {
                k.add(d, addend, d);
            }
            return d;
        }
        Tensor m = mean.get(Shape.of(g.batch())), s = invStd.get(Shape.of(g.batch()));
        Tensor w = effective;
        if (alpha == null) {
            weightGradientOfSigns(m, dy, ds);
        } else {
            // y = alpha[c] * conv(signs, W) = conv(signs, alpha[c] W): alpha moved onto the (small) weight tensors
            // instead of the (large) output and its gradient; alpha's gradient is then a dot product over the weights
            Tensor raw = dRaw.get(g.weightShape());
            weightGradientOfSigns(m, dy, raw);
            training().rowScaleBackward(effective, raw, alpha.grad());
            k.rowScale(raw, alpha.value(), ds);
            w = scaledWeights.get(g.weightShape());
            k.rowScale(effective, alpha.value(), w);
        }
        weights.backward(weight.value(), ds, weight.grad());
        // through the convolution to the signs, then through the binarization, in one step (no plane of the signs' gradient)
        Tensor d = dx.get(g.inputShape());
        inputGradientSteps.binaryConv2dInputGradient(g, dy, w, input, m, s, addend, d);
        return d;
    }

    /** The binarizer's form for export; null for full precision. */
    public InferenceForm inferenceForm() {
        return weights.inferenceForm(weight.value());
    }

    @Override
    protected Map<String, Tensor> extraBuffers() {
        Tensor frozen = weights.frozenState();
        return frozen == null ? Map.of() : Map.of(name() + ".frozen", frozen);
    }

    @Override
    public boolean restoreBuffer(String bufferName, float[] values) {
        if (bufferName.equals(name() + ".frozen")) {
            weights.restoreFrozenState(values);
            return true;
        }
        return super.restoreBuffer(bufferName, values);
    }

    @Override
    public void close() {
        weights.close();
        super.close();
    }
}
