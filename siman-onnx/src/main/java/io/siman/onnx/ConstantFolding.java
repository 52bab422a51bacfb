package io.siman.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Evaluates the shape arithmetic exporters leave in graphs when every input is a constant (PyTorch computes the
 * pads of {@code F.pad} with ConstantOfShape, Concat, Reshape, a reversing Slice, Transpose and Cast): the result is a
 * constant. Returns null for a node it does not evaluate.
 */
final class ConstantFolding {
    /** Constants folded here are small: shapes and pads. */
    private static final int MAX_ELEMENTS = 1 << 16;

    private ConstantFolding() {
    }

    static OnnxGraphReader.Const fold(NodeProto n, Function<String, Object> constants) {
        String op = n.getOpType();
        if (!java.util.Set.of("ConstantOfShape", "Concat", "Reshape", "Slice", "Transpose", "Cast", "Unsqueeze", "Squeeze").contains(op)) {
            return null;
        }
        OnnxGraphReader.Const[] in = new OnnxGraphReader.Const[n.getInputCount()];
        for (int i = 0; i < in.length; i++) {
            if (n.getInput(i).isEmpty()) {
                continue;
            }
            if (!(constants.apply(n.getInput(i)) instanceof OnnxGraphReader.Const c) || c.values().length > MAX_ELEMENTS) {
                return null;
            }
            in[i] = c;
        }
        if (in.length == 0 && !op.equals("ConstantOfShape")) {
            return null;
        }
        return switch (op) {
            case "ConstantOfShape" -> {
                long[] shape = OnnxGraphReader.longs(in[0]);
                long count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
                if (count < 0 || count > MAX_ELEMENTS) {
                    yield null;
                }
                float fill = 0f;
                AttributeProto value = OnnxGraphReader.attribute(n, "value");
                if (value != null && value.hasT()) {
                    var t = value.getT();
                    fill = t.getFloatDataCount() > 0 ? t.getFloatData(0) : t.getInt64DataCount() > 0 ? t.getInt64Data(0)
                            : t.getRawData().size() >= 8 && t.getDataType() == 7
                            ? t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0)
                            : t.getRawData().size() >= 4 ? t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat(0) : 0f;
                }
                float[] v = new float[(int) count];
                Arrays.fill(v, fill);
                yield new OnnxGraphReader.Const(v, shape);
            }
            case "Concat" -> {
                if (Arrays.stream(in).anyMatch(c -> c == null || c.dims().length != 1)) {
                    yield null;
                }
                float[] v = new float[Arrays.stream(in).mapToInt(c -> c.values().length).sum()];
                int at = 0;
                for (OnnxGraphReader.Const c : in) {
                    System.arraycopy(c.values(), 0, v, at, c.values().length);
                    at += c.values().length;
                }
                yield new OnnxGraphReader.Const(v, new long[]{v.length});
            }
            case "Reshape" -> {
                long[] shape = OnnxGraphReader.longs(in[1]);
                long known = 1;
                int free = -1;
                for (int i = 0; i < shape.length; i++) {
                    if (shape[i] == 0 && i < in[0].dims().length) {
                        shape[i] = in[0].dims()[i];
                    }
                    if (shape[i] == -1) {
                        free = i;
                    } else {
                        known *= shape[i];
                    }
                }
                if (free >= 0 && known > 0) {
                    shape[free] = in[0].values().length / known;
                }
                yield Arrays.stream(shape).reduce(1, (a, b) -> a * b) == in[0].values().length ? new OnnxGraphReader.Const(in[0].values(), shape) : null;
            }
            case "Cast" -> in[0];
            case "Unsqueeze", "Squeeze" -> null; // ranks of shapes do not matter here
            case "Transpose" -> transpose(in[0], OnnxGraphReader.ints(n, "perm"));
            case "Slice" -> slice(in);
            default -> null;
        };
    }

    private static OnnxGraphReader.Const transpose(OnnxGraphReader.Const c, long[] perm) {
        long[] d = c.dims();
        if (d.length != 2 || (perm != null && !(perm[0] == 1 && perm[1] == 0))) {
            return null;
        }
        int rows = (int) d[0], cols = (int) d[1];
        float[] v = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < cols; k++) {
                v[k * rows + r] = c.values()[r * cols + k];
            }
        }
        return new OnnxGraphReader.Const(v, new long[]{cols, rows});
    }

    /** Slice of a constant of rank 1 or 2, negative steps included. */
    private static OnnxGraphReader.Const slice(OnnxGraphReader.Const[] in) {
        OnnxGraphReader.Const c = in[0];
        long[] d = c.dims();
        if (d.length < 1 || d.length > 2 || in[1] == null || in[2] == null) {
            return null;
        }
        long[] starts = OnnxGraphReader.longs(in[1]), ends = OnnxGraphReader.longs(in[2]);
        long[] axes = in.length > 3 && in[3] != null ? OnnxGraphReader.longs(in[3]) : null;
        long[] steps = in.length > 4 && in[4] != null ? OnnxGraphReader.longs(in[4]) : null;
        long[][] ranges = new long[d.length][];
        for (int a = 0; a < d.length; a++) {
            ranges[a] = new long[]{0, d[a], 1};
        }
        for (int i = 0; i < starts.length; i++) {
            int axis = (int) (axes == null ? i : axes[i] < 0 ? axes[i] + d.length : axes[i]);
            if (axis < 0 || axis >= d.length) {
                return null;
            }
            long size = d[axis], step = steps == null ? 1 : steps[i];
            if (step == 0) {
                return null;
            }
            long s = starts[i] < 0 ? starts[i] + size : starts[i], e = ends[i] < 0 ? ends[i] + size : ends[i];
            if (step > 0) {
                s = Math.clamp(s, 0, size);
                e = Math.clamp(e, 0, size);
            } else {
                s = Math.clamp(s, -1, size - 1);
                e = Math.clamp(e, -1, size - 1);
            }
            ranges[axis] = new long[]{s, e, step};
        }
        int rows = d.length == 2 ? count(ranges[0]) : 1, cols = count(ranges[d.length - 1]);
        float[] v = new float[rows * cols];
        int width = (int) d[d.length - 1];
        for (int r = 0; r < rows; r++) {
            long sr = d.length == 2 ? ranges[0][0] + r * ranges[0][2] : 0;
            for (int k = 0; k < cols; k++) {
                long sk = ranges[d.length - 1][0] + k * ranges[d.length - 1][2];
                v[r * cols + k] = c.values()[(int) (sr * width + sk)];
            }
        }
        return new OnnxGraphReader.Const(v, d.length == 2 ? new long[]{rows, cols} : new long[]{cols});
    }

    private static int count(long[] range) {
        long s = range[0], e = range[1], step = range[2];
        long n = step > 0 ? (e - s + step - 1) / step : (s - e + (-step) - 1) / (-step);
        return (int) Math.max(0, n);
    }
}
