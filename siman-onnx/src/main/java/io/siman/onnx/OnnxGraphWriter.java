package io.siman.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.siman.api.Activation;
import io.siman.models.graph.InferenceGraph;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes an {@link InferenceGraph} as an ONNX model (opset {@value #OPSET}, float32, batch size left open): each
 * operation becomes standard nodes, every array an initializer. The sign at the sample mean is
 * {@code Where(GreaterOrEqual(x, ReduceMean(x)), 1, -1)}, so {@code sign(0) = +1} as in the engine.
 */
public final class OnnxGraphWriter implements InferenceGraph {
    /** The operator set written: 13 (Pad and Slice take their arguments as inputs; ReduceMean its axes as an attribute). */
    public static final int OPSET = 13;
    /** ONNX IR version 7 goes with opset 13. */
    private static final int IR_VERSION = 7;

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Set<String> names = new HashSet<>();
    private String one, minusOne;

    /** A graph whose input is {@code [N, channels, height, width]}. */
    public OnnxGraphWriter(String graphName, int channels, int height, int width) {
        graph.setName(graphName);
        names.add("input");
        graph.addInput(ValueInfoProto.newBuilder().setName("input").setType(floatType("N", channels, height, width)));
    }

    /** The model, ready to serialize ({@code toByteArray}). */
    public ModelProto model(String docString) {
        return ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("siman-j")
                .setDocString(docString)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph)
                .build();
    }

    @Override
    public String input() {
        return "input";
    }

    @Override
    public String conv(String name, String x, float[] weight, int[] weightDims, int stride, int padding) {
        String w = initializer(name + ".weight", weight, toLongs(weightDims));
        return node("Conv", name, List.of(x, w),
                ints("kernel_shape", weightDims[2], weightDims[3]), ints("strides", stride, stride),
                ints("pads", padding, padding, padding, padding), ints("dilations", 1, 1), integer("group", 1));
    }

    @Override
    public String channelAffine(String name, String x, float[] scale, float[] bias) {
        String s = initializer(name + ".scale", scale, new long[]{scale.length, 1, 1});
        String b = initializer(name + ".bias", bias, new long[]{bias.length, 1, 1});
        return node("Add", name + ".add", List.of(node("Mul", name + ".mul", List.of(x, s)), b));
    }

    @Override
    public String batchNorm(String name, String x, float[] gamma, float[] beta, float[] mean, float[] var, float eps) {
        long[] dims = {gamma.length};
        return node("BatchNormalization", name, List.of(x, initializer(name + ".weight", gamma, dims), initializer(name + ".bias", beta, dims),
                initializer(name + ".running_mean", mean, dims), initializer(name + ".running_var", var, dims)), real("epsilon", eps));
    }

    @Override
    public String activation(String name, String x, Activation kind) {
        return switch (kind) {
            case RELU -> node("Relu", name, List.of(x));
            case HARDTANH -> node("Clip", name, List.of(x, initializer(name + ".min", new float[]{-1f}, new long[0]),
                    initializer(name + ".max", new float[]{1f}, new long[0])));
        };
    }

    @Override
    public String prelu(String name, String x, float[] slope) {
        return node("PRelu", name, List.of(x, initializer(name + ".weight", slope, new long[]{slope.length, 1, 1})));
    }

    @Override
    public String add(String name, String a, String b) {
        return node("Add", name, List.of(a, b));
    }

    @Override
    public String signAtSampleMean(String name, String x) {
        if (one == null) {
            one = initializer("plus_one", new float[]{1f}, new long[0]);
            minusOne = initializer("minus_one", new float[]{-1f}, new long[0]);
        }
        String mean = node("ReduceMean", name + ".mean", List.of(x), ints("axes", 1, 2, 3), integer("keepdims", 1));
        String atLeast = node("GreaterOrEqual", name + ".ge", List.of(x, mean));
        return node("Where", name, List.of(atLeast, one, minusOne));
    }

    @Override
    public String maxPool(String name, String x, int kernel, int stride, int padding) {
        return node("MaxPool", name, List.of(x), ints("kernel_shape", kernel, kernel), ints("strides", stride, stride),
                ints("pads", padding, padding, padding, padding));
    }

    @Override
    public String avgPool(String name, String x, int kernel, int stride) {
        return node("AveragePool", name, List.of(x), ints("kernel_shape", kernel, kernel), ints("strides", stride, stride));
    }

    @Override
    public String globalAvgPool(String name, String x) {
        return flatten(name + ".flatten", node("GlobalAveragePool", name, List.of(x)));
    }

    @Override
    public String flatten(String name, String x) {
        return node("Flatten", name, List.of(x), integer("axis", 1));
    }

    @Override
    public String linear(String name, String x, float[] weight, int out, int in, float[] bias) {
        return node("Gemm", name, List.of(x, initializer(name + ".weight", weight, new long[]{out, in}),
                initializer(name + ".bias", bias, new long[]{out})), integer("transB", 1));
    }

    @Override
    public String shortcutA(String name, String x, int pad) {
        String sliced = node("Slice", name + ".subsample", List.of(x,
                longs(name + ".starts", 0, 0), longs(name + ".ends", Long.MAX_VALUE, Long.MAX_VALUE),
                longs(name + ".axes", 2, 3), longs(name + ".steps", 2, 2)));
        return node("Pad", name, List.of(sliced, longs(name + ".pads", 0, pad, 0, 0, 0, pad, 0, 0)), text("mode", "constant"));
    }

    @Override
    public void output(String x) {
        graph.addOutput(ValueInfoProto.newBuilder().setName(x).setType(floatType("N", -1)));
    }

    // ---------------------------------------------------------------- protobuf

    private String unique(String name) {
        String n = name;
        for (int i = 2; !names.add(n); i++) {
            n = name + "_" + i;
        }
        return n;
    }

    private String node(String op, String name, List<String> inputs, AttributeProto... attributes) {
        String out = unique(name);
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(out).addAllInput(inputs).addOutput(out);
        for (AttributeProto a : attributes) {
            b.addAttribute(a);
        }
        graph.addNode(b);
        return out;
    }

    private String initializer(String name, float[] values, long[] dims) {
        String n = unique(name);
        TensorProto.Builder t = TensorProto.newBuilder().setName(n).setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (long d : dims) {
            t.addDims(d);
        }
        java.nio.ByteBuffer raw = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        t.setRawData(com.google.protobuf.ByteString.copyFrom(raw.array()));
        graph.addInitializer(t);
        return n;
    }

    private String longs(String name, long... values) {
        String n = unique(name);
        TensorProto.Builder t = TensorProto.newBuilder().setName(n).setDataType(TensorProto.DataType.INT64_VALUE).addDims(values.length);
        for (long v : values) {
            t.addInt64Data(v);
        }
        graph.addInitializer(t);
        return n;
    }

    private static long[] toLongs(int[] dims) {
        long[] l = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            l[i] = dims[i];
        }
        return l;
    }

    private static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    private static AttributeProto integer(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    private static AttributeProto real(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    private static AttributeProto text(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(value)).build();
    }

    /** A float tensor type; a dimension of -1 is left unnamed and open, the first one is {@code batch}. */
    private static TypeProto floatType(String batch, int... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(batch));
        for (int d : dims) {
            shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder() : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape)).build();
    }
}
