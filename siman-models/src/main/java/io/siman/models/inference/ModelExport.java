package io.siman.models.inference;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.api.InferenceForm;
import io.siman.api.InvalidDataException;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.SimanException;
import io.siman.api.Tensor;
import io.siman.models.io.Checkpoint;
import io.siman.models.io.ModelFile;
import io.siman.models.io.TensorTable;
import io.siman.models.layers.BinaryConv2d;
import io.siman.models.layers.BitwiseConv2d;
import io.siman.models.layers.Folding;
import io.siman.models.nets.ModelSpec;
import io.siman.models.nets.Network;
import io.siman.models.nets.Zoo;
import io.siman.models.train.Models;
import io.siman.models.train.TrainingConfig;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Compiles a checkpoint into a model file, and loads a model file into a bitwise network. */
public final class ModelExport {
    /** What an export wrote. */
    public record Result(Path file, long fileBytes, long float32Bytes, long binarizedFloat32Bytes, long bitBytes,
                         int bitwiseLayers) {
    }

    private ModelExport() {
    }

    public static Result export(Backend backend, BinarizerRegistry binarizers, Path checkpoint, Path out) {
        Checkpoint ckpt = Checkpoint.read(checkpoint);
        TrainingConfig config = TrainingConfig.fromMap(ckpt.config(), checkpoint.toString());
        try (Network net = Models.fromCheckpoint(backend, binarizers, ckpt, checkpoint)) {
            Map<String, TensorTable.Entry> floats = new LinkedHashMap<>();
            Map<String, TensorTable.Entry> bits = new LinkedHashMap<>();
            Set<String> replaced = new HashSet<>();
            long binarizedValues = 0, bitBytes = 0;
            int layers = 0;
            for (BinaryConv2d c : net.binaryConvolutions()) {
                InferenceForm form = c.inferenceForm();
                if (form == null || !binarizers.get(config.binarizer()).binarizesActivations()) {
                    continue; // full precision: its float weights stay
                }
                Shape ws = c.parameters().get(0).value().shape();
                int rows = ws.dim(0), n = ws.rowLength();
                long[] packed = ModelFile.packRows(backend.downloadFloats(form.effective()), rows, n);
                bits.put(c.name() + ".bits", TensorTable.Entry.ofLongs(new int[]{rows, (n + 63) >>> 6}, packed));
                Folding.Affine affine = c.inferenceAffine(form);
                floats.put(c.name() + ".scale", TensorTable.Entry.of(new int[]{rows}, affine.scale()));
                floats.put(c.name() + ".bias", TensorTable.Entry.of(new int[]{rows}, affine.bias()));
                for (Parameter p : c.parameters()) {
                    replaced.add(p.name());
                }
                replaced.add(c.name() + ".frozen");
                if (c.foldedNorm() != null) {
                    String bn = c.foldedNorm().name();
                    replaced.addAll(java.util.List.of(bn + ".weight", bn + ".bias", bn + ".running_mean", bn + ".running_var"));
                }
                binarizedValues += ws.size();
                bitBytes += packed.length * 8L;
                layers++;
            }
            long floatValues = 0;
            for (Parameter p : net.parameters()) {
                floatValues += p.value().shape().size();
                if (!replaced.contains(p.name())) {
                    floats.put(p.name(), entry(backend, p.value()));
                }
            }
            for (Map.Entry<String, Tensor> b : net.buffers().entrySet()) {
                if (!replaced.contains(b.getKey())) {
                    floats.put(b.getKey(), entry(backend, b.getValue()));
                }
            }
            Map<String, String> h = header(net.spec(), config.dataset(), ckpt.state().getOrDefault("class-names", ""), layers);
            h.put("source-checkpoint", checkpoint.getFileName().toString());
            h.put("source-checkpoint-sha256", ckpt.sha256());
            h.put("source-epoch", ckpt.state().getOrDefault("epoch", ""));
            h.put("source-test-acc", ckpt.state().getOrDefault("test-acc", ""));
            h.put("created", Instant.now().toString());
            ModelFile mf = new ModelFile(h, floats, bits);
            mf.write(out);
            long fileBytes;
            try {
                fileBytes = java.nio.file.Files.size(out);
            } catch (java.io.IOException e) {
                throw new SimanException("cannot read back " + out + ": " + e.getMessage());
            }
            return new Result(out, fileBytes, floatValues * 4, binarizedValues * 4, bitBytes, layers);
        }
    }

    /**
     * The model file's header of a network: what {@link #spec} and the predictors read (architecture, binarizer,
     * encoding, input, classes, class names joined by {@code |}, dataset and its preprocessing, binarized layers);
     * the caller adds where the model came from and {@code created}.
     */
    public static Map<String, String> header(ModelSpec spec, String dataset, String classNames, int bitwiseLayers) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("format", "siman-model");
        h.put("architecture", spec.architecture());
        h.put("binarizer", spec.binarizer());
        h.put("encoding", spec.encoding().id());
        h.put("input", spec.inChannels() + "x" + spec.inHeight() + "x" + spec.inWidth());
        h.put("classes", Integer.toString(spec.classes()));
        h.put("class-names", classNames);
        h.put("dataset", dataset);
        h.put("preprocessing", io.siman.models.data.Inputs.describe(dataset));
        h.put("bitwise-layers", Integer.toString(bitwiseLayers));
        return h;
    }

    /**
     * A model of a zoo architecture with freshly initialized weights (for benchmarks): writes
     * {@code dir/random.ckpt} and exports it to {@code dir/random.siman}.
     */
    public static Path randomModel(Backend backend, BinarizerRegistry binarizers, String architecture, String binarizer,
                                   Encoding encoding, String dataset, long seed, Path dir) {
        io.siman.models.data.Datasets.requireKnown(dataset);
        TrainingConfig config = new TrainingConfig(architecture, dataset, binarizer, encoding, 1, 2, 0.1, 0.9, 5e-4, null, 0, seed, 0, 0);
        int[] input = io.siman.models.data.Datasets.inputShape(dataset);
        int classes = io.siman.models.data.Datasets.classes(dataset);
        Path ckpt = dir.resolve("random.ckpt");
        try (Network net = Models.build(backend, binarizers, config, input, classes)) {
            Map<String, String> state = new LinkedHashMap<>();
            state.put("epoch", "0");
            state.put("input", input[0] + "x" + input[1] + "x" + input[2]);
            state.put("classes", Integer.toString(classes));
            new Checkpoint(config.toMap(), Map.of(), state, Models.snapshot(backend, net, null)).write(ckpt);
        }
        Path model = dir.resolve("random.siman");
        export(backend, binarizers, ckpt, model);
        return model;
    }

    private static TensorTable.Entry entry(Backend backend, Tensor t) {
        return TensorTable.Entry.of(t.shape().dims(), backend.downloadFloats(t));
    }

    /** The model's spec from its header. */
    public static ModelSpec spec(ModelFile mf, Path source) {
        Map<String, String> h = mf.header();
        for (String key : new String[]{"architecture", "binarizer", "encoding", "input", "classes", "dataset"}) {
            if (h.get(key) == null || h.get(key).isBlank()) {
                throw new InvalidDataException(source + ": corrupt model header (no '" + key + "' entry)");
            }
        }
        try {
            String[] in = h.get("input").split("x");
            if (in.length != 3) {
                throw new InvalidDataException(source + ": corrupt model header (input '" + h.get("input") + "' is not CxHxW)");
            }
            return new ModelSpec(h.get("architecture"), h.get("binarizer"), Encoding.fromId(h.get("encoding")),
                    Integer.parseInt(in[0]), Integer.parseInt(in[1]), Integer.parseInt(in[2]), Integer.parseInt(h.get("classes")), 0);
        } catch (InvalidDataException e) {
            throw e;
        } catch (SimanException e) {
            throw new InvalidDataException(source + ": " + e.getMessage());
        } catch (RuntimeException e) {
            throw new InvalidDataException(source + ": corrupt model header (" + e.getMessage() + ")");
        }
    }

    /** Builds the bitwise network of a model file and loads its bits, affines and full-precision tensors. */
    public static Network load(Backend backend, BinarizerRegistry binarizers, ModelFile mf, Path source) {
        return load(backend, binarizers, mf, source, Zoo.Mode.BITWISE);
    }

    /** As {@link #load(Backend, BinarizerRegistry, ModelFile, Path)}, bitwise or as its float simulation. */
    public static Network load(Backend backend, BinarizerRegistry binarizers, ModelFile mf, Path source, Zoo.Mode mode) {
        if (mode == Zoo.Mode.TRAIN) {
            throw new SimanException("a model file holds bits, not latent weights: it cannot be trained");
        }
        ModelSpec spec = spec(mf, source);
        Zoo.requireKnown(spec.architecture());
        Network net = Zoo.build(backend, spec, binarizers, mode);
        try {
            Set<String> used = new HashSet<>();
            for (BitwiseConv2d c : net.layers(BitwiseConv2d.class)) {
                TensorTable.Entry b = required(mf.bits(), c.name() + ".bits", source);
                TensorTable.Entry s = required(mf.floats(), c.name() + ".scale", source);
                TensorTable.Entry o = required(mf.floats(), c.name() + ".bias", source);
                int rows = c.outChannels(), n = c.weightShape().rowLength();
                if (b.dims().length != 2 || b.dims()[0] != rows || b.dims()[1] != (n + 63) >>> 6) {
                    throw new InvalidDataException(source + ": bits of " + c.name() + " have the wrong shape");
                }
                c.loadBits(b.longs(), s.floats(), o.floats());
                used.addAll(java.util.List.of(c.name() + ".bits", c.name() + ".scale", c.name() + ".bias"));
            }
            for (Parameter p : net.parameters()) {
                load(backend, p.value(), required(mf.floats(), p.name(), source), p.name(), source);
                used.add(p.name());
            }
            for (Map.Entry<String, Tensor> b : net.buffers().entrySet()) {
                load(backend, b.getValue(), required(mf.floats(), b.getKey(), source), b.getKey(), source);
                used.add(b.getKey());
            }
            for (String name : mf.floats().keySet()) {
                if (!used.contains(name)) {
                    throw new InvalidDataException(source + ": tensor '" + name + "' belongs to no layer of " + spec.architecture());
                }
            }
            return net;
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
    }

    private static TensorTable.Entry required(Map<String, TensorTable.Entry> m, String name, Path source) {
        TensorTable.Entry e = m.get(name);
        if (e == null) {
            throw new InvalidDataException(source + ": model file lacks '" + name + "'");
        }
        return e;
    }

    private static void load(Backend backend, Tensor target, TensorTable.Entry e, String name, Path source) {
        if (!Shape.of(e.dims()).equals(target.shape()) || e.floats() == null) {
            throw new InvalidDataException(source + ": tensor '" + name + "' has shape " + java.util.Arrays.toString(e.dims())
                    + ", the network needs " + target.shape());
        }
        backend.write(target, e.floats());
    }
}
