package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.ConvGeometry;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.SimanException;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.api.steps.ActivationPackingSteps;
import io.siman.api.steps.BinaryBlockSteps;

/**
 * A binarized convolution for inference, run with bit operations (docs/method.md section 3): the input is
 * thresholded at its per-sample mean and packed 64 channels to a word; the convolution is XNOR (or AND)
 * and popcount; the folded per-channel affine (alpha, the binarizer's scale and the following batch norm)
 * follows. Holds only packed bits and the affine, never float weights.
 */
public final class BitwiseConv2d extends LayerBase {
    final int inChannels, outChannels, kernel, stride, padding;
    final Encoding encoding;
    private final boolean simulate;
    private final Tensor bits, scale, bias;
    private Tensor effective;
    private final Work mean = work(), packed = work(), out = work(), z = work(), invStd = work(), signs = work(), sums = work();
    private final Work simulatedSum = work(), simulatedActivation = work();
    private final ActivationPackingSteps packing;
    private final BinaryBlockSteps block;

    /**
     * @param simulate run the same layer as a float simulation (standardize, sign, float convolution of the
     *                 weights' bits, the same affine) instead of bit operations: the baseline of {@code siman bench}
     */
    public BitwiseConv2d(Backend backend, String name, int inChannels, int outChannels, int kernel, int stride, int padding,
                         Encoding encoding, boolean simulate) {
        super(backend, name);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.encoding = encoding;
        this.simulate = simulate;
        this.bits = own(backend.allocate(DType.INT64, Shape.of(outChannels, kernel, kernel, Shape.words(inChannels))));
        this.scale = own(backend.upload(Init.constant(outChannels, 1f), Shape.of(outChannels)));
        this.bias = own(backend.allocate(Shape.of(outChannels)));
        this.packing = ActivationPackingSteps.of(backend);
        this.block = BinaryBlockSteps.of(backend);
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    public int kernel() {
        return kernel;
    }

    public int stride() {
        return stride;
    }

    public int padding() {
        return padding;
    }

    public Encoding encoding() {
        return encoding;
    }

    /** Weight shape {@code [Co, Ci, k, k]} of the convolution these bits stand for. */
    public Shape weightShape() {
        return Shape.of(outChannels, inChannels, kernel, kernel);
    }

    /**
     * Loads the weights as effective values ({@code > 0} is bit 1, shape {@link #weightShape()}) and the folded
     * affine {@code y = sum * scale + bias}.
     */
    public void load(float[] effective, float[] scaleValues, float[] biasValues) {
        if (effective.length != weightShape().size() || scaleValues.length != outChannels || biasValues.length != outChannels) {
            throw new ShapeMismatchException(name() + ": bits or affine of the wrong size");
        }
        if (this.effective == null) {
            this.effective = own(backend.allocate(weightShape()));
        }
        backend.write(this.effective, effective);
        bitwise().packWeights(this.effective, bits);
        if (!simulate) {
            // the bitwise layer keeps bits only
            this.effective.close();
            this.effective = null;
        }
        backend.write(scale, scaleValues);
        backend.write(bias, biasValues);
    }

    /**
     * Loads the weights as a model file stores them (rows of {@code Ci * k * k} bits per output channel, see
     * {@link io.siman.models.io.ModelFile#packRows}) and the folded affine. The bitwise layer puts the bits straight
     * into the kernels' layout; the float simulation needs the values and unpacks them.
     */
    public void loadBits(long[] packedRows, float[] scaleValues, float[] biasValues) {
        if (simulate) {
            float zero = encoding == Encoding.PM1 ? -1f : 0f;
            load(io.siman.models.io.ModelFile.unpackRows(packedRows, outChannels, inChannels * kernel * kernel, zero), scaleValues, biasValues);
            return;
        }
        if (scaleValues.length != outChannels || biasValues.length != outChannels) {
            throw new ShapeMismatchException(name() + ": affine of the wrong size");
        }
        backend.write(bits, io.siman.models.io.ModelFile.kernelLayout(packedRows, outChannels, inChannels, kernel, kernel));
        backend.write(scale, scaleValues);
        backend.write(bias, biasValues);
    }

    @Override
    public Shape outputShape(Shape input) {
        return Conv2d.geometry(name(), input, inChannels, outChannels, kernel, stride, padding).outputShape();
    }

    /** Whether this layer runs as a float simulation. */
    public boolean simulated() {
        return simulate;
    }

    /** Bits, and the folded affine (a scale and a bias per output channel) as 32-bit values. */
    @Override
    public Footprint footprint() {
        long n = (long) inChannels * kernel * kernel;
        return Footprint.weights(true, outChannels, n, 2L * outChannels, outputsPerImage() * n);
    }

    /**
     * The float simulation in standard operators: the activation's sign at the sample mean, a convolution with the
     * weights' bits as {@code +1/-1} ({@code pm1}) or {@code 1/0} ({@code zero-one}), then the folded affine.
     */
    @Override
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        float[] w = effective != null ? host(effective) : io.siman.models.io.ModelFile.kernelLayoutValues(backend.downloadLongs(bits),
                outChannels, inChannels, kernel, kernel, encoding == Encoding.PM1 ? -1f : 0f);
        return describeBinarized(graph, name(), x, w, weightShape(), stride, padding, host(scale), host(bias));
    }

    /** What a binarized convolution is in standard operators, given its weights' values and its folded affine. */
    static String describeBinarized(io.siman.models.graph.InferenceGraph graph, String name, String x, float[] weights, Shape weightShape,
                                    int stride, int padding, float[] scale, float[] bias) {
        String signs = graph.signAtSampleMean(name + ".sign", x);
        String sums = graph.conv(name, signs, weights, weightShape.dims(), stride, padding);
        return graph.channelAffine(name + ".affine", sums, scale, bias);
    }

    @Override
    protected Tensor computeForward(Tensor x, TrainingProgress progress) {
        ConvGeometry g = Conv2d.geometry(name(), x.shape(), inChannels, outChannels, kernel, stride, padding);
        if (simulate) {
            Tensor zt = z.get(x.shape());
            k.rowStandardize(x, BinaryConv2d.ACTIVATION_EPS, zt, mean.get(Shape.of(g.batch())), invStd.get(Shape.of(g.batch())));
            Tensor xs = signs.get(x.shape());
            k.sign(zt, xs);
            Tensor c = sums.get(g.outputShape());
            k.conv2dForward(g, xs, effective, c);
            Tensor y = out.get(g.outputShape());
            k.channelAffine(c, scale, bias, y);
            return y;
        }
        Tensor xb = packInput(x, g);
        Tensor y = out.get(g.outputShape());
        bitwise().binaryConv2d(g, encoding, xb, bits, scale, bias, y);
        return y;
    }

    /** The input's signs at each sample's mean, packed ({@link ActivationPackingSteps}). */
    private Tensor packInput(Tensor x, ConvGeometry g) {
        Tensor xb = packed.get(DType.INT64, g.packedInputShape());
        packing.meanAndPack(x, mean.get(Shape.of(g.batch())), xb);
        return xb;
    }

    /**
     * {@code prelu(this(x) + residual, slope)} in one pass of the convolution ({@link BinaryBlockSteps}): how a
     * binarized residual block runs bitwise. The float simulation runs the three operations one after the other.
     */
    public Tensor forwardAddPrelu(Tensor x, Tensor residual, Tensor slope) {
        return timedForward(x, () -> {
            if (simulate) {
                Tensor c = computeForward(x, TrainingProgress.EVAL);
                Tensor sum = simulatedSum.get(c.shape());
                k.add(c, residual, sum);
                Tensor y = simulatedActivation.get(c.shape());
                k.prelu(sum, slope, y);
                return y;
            }
            ConvGeometry g = Conv2d.geometry(name(), x.shape(), inChannels, outChannels, kernel, stride, padding);
            Tensor xb = packInput(x, g);
            Tensor y = out.get(g.outputShape());
            block.binaryConv2dAddPrelu(g, encoding, xb, bits, scale, bias, residual, slope, y);
            return y;
        });
    }

    @Override
    protected Tensor computeBackward(Tensor dy) {
        throw new SimanException(name() + ": a bitwise layer is for inference only; train the float network");
    }
}
