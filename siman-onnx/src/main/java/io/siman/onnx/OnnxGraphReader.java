package io.siman.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.siman.api.Activation;
import io.siman.api.Encoding;
import io.siman.api.InvalidDataException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reduces an ONNX graph of a binary network to a {@link LayerGraph}: the patterns PyTorch, Keras and our own export
 * write for each layer become one operation each. Activation binarization is {@code Sign} of the input minus its
 * sample mean (divided by anything computed from it, as a standardization does) or {@code Where(GreaterOrEqual(x,
 * ReduceMean(x)), 1, -1)}; a convolution of binarized activations must have weights of {@code +1/-1} or {@code 0/1}
 * (constants, or {@code Sign} of constants); per-channel {@code Mul}, {@code Add} and {@code BatchNormalization} right
 * after a binarized convolution fold into its affine. Anything else is a one-line error naming the node.
 */
final class OnnxGraphReader {
    /** Where a value stands in the patterns being recognized. */
    private enum Mark { VALUE, MEAN, CENTRED, DERIVED, GE, SIGNS, SLICED_H, SLICED_W, SLICED, POOLED, SHAPE }

    private record Value(Mark mark, int id) {
    }

    record Const(float[] values, long[] dims) {
        long numel() {
            return values.length;
        }
    }

    private final String file;
    private final LayerGraph graph = new LayerGraph();
    private final Map<String, Object> values = new HashMap<>();
    private final Map<String, Integer> uses = new HashMap<>();
    private Encoding encoding;
    private int inputSize = -1;

    private OnnxGraphReader(String file) {
        this.file = file;
    }

    record Read(LayerGraph graph, Encoding encoding, int inputSize) {
    }

    static Read read(String file, GraphProto g) {
        OnnxGraphReader r = new OnnxGraphReader(file);
        r.run(g);
        return new Read(r.graph, r.encoding == null ? Encoding.PM1 : r.encoding, r.inputSize);
    }

    private void run(GraphProto g) {
        for (TensorProto t : g.getInitializerList()) {
            values.put(t.getName(), constant(t.getName(), t));
        }
        String input = null;
        for (var vi : g.getInputList()) {
            if (!values.containsKey(vi.getName())) {
                if (input != null) {
                    throw error("the graph has more than one input (" + input + ", " + vi.getName() + ")");
                }
                input = vi.getName();
                var shape = vi.getType().getTensorType().getShape();
                if (shape.getDimCount() == 4) {
                    inputSize = shape.getDim(2).hasDimValue() ? (int) shape.getDim(2).getDimValue() : -1;
                }
            }
        }
        if (input == null) {
            throw error("the graph has no input");
        }
        values.put(input, new Value(Mark.VALUE, 0));
        for (NodeProto n : g.getNodeList()) {
            for (String in : n.getInputList()) {
                uses.merge(in, 1, Integer::sum);
            }
        }
        for (var o : g.getOutputList()) {
            uses.merge(o.getName(), 1, Integer::sum);
        }
        for (NodeProto n : g.getNodeList()) {
            node(n);
        }
        if (g.getOutputCount() != 1) {
            throw error("the graph has " + g.getOutputCount() + " outputs; a classifier has one (the logits)");
        }
        Object out = values.get(g.getOutput(0).getName());
        if (!(out instanceof Value v) || v.mark != Mark.VALUE) {
            throw error("the graph's output " + g.getOutput(0).getName() + " is not computed by layers this engine runs");
        }
        graph.output = v.id;
    }

    private InvalidDataException error(String message) {
        return new InvalidDataException(file + ": " + message);
    }

    private InvalidDataException unsupported(NodeProto n, String why) {
        return error("node '" + n.getName() + "' (" + n.getOpType() + ") " + why);
    }

    private Object in(NodeProto n, int i) {
        if (i >= n.getInputCount() || n.getInput(i).isEmpty()) {
            return null;
        }
        Object v = values.get(n.getInput(i));
        if (v == null) {
            throw unsupported(n, "reads '" + n.getInput(i) + "', which no earlier node computes");
        }
        return v;
    }

    private Value value(NodeProto n, int i, Mark mark) {
        Object v = in(n, i);
        if (v instanceof Value x && x.mark == mark) {
            return x;
        }
        throw unsupported(n, "is not part of a pattern this engine runs (input " + i + " is " + describe(v) + ")");
    }

    private static String describe(Object v) {
        if (v == null) {
            return "missing";
        }
        if (v instanceof Const c) {
            return "a constant of shape " + Arrays.toString(c.dims);
        }
        Value x = (Value) v;
        return switch (x.mark) {
            case VALUE -> "a layer's output";
            case MEAN -> "a sample mean";
            case CENTRED, DERIVED -> "a standardization in progress";
            case GE -> "a comparison with the sample mean";
            case SIGNS -> "binarized activations";
            case SLICED, SLICED_H, SLICED_W -> "a strided slice";
            case POOLED -> "a global pooling";
            case SHAPE -> "a shape computation";
        };
    }

    private Const constant(NodeProto n, int i) {
        Object v = in(n, i);
        if (v instanceof Const c) {
            return c;
        }
        throw unsupported(n, "needs a constant as input " + i + ", got " + describe(v));
    }

    private void put(NodeProto n, Object v) {
        values.put(n.getOutput(0), v);
    }

    private void out(NodeProto n, LayerGraph.Op op) {
        graph.add(op);
        put(n, new Value(Mark.VALUE, op.output));
    }

    private void node(NodeProto n) {
        if (n.getOutputCount() < 1) {
            throw unsupported(n, "has no output");
        }
        Const folded = ConstantFolding.fold(n, this::constantOrNull);
        if (folded != null) {
            put(n, folded);
            return;
        }
        if (ARITHMETIC.contains(n.getOpType())) {
            Value standardized = standardization(n);
            if (standardized != null) {
                put(n, standardized);
                return;
            }
        }
        switch (n.getOpType()) {
            case "Constant" -> {
                AttributeProto a = attribute(n, "value");
                if (a == null || !a.hasT()) {
                    throw unsupported(n, "without a tensor value");
                }
                put(n, constant(n.getName(), a.getT()));
            }
            case "Identity", "Dropout" -> put(n, in(n, 0));
            case "ReduceMean" -> {
                Object x = in(n, 0);
                if (x instanceof Value v && (v.mark == Mark.CENTRED || v.mark == Mark.DERIVED)) {
                    put(n, new Value(Mark.DERIVED, v.id));
                    return;
                }
                long[] axes = ints(n, "axes");
                if (axes == null && n.getInputCount() > 1) {
                    axes = longs(constant(n, 1));
                }
                Value v = value(n, 0, Mark.VALUE);
                if (axes == null || !Arrays.equals(sorted(axes), new long[]{1, 2, 3}) || integer(n, "keepdims", 1) != 1) {
                    throw unsupported(n, "is a mean over other axes than C, H and W of each sample");
                }
                put(n, new Value(Mark.MEAN, v.id));
            }
            case "Sub" -> {
                Object a = in(n, 0), b = in(n, 1);
                if (a instanceof Value x && x.mark == Mark.VALUE && b instanceof Value m && m.mark == Mark.MEAN && m.id == x.id) {
                    put(n, new Value(Mark.CENTRED, x.id));
                } else {
                    throw unsupported(n, "is not the input minus its sample mean");
                }
            }
            case "Sign" -> {
                Object x = in(n, 0);
                if (x instanceof Const c) {
                    float[] s = new float[c.values.length];
                    for (int i = 0; i < s.length; i++) {
                        s[i] = Math.signum(c.values[i]);
                    }
                    put(n, new Const(s, c.dims));
                } else if (x instanceof Value v && v.mark == Mark.CENTRED) {
                    put(n, new Value(Mark.SIGNS, v.id));
                } else {
                    throw unsupported(n, "binarizes at zero; this engine binarizes activations at each sample's mean"
                            + " (sign of the input minus its mean)");
                }
            }
            case "GreaterOrEqual" -> {
                Object a = in(n, 0), b = in(n, 1);
                if (a instanceof Value x && x.mark == Mark.VALUE && b instanceof Value m && m.mark == Mark.MEAN && m.id == x.id) {
                    put(n, new Value(Mark.GE, x.id));
                } else {
                    throw unsupported(n, "is not a comparison of the input with its sample mean");
                }
            }
            case "Where" -> {
                Value ge = value(n, 0, Mark.GE);
                Const yes = constant(n, 1), no = constant(n, 2);
                if (yes.numel() != 1 || no.numel() != 1 || yes.values[0] != 1f || no.values[0] != -1f) {
                    throw unsupported(n, "does not choose +1 and -1");
                }
                put(n, new Value(Mark.SIGNS, ge.id));
            }
            case "Conv" -> conv(n);
            case "Mul", "Add" -> mulOrAdd(n);
            case "BatchNormalization" -> batchNorm(n);
            case "Relu" -> activation(n, Activation.RELU);
            case "Clip" -> {
                float lo = n.getInputCount() > 1 && !n.getInput(1).isEmpty() ? constant(n, 1).values[0] : real(n, "min", Float.NEGATIVE_INFINITY);
                float hi = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? constant(n, 2).values[0] : real(n, "max", Float.POSITIVE_INFINITY);
                if (lo != -1f || hi != 1f) {
                    throw unsupported(n, "clips to [" + lo + ", " + hi + "]; only hardtanh's [-1, 1] runs here");
                }
                activation(n, Activation.HARDTANH);
            }
            case "PRelu" -> {
                Value x = value(n, 0, Mark.VALUE);
                LayerGraph.Op op = new LayerGraph.Op(LayerGraph.Kind.PRELU, n.getName(), x.id);
                op.weights = constant(n, 1).values;
                out(n, op);
            }
            case "MaxPool", "AveragePool" -> {
                Value x = value(n, 0, Mark.VALUE);
                long[] k = ints(n, "kernel_shape"), s = ints(n, "strides"), p = ints(n, "pads");
                if (k == null || k.length != 2 || k[0] != k[1] || (s != null && (s.length != 2 || s[0] != s[1]))
                        || (p != null && Arrays.stream(p).distinct().count() > 1) || integer(n, "ceil_mode", 0) != 0) {
                    throw unsupported(n, "is not a square pooling with equal strides and padding");
                }
                LayerGraph.Op op = new LayerGraph.Op(n.getOpType().equals("MaxPool") ? LayerGraph.Kind.MAXPOOL : LayerGraph.Kind.AVGPOOL,
                        n.getName(), x.id);
                op.kernel = (int) k[0];
                op.stride = s == null ? 1 : (int) s[0];
                op.padding = p == null || p.length == 0 ? 0 : (int) p[0];
                out(n, op);
            }
            case "GlobalAveragePool" -> put(n, new Value(Mark.POOLED, value(n, 0, Mark.VALUE).id));
            case "Flatten", "Reshape", "Squeeze" -> flatten(n);
            case "Shape" -> put(n, new Value(Mark.SHAPE, -1));
            case "Gemm" -> {
                Value x = value(n, 0, Mark.VALUE);
                Const w = constant(n, 1);
                if (real(n, "alpha", 1f) != 1f || real(n, "beta", 1f) != 1f || integer(n, "transA", 0) != 0 || w.dims.length != 2) {
                    throw unsupported(n, "is not x * W^T + b");
                }
                boolean transposed = integer(n, "transB", 0) == 1;
                linear(n, x, w, transposed, n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? constant(n, 2).values : null);
            }
            case "MatMul" -> {
                Value x = value(n, 0, Mark.VALUE);
                Const w = constant(n, 1);
                if (w.dims.length != 2) {
                    throw unsupported(n, "multiplies by a weight of rank " + w.dims.length);
                }
                linear(n, x, w, false, null);
            }
            case "Slice" -> slice(n);
            case "Pad" -> {
                long[] pads = longs(constant(n, 1));
                if (in(n, 0) instanceof Value plain && plain.mark == Mark.VALUE && Arrays.stream(pads).allMatch(v -> v == 0)) {
                    put(n, plain); // PyTorch pads before its average pooling, by nothing
                    return;
                }
                Value x = value(n, 0, Mark.SLICED);
                String mode = text(n, "mode", "constant");
                boolean zero = n.getInputCount() < 3 || n.getInput(2).isEmpty() || constant(n, 2).values[0] == 0f;
                if (pads.length != 8 || !mode.equals("constant") || !zero || pads[1] != pads[5] || pads[0] != 0 || pads[2] != 0
                        || pads[3] != 0 || pads[4] != 0 || pads[6] != 0 || pads[7] != 0) {
                    throw unsupported(n, "is not a zero padding of the channels (an option-A shortcut)");
                }
                LayerGraph.Op op = new LayerGraph.Op(LayerGraph.Kind.SHORTCUT_A, n.getName(), x.id);
                op.pad = (int) pads[1];
                out(n, op);
            }
            default -> throw unsupported(n, "has no counterpart in this engine");
        }
    }

    /** A strided slice: x[:, :, ::2, ::2] in one Slice or one per axis; slices that keep a whole axis pass through. */
    private void slice(NodeProto n) {
        Object v = in(n, 0);
        long[] starts = longs(constant(n, 1)), ends = longs(constant(n, 2));
        long[] axes = n.getInputCount() > 3 && !n.getInput(3).isEmpty() ? longs(constant(n, 3)) : null;
        long[] steps = n.getInputCount() > 4 && !n.getInput(4).isEmpty() ? longs(constant(n, 4)) : null;
        if (axes == null) {
            axes = new long[starts.length];
            for (int i = 0; i < axes.length; i++) {
                axes[i] = i;
            }
        }
        if (!(v instanceof Value x) || (x.mark != Mark.VALUE && x.mark != Mark.SLICED_H && x.mark != Mark.SLICED_W)
                || axes.length != starts.length || ends.length != starts.length) {
            throw unsupported(n, "is not x[:, :, ::2, ::2] (an option-A shortcut)");
        }
        boolean h = x.mark == Mark.SLICED_H, w = x.mark == Mark.SLICED_W;
        for (int i = 0; i < axes.length; i++) {
            long step = steps == null ? 1 : steps[i];
            boolean whole = starts[i] == 0 && step == 1 && ends[i] >= Integer.MAX_VALUE;
            if (whole) {
                continue;
            }
            if (starts[i] != 0 || step != 2 || ends[i] < Integer.MAX_VALUE || (axes[i] != 2 && axes[i] != 3)) {
                throw unsupported(n, "is not x[:, :, ::2, ::2] (an option-A shortcut)");
            }
            h |= axes[i] == 2;
            w |= axes[i] == 3;
        }
        Mark m = h && w ? Mark.SLICED : h ? Mark.SLICED_H : w ? Mark.SLICED_W : x.mark;
        put(n, new Value(m, x.id));
    }

    private Object constantOrNull(String name) {
        Object v = values.get(name);
        return v instanceof Const ? v : null;
    }

    /** Operations that may be steps of a sample's standardization or of a shape computation. */
    private static final java.util.Set<String> ARITHMETIC = java.util.Set.of("Sub", "Mul", "Div", "Add", "Pow", "Sqrt", "Abs",
            "ReduceMean", "ReduceProd", "ReduceSum", "Cast", "Gather", "Unsqueeze", "Concat", "Neg", "Reciprocal");

    /**
     * A step of an activation's standardization: the centred sample divided by anything computed from it alone (its
     * variance, biased or not, plus epsilon, square-rooted) keeps its signs; any other arithmetic on the centred sample
     * and constants or shapes is one of those statistics; arithmetic on shapes and constants is a shape. Null when
     * the node is none of these.
     */
    private Value standardization(NodeProto n) {
        if (n.getOpType().equals("Div") && in(n, 0) instanceof Value a && a.mark == Mark.CENTRED && in(n, 1) instanceof Value d
                && d.mark == Mark.DERIVED && d.id == a.id) {
            return new Value(Mark.CENTRED, a.id);
        }
        int sample = -1;
        boolean statistic = false, shape = false;
        for (int i = 0; i < n.getInputCount(); i++) {
            Object v = in(n, i);
            if (v == null || v instanceof Const) {
                continue;
            }
            Value x = (Value) v;
            if (x.mark == Mark.SHAPE) {
                shape = true;
            } else if (x.mark == Mark.CENTRED || x.mark == Mark.DERIVED) {
                if (statistic && x.id != sample) {
                    return null;
                }
                statistic = true;
                sample = x.id;
            } else {
                return null;
            }
        }
        return statistic ? new Value(Mark.DERIVED, sample) : shape ? new Value(Mark.SHAPE, -1) : null;
    }

    private void activation(NodeProto n, Activation kind) {
        LayerGraph.Op op = new LayerGraph.Op(LayerGraph.Kind.ACT, n.getName(), value(n, 0, Mark.VALUE).id);
        op.activation = kind;
        out(n, op);
    }

    private void conv(NodeProto n) {
        Object x = in(n, 0);
        Const w = constant(n, 1);
        long[] k = ints(n, "kernel_shape"), s = ints(n, "strides"), p = ints(n, "pads"), d = ints(n, "dilations");
        if (w.dims.length != 4 || w.dims[2] != w.dims[3] || integer(n, "group", 1) != 1 || (d != null && Arrays.stream(d).anyMatch(v -> v != 1))
                || (s != null && (s.length != 2 || s[0] != s[1])) || (p != null && Arrays.stream(p).distinct().count() > 1)
                || (k != null && (k[0] != w.dims[2] || k[1] != w.dims[3]))) {
            throw unsupported(n, "is not a square, ungrouped, undilated convolution with equal strides and padding");
        }
        boolean binary = x instanceof Value v && v.mark == Mark.SIGNS;
        if (!binary && !(x instanceof Value v2 && v2.mark == Mark.VALUE)) {
            throw unsupported(n, "convolves " + describe(x));
        }
        LayerGraph.Op op = new LayerGraph.Op(binary ? LayerGraph.Kind.BINCONV : LayerGraph.Kind.CONV, n.getName(), ((Value) x).id);
        op.weights = w.values;
        op.dims = new int[]{(int) w.dims[0], (int) w.dims[1], (int) w.dims[2], (int) w.dims[3]};
        op.stride = s == null ? 1 : (int) s[0];
        op.padding = p == null || p.length == 0 ? 0 : (int) p[0];
        if (binary) {
            boolean pm1 = true, zeroOne = true;
            for (float v : w.values) {
                pm1 &= v == 1f || v == -1f;
                zeroOne &= v == 1f || v == 0f;
            }
            if (!pm1 && !zeroOne) {
                throw unsupported(n, "convolves binarized activations with weights that are not +1/-1 or 0/1");
            }
            Encoding e = pm1 && zeroOne ? null : pm1 ? Encoding.PM1 : Encoding.ZERO_ONE;
            if (e != null && encoding != null && e != encoding) {
                throw unsupported(n, "mixes weight encodings (+1/-1 and 0/1) in one network");
            }
            if (e != null) {
                encoding = e;
            }
        }
        if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
            op.affine(null, constant(n, 2).values);
        }
        out(n, op);
    }

    /** The convolution whose output {@code x} is, if nothing else reads it (so a per-channel affine can fold in). */
    private LayerGraph.Op foldable(String name, Object x, LayerGraph.Kind... kinds) {
        if (!(x instanceof Value v) || v.mark != Mark.VALUE || uses.getOrDefault(name, 0) != 1) {
            return null;
        }
        LayerGraph.Op p = graph.producer.get(v.id);
        return p != null && Arrays.asList(kinds).contains(p.kind) ? p : null;
    }

    private void mulOrAdd(NodeProto n) {
        boolean mul = n.getOpType().equals("Mul");
        Object a = in(n, 0), b = in(n, 1);
        if (!mul && a instanceof Value x && x.mark == Mark.VALUE && b instanceof Value y && y.mark == Mark.VALUE) {
            out(n, new LayerGraph.Op(LayerGraph.Kind.ADD, n.getName(), x.id, y.id));
            return;
        }
        String valueName = n.getInput(0);
        if (a instanceof Const && b instanceof Value) {
            Object t = a;
            a = b;
            b = t;
            valueName = n.getInput(1);
        }
        if (!(b instanceof Const c)) {
            throw unsupported(n, "is not a per-channel constant after a convolution, nor a residual add");
        }
        LayerGraph.Op p = foldable(valueName, a, LayerGraph.Kind.CONV, LayerGraph.Kind.BINCONV, LayerGraph.Kind.LINEAR);
        if (p == null) {
            throw unsupported(n, "applies a constant to " + describe(a) + "; only a convolution's or classifier's output takes one here");
        }
        int channels = p.channels();
        if (c.numel() != 1 && c.numel() != channels) {
            throw unsupported(n, "applies a constant of shape " + Arrays.toString(c.dims) + " to " + channels + " channels");
        }
        if (p.kind == LayerGraph.Kind.LINEAR) {
            if (mul) {
                throw unsupported(n, "scales a classifier's output");
            }
            float[] bias = p.bias == null ? new float[channels] : p.bias;
            for (int i = 0; i < channels; i++) {
                bias[i] += c.values[c.values.length == 1 ? 0 : i];
            }
            p.bias = bias;
        } else {
            p.affine(mul ? c.values : null, mul ? null : c.values);
        }
        put(n, a);
    }

    private void batchNorm(NodeProto n) {
        Object x = in(n, 0);
        float eps = real(n, "epsilon", 1e-5f);
        float[] gamma = constant(n, 1).values, beta = constant(n, 2).values, mean = constant(n, 3).values, var = constant(n, 4).values;
        int c = gamma.length;
        if (beta.length != c || mean.length != c || var.length != c) {
            throw unsupported(n, "has statistics of different lengths");
        }
        LayerGraph.Op p = foldable(n.getInput(0), x, LayerGraph.Kind.BINCONV);
        if (p != null && p.channels() == c) {
            float[] s = new float[c], b = new float[c];
            for (int i = 0; i < c; i++) {
                s[i] = (float) (gamma[i] / Math.sqrt(var[i] + (double) eps));
                b[i] = beta[i] - mean[i] * s[i];
            }
            p.affine(s, b);
            put(n, x);
            return;
        }
        LayerGraph.Op op = new LayerGraph.Op(LayerGraph.Kind.BN, n.getName(), value(n, 0, Mark.VALUE).id);
        op.gamma = gamma;
        op.beta = beta;
        op.mean = mean;
        op.var = var;
        op.eps = eps;
        out(n, op);
    }

    private void flatten(NodeProto n) {
        Object x = in(n, 0);
        if (x instanceof Value v && v.mark == Mark.POOLED) {
            out(n, new LayerGraph.Op(LayerGraph.Kind.GAP, n.getName(), v.id));
            return;
        }
        Value v = value(n, 0, Mark.VALUE);
        if (n.getOpType().equals("Flatten") && integer(n, "axis", 1) != 1) {
            throw unsupported(n, "flattens from another axis than 1");
        }
        if (n.getOpType().equals("Reshape")) {
            Object shape = in(n, 1);
            if (shape instanceof Const c && !(c.values.length == 2 && c.values[1] == -1f)) {
                throw unsupported(n, "reshapes to " + Arrays.toString(c.values) + ", not [N, -1]");
            }
        }
        out(n, new LayerGraph.Op(LayerGraph.Kind.FLATTEN, n.getName(), v.id));
    }

    private void linear(NodeProto n, Value x, Const w, boolean transposed, float[] bias) {
        int out = (int) (transposed ? w.dims[0] : w.dims[1]), in = (int) (transposed ? w.dims[1] : w.dims[0]);
        float[] weights = w.values;
        if (!transposed) {
            weights = new float[out * in];
            for (int i = 0; i < in; i++) {
                for (int o = 0; o < out; o++) {
                    weights[o * in + i] = w.values[i * out + o];
                }
            }
        }
        LayerGraph.Op op = new LayerGraph.Op(LayerGraph.Kind.LINEAR, n.getName(), x.id);
        op.weights = weights;
        op.dims = new int[]{out, in};
        if (bias != null && bias.length != out) {
            throw unsupported(n, "has a bias of " + bias.length + " for " + out + " outputs");
        }
        op.bias = bias;
        out(n, op);
    }

    // ---------------------------------------------------------------- ONNX values

    private Const constant(String name, TensorProto t) {
        long n = 1;
        long[] dims = new long[t.getDimsCount()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = t.getDims(i);
            if (dims[i] < 0) {
                throw error("tensor '" + name + "' has a negative dimension");
            }
            n *= dims[i];
            if (n > Integer.MAX_VALUE - 8) {
                throw error("tensor '" + name + "' has more elements than one array holds");
            }
        }
        int count = (int) n;
        float[] v;
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        boolean hasRaw = raw.remaining() > 0;
        switch (t.getDataType()) {
            case TensorProto.DataType.FLOAT_VALUE -> {
                check(name, hasRaw ? raw.remaining() : t.getFloatDataCount() * 4L, count * 4L);
                v = new float[count];
                for (int i = 0; i < count; i++) {
                    v[i] = hasRaw ? raw.getFloat(i * 4) : t.getFloatData(i);
                }
            }
            case TensorProto.DataType.DOUBLE_VALUE -> {
                check(name, hasRaw ? raw.remaining() : t.getDoubleDataCount() * 8L, count * 8L);
                v = new float[count];
                for (int i = 0; i < count; i++) {
                    v[i] = (float) (hasRaw ? raw.getDouble(i * 8) : t.getDoubleData(i));
                }
            }
            case TensorProto.DataType.INT64_VALUE -> {
                check(name, hasRaw ? raw.remaining() : t.getInt64DataCount() * 8L, count * 8L);
                v = new float[count];
                for (int i = 0; i < count; i++) {
                    long l = hasRaw ? raw.getLong(i * 8) : t.getInt64Data(i);
                    v[i] = l >= Integer.MAX_VALUE ? Float.MAX_VALUE : l <= Integer.MIN_VALUE ? -Float.MAX_VALUE : l;
                }
            }
            case TensorProto.DataType.INT32_VALUE -> {
                check(name, hasRaw ? raw.remaining() : t.getInt32DataCount() * 4L, count * 4L);
                v = new float[count];
                for (int i = 0; i < count; i++) {
                    v[i] = hasRaw ? raw.getInt(i * 4) : t.getInt32Data(i);
                }
            }
            default -> throw error("tensor '" + name + "' has data type " + t.getDataType() + " (float, double and integers are read)");
        }
        for (int i = 0; i < v.length; i++) {
            if (Float.isNaN(v[i])) {
                throw error("tensor '" + name + "' holds NaN at " + i);
            }
        }
        return new Const(v, dims);
    }

    private void check(String name, long have, long need) {
        if (have != need) {
            throw error("tensor '" + name + "' holds " + have + " bytes of data for its " + need);
        }
    }

    /** A constant's values as integers (Java's conversion saturates, so INT64_MAX ends stay huge). */
    static long[] longs(Const c) {
        long[] l = new long[c.values.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = (long) c.values[i];
        }
        return l;
    }

    private static long[] sorted(long[] a) {
        long[] s = a.clone();
        Arrays.sort(s);
        return s;
    }

    static AttributeProto attribute(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    static long[] ints(NodeProto n, String name) {
        AttributeProto a = attribute(n, name);
        return a == null ? null : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    private static long integer(NodeProto n, String name, long otherwise) {
        AttributeProto a = attribute(n, name);
        return a == null ? otherwise : a.getI();
    }

    private static float real(NodeProto n, String name, float otherwise) {
        AttributeProto a = attribute(n, name);
        return a == null ? otherwise : a.getF();
    }

    private static String text(NodeProto n, String name, String otherwise) {
        AttributeProto a = attribute(n, name);
        return a == null ? otherwise : a.getS().toStringUtf8();
    }
}
