package io.siman.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.google.protobuf.InvalidProtocolBufferException;
import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.InvalidDataException;
import io.siman.api.SimanException;
import io.siman.models.data.Datasets;
import io.siman.models.inference.ModelExport;
import io.siman.models.io.ModelFile;
import io.siman.models.io.TensorTable;
import io.siman.models.layers.BatchNorm;
import io.siman.models.nets.ModelSpec;
import io.siman.models.nets.Network;
import io.siman.models.nets.Zoo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles an ONNX graph of a binary network into a model file that runs bitwise (docs/interop.md, "ONNX in"). The
 * graph is reduced to the engine's layer operations ({@link OnnxGraphReader}) and compared, operation by operation
 * along the data flow, with what each zoo architecture describes of itself for the graph's input channels, input
 * size and classes; the first architecture that matches takes the graph's tensors. Binarized convolutions keep their
 * bits and their folded per-channel affine exactly; a full-precision convolution with a bias (PyTorch folds the batch
 * norm after it into one) becomes the convolution and a batch norm computing the same affine.
 */
public final class OnnxImport {
    /** Largest ONNX file read: ImageNet ResNet-34 in float32 is about 90 MB. */
    static final long MAX_BYTES = 1L << 30;

    private OnnxImport() {
    }

    /**
     * @param architecture the zoo architecture the graph must be (null: the first that matches)
     * @param binarizer    the binarizer recorded in the model file for binarized networks (default {@code siman})
     * @param dataset      the dataset it is for: input size (when the graph leaves it open) and class names (null: by channels)
     */
    public record Options(String architecture, String binarizer, String dataset) {
    }

    public record Result(ModelFile model, ModelSpec spec, int operations, int bitwiseLayers) {
    }

    /** Reads and compiles {@code file}; the model file is returned, not written. */
    public static Result read(Backend backend, BinarizerRegistry binarizers, Path file, Options options) {
        ModelProto model = parse(file);
        if (!model.hasGraph()) {
            throw new InvalidDataException(file + ": an ONNX file without a graph");
        }
        OnnxGraphReader.Read read = OnnxGraphReader.read(file.toString(), model.getGraph());
        LayerGraph imported = read.graph();
        LayerGraph.Op first = imported.consumersOf(0).stream()
                .filter(o -> o.kind == LayerGraph.Kind.CONV || o.kind == LayerGraph.Kind.BINCONV).findFirst().orElse(null);
        LayerGraph.Op last = imported.producer.get(imported.output);
        if (first == null || last == null || last.kind != LayerGraph.Kind.LINEAR) {
            throw new InvalidDataException(file + ": the graph does not start with a convolution of its input and end with a"
                    + " linear classifier, as the zoo's networks do");
        }
        boolean binary = imported.ops.stream().anyMatch(o -> o.kind == LayerGraph.Kind.BINCONV);
        String binarizer = !binary ? "none" : options.binarizer() != null ? options.binarizer() : "siman";
        int channels = first.dims[1], classes = last.dims[0];
        List<String> candidates = options.architecture() != null ? List.of(options.architecture()) : Zoo.NAMES;
        if (options.architecture() != null) {
            Zoo.requireKnown(options.architecture());
        }
        Mismatch best = null;
        for (String arch : candidates) {
            String dataset = options.dataset() != null ? options.dataset() : Datasets.defaultFor(arch, channels);
            Datasets.requireKnown(dataset);
            int size = read.inputSize() > 0 ? read.inputSize() : Datasets.inputShape(dataset)[1];
            ModelSpec spec;
            Network net;
            try {
                spec = new ModelSpec(arch, binarizer, read.encoding(), channels, size, size, classes, 0);
                net = Zoo.build(backend, spec, binarizers, Zoo.Mode.BITWISE);
            } catch (SimanException e) {
                Mismatch m = new Mismatch(0, e.getMessage());
                m.architecture = arch;
                best = best == null || m.progress > best.progress ? m : best;
                continue;
            }
            try (net) {
                LayerGraph.Recorder ours = new LayerGraph.Recorder(size);
                net.describe(ours);
                Map<String, TensorTable.Entry> floats = new LinkedHashMap<>(), bits = new LinkedHashMap<>();
                try {
                    match(ours.graph, imported, floats, bits);
                } catch (Mismatch m) {
                    m.architecture = arch;
                    best = best == null || m.progress > best.progress ? m : best;
                    continue;
                }
                ModelFile mf = new ModelFile(header(spec, dataset, file, bits.size()), floats, bits);
                ModelExport.load(backend, binarizers, mf, file).close(); // every tensor has its place
                return new Result(mf, spec, imported.ops.size(), bits.size());
            }
        }
        throw new InvalidDataException(file + ": the graph is not " + (candidates.size() == 1 ? candidates.get(0) : "one of the zoo's"
                + " architectures (closest: " + best.architecture + ")") + ": " + best.getMessage());
    }

    /** As {@link #read}, then writes the model file to {@code out} (atomically). */
    public static Result importTo(Backend backend, BinarizerRegistry binarizers, Path file, Options options, Path out) {
        Result r = read(backend, binarizers, file, options);
        r.model().write(out);
        return r;
    }

    private static ModelProto parse(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidDataException(file + ": no such file");
        }
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new InvalidDataException(file + ": " + size + " bytes, more than the " + MAX_BYTES + " an ONNX model here may have");
            }
            return ModelProto.parseFrom(Files.readAllBytes(file));
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidDataException(file + ": not an ONNX model (" + firstLine(e.getMessage()) + ")");
        } catch (IOException e) {
            throw new InvalidDataException(file + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    private static String firstLine(String s) {
        return s == null ? "unreadable" : s.lines().findFirst().orElse(s);
    }

    /** Where the comparison with one architecture stopped, and how far it got. */
    private static final class Mismatch extends Exception {
        String architecture;
        final int progress;

        Mismatch(int progress, String message) {
            super(message, null, false, false);
            this.progress = progress;
        }
    }

    /**
     * Walks our network's operations in order and finds each one's counterpart among the consumers of the imported
     * values already matched; fills the model file's tensors from the counterparts.
     */
    private static void match(LayerGraph ours, LayerGraph theirs, Map<String, TensorTable.Entry> floats,
                              Map<String, TensorTable.Entry> bits) throws Mismatch {
        Map<Integer, Integer> value = new HashMap<>();
        value.put(0, 0);
        Set<LayerGraph.Op> used = new HashSet<>();
        Set<LayerGraph.Op> affineTaken = new HashSet<>();
        int done = 0;
        for (LayerGraph.Op op : ours.ops) {
            Integer x = value.get(op.inputs[0]);
            if (x == null) {
                throw new Mismatch(done, "internal: " + op.name + " reads an unmatched value");
            }
            LayerGraph.Op producer = theirs.producer.get(x);
            if (op.kind == LayerGraph.Kind.BN && producer != null && producer.kind == LayerGraph.Kind.CONV && producer.hasAffine()
                    && theirs.consumersOf(x).stream().noneMatch(c -> c.kind == LayerGraph.Kind.BN)) {
                // the exporter folded this batch norm into the convolution's bias (and scale): the same affine as a batch norm
                float[] var = new float[producer.scale.length];
                Arrays.fill(var, UNIT_VARIANCE);
                putBatchNorm(floats, op.name, producer.scale, producer.bias, new float[var.length], var);
                affineTaken.add(producer);
                value.put(op.output, x);
                done++;
                continue;
            }
            List<LayerGraph.Op> found = new ArrayList<>();
            for (LayerGraph.Op c : theirs.consumersOf(x)) {
                if (!used.contains(c) && compatible(op, c, value)) {
                    found.add(c);
                }
            }
            int out;
            if (found.isEmpty() && op.kind == LayerGraph.Kind.GAP) {
                // an average pooling over the whole map, then flatten (how PyTorch writes F.avg_pool2d(x, size))
                int size = ours.size.getOrDefault(op.inputs[0], -1);
                LayerGraph.Op pool = theirs.consumersOf(x).stream().filter(c -> c.kind == LayerGraph.Kind.AVGPOOL && c.kernel == size
                        && c.padding == 0 && !used.contains(c)).findFirst().orElse(null);
                List<LayerGraph.Op> next = pool == null ? List.of() : theirs.consumersOf(pool.output);
                if (pool == null || next.size() != 1 || next.get(0).kind != LayerGraph.Kind.FLATTEN) {
                    throw mismatch(op, theirs, x, done);
                }
                used.add(pool);
                used.add(next.get(0));
                out = next.get(0).output;
            } else if (found.size() != 1) {
                throw mismatch(op, theirs, x, done);
            } else {
                LayerGraph.Op c = found.get(0);
                used.add(c);
                out = c.output;
                tensors(op, c, floats, bits);
            }
            value.put(op.output, out);
            done++;
        }
        for (LayerGraph.Op c : theirs.ops) {
            if (!used.contains(c)) {
                throw new Mismatch(done, "its operation " + c.name + " (" + c.describe() + ") has no counterpart");
            }
            if (c.kind == LayerGraph.Kind.CONV && c.hasAffine() && !affineTaken.contains(c)) {
                throw new Mismatch(done, "its convolution " + c.name + " has a bias, where the network has no batch norm to take it");
            }
        }
        if (!Integer.valueOf(theirs.output).equals(value.get(ours.output))) {
            throw new Mismatch(done, "its output is not the classifier's");
        }
    }

    /** A batch-norm variance {@code v} with {@code sqrt(v + eps) == 1} in float: the batch norm is then {@code x * gamma + beta}. */
    static final float UNIT_VARIANCE = unitVariance();

    private static float unitVariance() {
        float v = 1f - BatchNorm.EPS;
        while ((float) Math.sqrt(v + BatchNorm.EPS) != 1f) {
            v = Math.nextUp(v);
        }
        return v;
    }

    private static Mismatch mismatch(LayerGraph.Op op, LayerGraph theirs, int x, int done) {
        List<String> there = theirs.consumersOf(x).stream().map(c -> c.name + " (" + c.describe() + ")").toList();
        return new Mismatch(done, "at " + op.name + " the network has a " + op.describe() + ", the graph "
                + (there.isEmpty() ? "nothing" : String.join(", ", there)));
    }

    private static boolean compatible(LayerGraph.Op ours, LayerGraph.Op c, Map<Integer, Integer> value) {
        if (ours.kind != c.kind) {
            return false;
        }
        return switch (ours.kind) {
            case CONV, BINCONV -> Arrays.equals(ours.dims, c.dims) && ours.stride == c.stride && ours.padding == c.padding;
            case BN -> ours.gamma.length == c.gamma.length;
            case PRELU -> ours.weights.length == c.weights.length;
            case ACT -> ours.activation == c.activation;
            case MAXPOOL, AVGPOOL -> ours.kernel == c.kernel && ours.stride == c.stride && ours.padding == c.padding;
            case LINEAR -> Arrays.equals(ours.dims, c.dims);
            case SHORTCUT_A -> ours.pad == c.pad;
            case ADD -> {
                Integer a = value.get(ours.inputs[0]), b = value.get(ours.inputs[1]);
                yield a != null && b != null && (a == c.inputs[0] && b == c.inputs[1] || a == c.inputs[1] && b == c.inputs[0]);
            }
            case GAP, FLATTEN -> true;
        };
    }

    /** The model file's tensors of our operation {@code ours}, from its counterpart {@code c}. */
    private static void tensors(LayerGraph.Op ours, LayerGraph.Op c, Map<String, TensorTable.Entry> floats, Map<String, TensorTable.Entry> bits) {
        switch (ours.kind) {
            case BINCONV -> {
                int rows = c.dims[0], n = c.dims[1] * c.dims[2] * c.dims[3];
                long[] packed = ModelFile.packRows(c.weights, rows, n);
                bits.put(ours.name + ".bits", TensorTable.Entry.ofLongs(new int[]{rows, (n + 63) >>> 6}, packed));
                float[] scale = c.scale, bias = c.bias;
                if (scale == null) {
                    scale = new float[rows];
                    Arrays.fill(scale, 1f);
                    bias = new float[rows];
                }
                floats.put(ours.name + ".scale", TensorTable.Entry.of(new int[]{rows}, scale));
                floats.put(ours.name + ".bias", TensorTable.Entry.of(new int[]{rows}, bias));
            }
            case CONV -> floats.put(ours.name + ".weight", TensorTable.Entry.of(c.dims, c.weights));
            case BN -> {
                float[] var = c.var;
                if (c.eps != BatchNorm.EPS) {
                    var = new float[c.var.length];
                    for (int i = 0; i < var.length; i++) {
                        var[i] = Math.max(0f, (float) (c.var[i] + (double) c.eps - BatchNorm.EPS));
                    }
                }
                putBatchNorm(floats, ours.name, c.gamma, c.beta, c.mean, var);
            }
            case PRELU -> floats.put(ours.name + ".weight", TensorTable.Entry.of(new int[]{c.weights.length}, c.weights));
            case LINEAR -> {
                floats.put(ours.name + ".weight", TensorTable.Entry.of(c.dims, c.weights));
                floats.put(ours.name + ".bias", TensorTable.Entry.of(new int[]{c.dims[0]}, c.bias != null ? c.bias : new float[c.dims[0]]));
            }
            default -> {
                // no tensors
            }
        }
    }

    private static void putBatchNorm(Map<String, TensorTable.Entry> floats, String name, float[] gamma, float[] beta, float[] mean, float[] var) {
        int[] d = {gamma.length};
        floats.put(name + ".weight", TensorTable.Entry.of(d, gamma));
        floats.put(name + ".bias", TensorTable.Entry.of(d, beta));
        floats.put(name + ".running_mean", TensorTable.Entry.of(d, mean));
        floats.put(name + ".running_var", TensorTable.Entry.of(d, var));
    }

    private static Map<String, String> header(ModelSpec spec, String dataset, Path file, int bitwiseLayers) {
        Map<String, String> h = ModelExport.header(spec, dataset, Datasets.classNamesText(dataset, spec.classes()), bitwiseLayers);
        h.put("source-onnx", file.getFileName().toString());
        h.put("created", Instant.now().toString());
        return h;
    }

}
