package io.siman.onnx;

import io.siman.api.Activation;
import io.siman.models.graph.InferenceGraph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A network as a graph of the engine's layer operations: what an imported ONNX graph is reduced to, and what one of
 * our networks describes ({@link Recorder}), so the two can be compared node for node. A binarized convolution is one
 * operation (the sign at the sample mean, the convolution with bits, the per-channel affine); a full-precision
 * convolution may carry an affine too (an exporter's bias, a folded batch norm). Values are numbered; value 0 is
 * the input.
 */
final class LayerGraph {
    enum Kind { CONV, BINCONV, BN, ACT, PRELU, ADD, MAXPOOL, AVGPOOL, GAP, FLATTEN, LINEAR, SHORTCUT_A }

    /** One operation; which fields are set depends on the kind. */
    static final class Op {
        final Kind kind;
        final String name;
        final int[] inputs;
        int output;
        float[] weights;
        int[] dims;
        int kernel, stride, padding, pad;
        float[] scale, bias;
        float[] gamma, beta, mean, var;
        float eps;
        Activation activation;

        Op(Kind kind, String name, int... inputs) {
            this.kind = kind;
            this.name = name;
            this.inputs = inputs;
        }

        int channels() {
            return switch (kind) {
                case CONV, BINCONV, LINEAR -> dims[0];
                case BN -> gamma.length;
                case PRELU -> weights.length;
                default -> -1;
            };
        }

        /** Composes {@code y * s + b} (per channel) after what this operation already computes. */
        void affine(float[] s, float[] b) {
            int c = channels();
            if (scale == null) {
                scale = new float[c];
                java.util.Arrays.fill(scale, 1f);
                bias = new float[c];
            }
            for (int i = 0; i < c; i++) {
                float si = s == null ? 1f : s[s.length == 1 ? 0 : i], bi = b == null ? 0f : b[b.length == 1 ? 0 : i];
                scale[i] *= si;
                bias[i] = bias[i] * si + bi;
            }
        }

        boolean hasAffine() {
            if (scale == null) {
                return false;
            }
            for (int i = 0; i < scale.length; i++) {
                if (scale[i] != 1f || bias[i] != 0f) {
                    return true;
                }
            }
            return false;
        }

        String describe() {
            return switch (kind) {
                case CONV, BINCONV -> (kind == Kind.BINCONV ? "binarized " : "") + "convolution " + dims[1] + "->" + dims[0] + " "
                        + dims[2] + "x" + dims[3] + " stride " + stride + " padding " + padding;
                case BN -> "batch norm of " + gamma.length;
                case ACT -> activation.name().toLowerCase(java.util.Locale.ROOT);
                case PRELU -> "PReLU of " + weights.length;
                case ADD -> "add";
                case MAXPOOL, AVGPOOL -> (kind == Kind.MAXPOOL ? "max" : "average") + " pooling " + kernel + "/" + stride;
                case GAP -> "global average pooling";
                case FLATTEN -> "flatten";
                case LINEAR -> "linear " + dims[1] + "->" + dims[0];
                case SHORTCUT_A -> "option-A shortcut (pad " + pad + ")";
            };
        }
    }

    final List<Op> ops = new ArrayList<>();
    final Map<Integer, Op> producer = new HashMap<>();
    final Map<Integer, List<Op>> consumers = new HashMap<>();
    /** Spatial size of each value (square images), where known. */
    final Map<Integer, Integer> size = new HashMap<>();
    int values = 1;
    int output = -1;

    Op add(Op op) {
        op.output = values++;
        ops.add(op);
        producer.put(op.output, op);
        for (int in : op.inputs) {
            consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(op);
        }
        return op;
    }

    List<Op> consumersOf(int value) {
        return consumers.getOrDefault(value, List.of());
    }

    /** Records what one of our networks describes ({@link io.siman.models.nets.Network#describe}). */
    static final class Recorder implements InferenceGraph {
        final LayerGraph graph = new LayerGraph();
        private final Map<String, Integer> ids = new HashMap<>();
        private final Map<String, Integer> signsOf = new HashMap<>();
        private int names;

        Recorder(int inputSize) {
            graph.size.put(0, inputSize);
        }

        private String name(int value) {
            String n = "v" + (names++);
            ids.put(n, value);
            return n;
        }

        private int id(String name) {
            Integer v = ids.get(name);
            if (v == null) {
                throw new IllegalStateException("unknown value " + name);
            }
            return v;
        }

        private String op(Op op, int outSize) {
            graph.add(op);
            graph.size.put(op.output, outSize);
            return name(op.output);
        }

        private int size(String x) {
            return graph.size.getOrDefault(id(x), -1);
        }

        @Override
        public String input() {
            return name(0);
        }

        @Override
        public String conv(String name, String x, float[] weight, int[] weightDims, int stride, int padding) {
            Integer signs = signsOf.get(x);
            Op op = new Op(signs != null ? Kind.BINCONV : Kind.CONV, name, signs != null ? signs : id(x));
            op.weights = weight;
            op.dims = weightDims.clone();
            op.stride = stride;
            op.padding = padding;
            int in = graph.size.getOrDefault(op.inputs[0], -1);
            return op(op, in < 0 ? -1 : (in + 2 * padding - weightDims[2]) / stride + 1);
        }

        @Override
        public String channelAffine(String name, String x, float[] scale, float[] bias) {
            Op conv = graph.producer.get(id(x));
            conv.affine(scale, bias);
            return x;
        }

        @Override
        public String batchNorm(String name, String x, float[] gamma, float[] beta, float[] mean, float[] var, float eps) {
            Op op = new Op(Kind.BN, name, id(x));
            op.gamma = gamma;
            op.beta = beta;
            op.mean = mean;
            op.var = var;
            op.eps = eps;
            return op(op, size(x));
        }

        @Override
        public String activation(String name, String x, Activation kind) {
            Op op = new Op(Kind.ACT, name, id(x));
            op.activation = kind;
            return op(op, size(x));
        }

        @Override
        public String prelu(String name, String x, float[] slope) {
            Op op = new Op(Kind.PRELU, name, id(x));
            op.weights = slope;
            return op(op, size(x));
        }

        @Override
        public String add(String name, String a, String b) {
            return op(new Op(Kind.ADD, name, id(a), id(b)), size(a));
        }

        @Override
        public String signAtSampleMean(String name, String x) {
            String n = "s" + (names++);
            signsOf.put(n, id(x));
            return n;
        }

        @Override
        public String maxPool(String name, String x, int kernel, int stride, int padding) {
            return pool(Kind.MAXPOOL, name, x, kernel, stride, padding);
        }

        @Override
        public String avgPool(String name, String x, int kernel, int stride) {
            return pool(Kind.AVGPOOL, name, x, kernel, stride, 0);
        }

        private String pool(Kind kind, String name, String x, int kernel, int stride, int padding) {
            Op op = new Op(kind, name, id(x));
            op.kernel = kernel;
            op.stride = stride;
            op.padding = padding;
            int in = size(x);
            return op(op, in < 0 ? -1 : (in + 2 * padding - kernel) / stride + 1);
        }

        @Override
        public String globalAvgPool(String name, String x) {
            return op(new Op(Kind.GAP, name, id(x)), 1);
        }

        @Override
        public String flatten(String name, String x) {
            return op(new Op(Kind.FLATTEN, name, id(x)), 1);
        }

        @Override
        public String linear(String name, String x, float[] weight, int out, int in, float[] bias) {
            Op op = new Op(Kind.LINEAR, name, id(x));
            op.weights = weight;
            op.dims = new int[]{out, in};
            op.bias = bias;
            return op(op, 1);
        }

        @Override
        public String shortcutA(String name, String x, int pad) {
            Op op = new Op(Kind.SHORTCUT_A, name, id(x));
            op.pad = pad;
            int in = size(x);
            return op(op, in < 0 ? -1 : (in + 1) / 2);
        }

        @Override
        public void output(String x) {
            graph.output = id(x);
        }
    }
}
