package io.siman.spark;

import io.siman.api.InvalidDataException;
import io.siman.models.io.Checkpoint;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training state (parameters, batch-norm statistics, velocities: what {@code Models.snapshot} returns) as bytes,
 * for broadcasts from the driver and task results from the workers. Names in order, then each tensor's dims and
 * its float32 values, little-endian.
 */
final class StateCodec {
    private static final int MAGIC = 0x53535431; // "SST1"

    private StateCodec() {
    }

    static byte[] encode(Map<String, Checkpoint.StoredTensor> state) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeInt(state.size());
            for (Map.Entry<String, Checkpoint.StoredTensor> e : state.entrySet()) {
                out.writeUTF(e.getKey());
                int[] dims = e.getValue().dims();
                out.writeInt(dims.length);
                for (int d : dims) {
                    out.writeInt(d);
                }
                float[] v = e.getValue().values();
                ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(v);
                out.writeInt(v.length);
                out.write(b.array());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a training state in memory", e);
        }
        return bytes.toByteArray();
    }

    static Map<String, Checkpoint.StoredTensor> decode(byte[] data) {
        Map<String, Checkpoint.StoredTensor> state = new LinkedHashMap<>();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            if (in.readInt() != MAGIC) {
                throw new InvalidDataException("not an encoded training state");
            }
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                int[] dims = new int[in.readInt()];
                for (int d = 0; d < dims.length; d++) {
                    dims[d] = in.readInt();
                }
                int count = in.readInt();
                if (count < 0 || (long) count * 4 > in.available()) {
                    throw new InvalidDataException("truncated training state at tensor '" + name + "'");
                }
                byte[] raw = in.readNBytes(count * 4);
                float[] v = new float[count];
                ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
                state.put(name, new Checkpoint.StoredTensor(dims, v));
            }
        } catch (IOException e) {
            throw new InvalidDataException("truncated training state (" + e.getMessage() + ")", e);
        }
        return state;
    }

    /**
     * The element-wise mean of several states with the same tensors: synchronous model averaging of weights,
     * alphas, batch-norm statistics and velocities. Summed in double, in the order given, so the result does not
     * depend on which worker finished first.
     */
    static Map<String, Checkpoint.StoredTensor> average(java.util.List<Map<String, Checkpoint.StoredTensor>> states) {
        Map<String, Checkpoint.StoredTensor> first = states.get(0);
        Map<String, Checkpoint.StoredTensor> mean = new LinkedHashMap<>();
        for (Map.Entry<String, Checkpoint.StoredTensor> e : first.entrySet()) {
            int len = e.getValue().values().length;
            double[] sum = new double[len];
            for (Map<String, Checkpoint.StoredTensor> s : states) {
                Checkpoint.StoredTensor t = s.get(e.getKey());
                if (t == null || t.values().length != len) {
                    throw new IllegalStateException("workers returned different tensors for '" + e.getKey() + "'");
                }
                float[] v = t.values();
                for (int i = 0; i < len; i++) {
                    sum[i] += v[i];
                }
            }
            float[] avg = new float[len];
            for (int i = 0; i < len; i++) {
                avg[i] = (float) (sum[i] / states.size());
            }
            mean.put(e.getKey(), new Checkpoint.StoredTensor(e.getValue().dims(), avg));
        }
        return mean;
    }
}
