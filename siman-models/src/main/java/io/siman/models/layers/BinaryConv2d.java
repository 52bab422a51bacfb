package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.ConvGeometry;
import io.siman.api.Encoding;
import io.siman.api.InferenceForm;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.api.WeightBinarization;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * A binarized convolution (spec sections 1 and 2): the input is standardized per sample and replaced by
 * its sign, the weights by the binarizer's effective weights; with SiMaN the result is scaled by a learned
 * per-channel alpha. Padding is applied after binarization (padded positions are 0). Training simulates
 * the binary product in float; the bitwise engine reproduces it exactly.
 */
public final class BinaryConv2d extends LayerBase {
    static final float ACTIVATION_EPS = 1e-5f;

    final int inChannels, outChannels, kernel, stride, padding;
    final Parameter weight;
    final Parameter alpha;
    final Binarizer binarizer;
    final Encoding encoding;
    private final WeightBinarization weights;
    private final Work a1 = work(), mean = work(), invStd = work(), xb = work(), conv = work(), out = work();
    private final Work dConv = work(), dEffective = work(), dxb = work(), da1 = work(), dx = work();
    private final Work signs = work(), affineScale = work(), affineBias = work();
    private Tensor input, binaryInput, effective;
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
            // alpha starts at mean |w_c| of the initial weights (spec 1.6)
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

    @Override
    protected Tensor computeForward(Tensor x, TrainingProgress progress) {
        g = Conv2d.geometry(name(), x.shape(), inChannels, outChannels, kernel, stride, padding);
        input = x;
        if (binarizer.binarizesActivations()) {
            int n = g.batch();
            Tensor z = a1.get(x.shape());
            k.rowStandardize(x, ACTIVATION_EPS, z, mean.get(Shape.of(n)), invStd.get(Shape.of(n)));
            binaryInput = xb.get(x.shape());
            k.sign(z, binaryInput);
        } else {
            binaryInput = x;
        }
        effective = weights.forward(weight.value(), progress);
        if (!progress.training() && binarizer.binarizesActivations()) {
            return inferenceForward();
        }
        if (alpha == null) {
            Tensor y = out.get(g.outputShape());
            k.conv2dForward(g, binaryInput, effective, y);
            return y;
        }
        Tensor c = conv.get(g.outputShape());
        k.conv2dForward(g, binaryInput, effective, c);
        Tensor y = out.get(g.outputShape());
        k.channelScale(c, alpha.value(), y);
        return y;
    }

    /**
     * Evaluation: integer sums of signs (the effective weights reduced to their bits), then the folded affine,
     * as one fused multiply-add: exactly what {@link BitwiseConv2d} computes with bit operations.
     */
    private Tensor inferenceForward() {
        InferenceForm form = weights.inferenceForm(weight.value());
        Tensor bitsAsValues = form.effective();
        if (form.channelScale() != null) {
            bitsAsValues = signs.get(g.weightShape());
            k.sign(form.effective(), bitsAsValues);
        }
        Tensor c = conv.get(g.outputShape());
        k.conv2dForward(g, binaryInput, bitsAsValues, c);
        Folding.Affine affine = inferenceAffine(form);
        Tensor s = affineScale.get(Shape.of(outChannels)), b = affineBias.get(Shape.of(outChannels));
        backend.write(s, affine.scale());
        backend.write(b, affine.bias());
        Tensor y = out.get(g.outputShape());
        k.channelAffine(c, s, b, y);
        return y;
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        requireForward(input, name());
        Tensor dc = dy;
        if (alpha != null) {
            dc = dConv.get(g.outputShape());
            k.channelScaleBackward(conv.get(g.outputShape()), alpha.value(), dy, dc, alpha.grad());
        }
        Tensor ds = dEffective.get(g.weightShape());
        k.conv2dBackwardWeights(g, binaryInput, dc, ds);
        weights.backward(weight.value(), ds, weight.grad());
        if (!binarizer.binarizesActivations()) {
            Tensor d = dx.get(g.inputShape());
            k.conv2dBackwardData(g, dc, effective, d);
            return d;
        }
        Tensor dSign = dxb.get(g.inputShape());
        k.conv2dBackwardData(g, dc, effective, dSign);
        Tensor z = a1.get(g.inputShape());
        Tensor dz = da1.get(g.inputShape());
        k.approxSignBackward(z, dSign, dz);
        Tensor d = dx.get(g.inputShape());
        k.rowStandardizeBackward(z, invStd.get(Shape.of(g.batch())), dz, d);
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
