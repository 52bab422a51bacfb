package io.siman.models.pytorch;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.api.InvalidDataException;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.models.data.Datasets;
import io.siman.models.io.Checkpoint;
import io.siman.models.nets.Network;
import io.siman.models.nets.Zoo;
import io.siman.models.train.Models;
import io.siman.models.train.TrainingConfig;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Imports a PyTorch state dict of the SiMaN authors' networks (docs/interop.md, "PyTorch checkpoints in") as a
 * checkpoint of the same network here: their CIFAR ResNet-20 ({@code resnet20_1w1a}), ResNet-18 and VGG-small, and their
 * ImageNet ResNet-18/34. Names map one to one (their {@code nonlinearN} PReLUs are our {@code preluN}, their head
 * {@code bn2} our {@code bn_head}, their {@code linear} our {@code fc}, their ResNet-18 {@code shortcut} our
 * {@code downsample}); a binarized layer's {@code B} buffer ([Co, 1, n], 0/1) becomes its frozen bits, which the
 * authors' evaluation uses (recomputing them from the latent weights would give another network); the latent
 * weights and alpha are kept so training can continue. Input channels and classes are read from the tensors.
 */
public final class PyTorchImport {
    private PyTorchImport() {
    }

    /** What to import as: the architecture, the binarizer and encoding of the checkpoint, the dataset it is for. */
    public record Options(String architecture, String binarizer, Encoding encoding, String dataset) {
        public Options {
            Zoo.requireKnown(architecture);
        }
    }

    /** The imported checkpoint and what the import noticed. */
    public record Result(Checkpoint checkpoint, String architecture, int inChannels, int classes, int tensors,
                         int binarizedLayers, List<String> notes) {
    }

    /** Reads {@code file} and returns the checkpoint (not yet written). */
    public static Result read(Backend backend, BinarizerRegistry binarizers, Path file, Options options) {
        try (TorchFile torch = TorchFile.open(file)) {
            return convert(backend, binarizers, torch, options);
        }
    }

    /** The authors' name of one of our parameters or buffers in {@code architecture}. */
    public static String authorsName(String architecture, String ours) {
        String n = ours.replaceAll("(^|\\.)prelu(\\d)", "$1nonlinear$2");
        if (n.startsWith("bn_head.")) {
            n = "bn2." + n.substring("bn_head.".length());
        }
        if ((architecture.equals("resnet20") || architecture.equals("resnet18")) && n.startsWith("fc.")) {
            n = "linear." + n.substring(3);
        }
        if (architecture.equals("resnet18")) {
            n = n.replace(".downsample.", ".shortcut.");
        }
        return n;
    }

    private static Result convert(Backend backend, BinarizerRegistry binarizers, TorchFile torch, Options o) {
        Path file = torch.path();
        Map<String, TorchFile.Tensor> sd = torch.stateDict();
        String arch = o.architecture();
        String stemName = arch.equals("vgg-small") ? "conv0.weight" : "conv1.weight";
        String headName = authorsName(arch, "fc.weight");
        TorchFile.Tensor stem = require(file, sd, stemName, "[out, in, k, k]", 4);
        TorchFile.Tensor head = require(file, sd, headName, "[classes, features]", 2);
        int channels = stem.size()[1], classes = head.size()[0];
        String dataset = o.dataset() != null ? o.dataset() : Datasets.defaultFor(arch, channels);
        int[] shape = Datasets.inputShape(dataset);
        int[] input = {channels, shape[1], shape[2]};
        TrainingConfig config = TrainingConfig.builder().model(arch).dataset(dataset).binarizer(o.binarizer())
                .encoding(o.encoding()).build();

        Map<String, Checkpoint.StoredTensor> tensors = new LinkedHashMap<>();
        Set<String> used = new HashSet<>();
        Set<String> percents = new LinkedHashSet<>();
        int binarized = 0;
        try (Network net = Models.build(backend, binarizers, config, input, classes)) {
            for (Parameter p : net.parameters()) {
                String theirs = authorsName(arch, p.name());
                Shape want = p.value().shape();
                // their alpha is [Co, 1, 1], ours [Co] (accepted too)
                TorchFile.Tensor t = p.role() == Parameter.Role.BINARIZED_SCALE
                        ? required(file, sd, theirs, new int[]{want.dims()[0], 1, 1}, arch, want.dims())
                        : required(file, sd, theirs, want.dims(), arch);
                tensors.put(p.name(), new Checkpoint.StoredTensor(want.dims(), finite(file, theirs, torch.floats(theirs, t))));
                used.add(theirs);
                if (p.role() == Parameter.Role.BINARIZED_WEIGHT) {
                    String layer = p.name().substring(0, p.name().length() - ".weight".length());
                    String their = theirs.substring(0, theirs.length() - ".weight".length());
                    tensors.put(layer + ".frozen", new Checkpoint.StoredTensor(want.dims(), bits(torch, sd, their, want, o.encoding(), arch)));
                    used.add(their + ".B");
                    TorchFile.Tensor percent = sd.get(their + ".percent");
                    if (percent != null && percent.numel() == 1) {
                        percents.add(Float.toString(torch.floats(their + ".percent", percent)[0]));
                        used.add(their + ".percent");
                    }
                    binarized++;
                }
            }
            for (Map.Entry<String, Tensor> b : net.buffers().entrySet()) {
                String theirs = authorsName(arch, b.getKey());
                int[] want = b.getValue().shape().dims();
                TorchFile.Tensor t = required(file, sd, theirs, want, arch);
                tensors.put(b.getKey(), new Checkpoint.StoredTensor(want, finite(file, theirs, torch.floats(theirs, t))));
                used.add(theirs);
            }
            for (Map.Entry<String, TorchFile.Tensor> e : sd.entrySet()) {
                if (!used.contains(e.getKey()) && !e.getKey().endsWith(".num_batches_tracked")) {
                    throw new InvalidDataException(file + ": tensor '" + e.getKey() + "' " + dims(e.getValue().size())
                            + " has no place in " + arch + " (a checkpoint of another network?)");
                }
            }
            Map<String, String> run = new LinkedHashMap<>();
            run.put("imported-from", file.toAbsolutePath().toString());
            run.put("imported-format", "pytorch");
            if (!percents.isEmpty()) {
                run.put("imported-clip-percent", String.join(",", percents));
            }
            Map<String, String> state = new LinkedHashMap<>();
            Object epoch = torch.entry("epoch");
            state.put("epoch", epoch instanceof Long e ? Long.toString(e - 1) : "imported");
            state.put("input", Models.formatInput(input));
            state.put("classes", Integer.toString(classes));
            String names = Datasets.classNamesText(dataset, classes);
            if (!names.isEmpty()) {
                state.put("class-names", names);
            }
            Checkpoint ckpt = new Checkpoint(config.toMap(), run, state, tensors);
            Models.restore(backend, net, null, ckpt, file); // every tensor lands in the network it will be read into
            List<String> notes = percents.size() > 1 ? List.of("layers were clipped at different percentiles: " + percents) : List.of();
            return new Result(ckpt, arch, channels, classes, tensors.size(), binarized, notes);
        }
    }

    /** {@code their.B} ([Co, 1, n], 0 or 1) as the frozen effective weights of the encoding, shaped as the weights. */
    private static float[] bits(TorchFile torch, Map<String, TorchFile.Tensor> sd, String their, Shape weights, Encoding encoding,
                                String arch) {
        TorchFile.Tensor b = required(torch.path(), sd, their + ".B", new int[]{weights.dims()[0], 1, weights.rowLength()}, arch);
        float[] v = torch.floats(their + ".B", b);
        float low = encoding == Encoding.PM1 ? -1f : 0f;
        for (int i = 0; i < v.length; i++) {
            if (v[i] != 0f && v[i] != 1f) {
                throw new InvalidDataException(torch.path() + ": tensor '" + their + ".B' holds " + v[i] + " at " + i + " (bits are 0 or 1)");
            }
            v[i] = v[i] == 1f ? 1f : low;
        }
        return v;
    }

    /** {@code sd[name]}, which must have {@code shape} (or {@code alternative}): else a one-line error naming it and the shape. */
    private static TorchFile.Tensor required(Path file, Map<String, TorchFile.Tensor> sd, String name, int[] shape, String arch,
                                             int[]... alternative) {
        TorchFile.Tensor t = sd.get(name);
        if (t == null) {
            throw new InvalidDataException(file + ": lacks tensor '" + name + "' of shape " + dims(shape) + " (" + arch + ")");
        }
        if (!Arrays.equals(t.size(), shape) && (alternative.length == 0 || !Arrays.equals(t.size(), alternative[0]))) {
            throw new InvalidDataException(file + ": tensor '" + name + "' has shape " + dims(t.size()) + ", " + arch + " needs " + dims(shape));
        }
        return t;
    }

    private static float[] finite(Path file, String name, float[] v) {
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new InvalidDataException(file + ": tensor '" + name + "' holds " + v[i] + " at " + i);
            }
        }
        return v;
    }

    private static TorchFile.Tensor require(Path file, Map<String, TorchFile.Tensor> sd, String name, String shape, int rank) {
        TorchFile.Tensor t = sd.get(name);
        if (t == null || t.size().length != rank) {
            List<String> some = sd.keySet().stream().limit(4).toList();
            throw new InvalidDataException(file + ": " + (t == null ? "no tensor '" + name + "'" : "tensor '" + name + "' is not " + shape)
                    + " (it holds " + String.join(", ", some) + (sd.size() > 4 ? ", ..." : "") + "): not this architecture's state dict");
        }
        return t;
    }

    static String dims(int[] d) {
        return Arrays.toString(d);
    }
}
