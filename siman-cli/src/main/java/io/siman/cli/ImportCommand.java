package io.siman.cli;

import io.siman.api.Encoding;
import io.siman.api.SimanException;
import io.siman.api.UnknownNameException;
import io.siman.models.Siman;
import io.siman.models.nets.ModelSpec;
import io.siman.models.pytorch.PyTorchImport;
import io.siman.onnx.OnnxImport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code siman import}: brings a model trained elsewhere in, as a checkpoint that evaluates, trains further and exports. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Imports a PyTorch checkpoint or an ONNX graph of a binary network trained elsewhere.",
                "--from pytorch: the state dict of torch.save (also inside a training script's dict, with or without DataParallel's",
                "'module.'), read without Python (nothing in the file is executed), becomes a checkpoint of the same network: binarized",
                "layers keep their frozen bits (the B buffers) for evaluation, latent weights and alpha for training (train --init).",
                "--from onnx: a graph of a zoo architecture (Sign at the sample mean, +1/-1 or 0/1 weights, Mul, BatchNormalization,",
                "PRelu/Relu/Clip, Add, pooling, Gemm; also our own export) becomes a model file that runs bitwise. See docs/interop.md."})
final class ImportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "The file to import: a .pth or .pt written by torch.save, or a .onnx.")
    Path file;

    @Option(names = "--from", required = true, paramLabel = "FORMAT", description = "The file's format: pytorch or onnx.")
    String from;

    @Option(names = "--model", paramLabel = "NAME", description = "The architecture the file holds: resnet20, resnet18, vgg-small,"
            + " resnet18-imagenet or resnet34-imagenet (required with pytorch; with onnx, the first that matches the graph).")
    String model;

    @Option(names = "--binarizer", defaultValue = "siman", paramLabel = "NAME",
            description = "The binarizer it was trained with (default: ${DEFAULT-VALUE}; a graph without binarized layers is 'none').")
    String binarizer;

    @Option(names = "--encoding", defaultValue = "pm1", paramLabel = "NAME",
            description = "With pytorch: how the bits enter the convolution, pm1 (-1/+1, the authors') or zero-one (default:"
                    + " ${DEFAULT-VALUE}); an ONNX graph's weights say it themselves.")
    String encoding;

    @Option(names = "--dataset", paramLabel = "NAME", description = "The dataset it is for, which sets the input size and class names"
            + " (default: imagenet for the ImageNet networks, else fashion-mnist for 1 input channel and cifar10 for 3).")
    String dataset;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The file to write: a checkpoint (pytorch) or a model file (onnx).")
    Path out;

    @Option(names = "--overwrite", description = "Replace --out if it exists.")
    boolean overwrite;

    @Option(names = "--json", description = "Print one JSON object describing the import.")
    boolean json;

    @Mixin
    BackendOption backendOption;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!from.equals("pytorch") && !from.equals("onnx")) {
            throw new UnknownNameException("import format", from, List.of("pytorch", "onnx"));
        }
        if (model != null) {
            io.siman.models.nets.Zoo.requireKnown(model);
        } else if (from.equals("pytorch")) {
            throw new SimanException("--from pytorch needs --model (the architecture the state dict belongs to)");
        }
        if (Files.exists(out) && !overwrite) {
            throw new SimanException(out + " exists: choose another --out or pass --overwrite");
        }
        if (dataset != null) {
            io.siman.models.data.Datasets.requireKnown(dataset);
        }
        try (Siman siman = backendOption.open()) {
            siman.binarizer(binarizer);
            if (from.equals("onnx")) {
                return importOnnx(siman);
            }
            PyTorchImport.Result r = PyTorchImport.read(siman.backend(), siman.binarizers(), file,
                    new PyTorchImport.Options(model, binarizer, Encoding.fromId(encoding), dataset));
            r.checkpoint().write(out);
            PrintWriter o = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("file", out.toString());
                m.put("source", file.toString());
                m.put("architecture", r.architecture());
                m.put("input_channels", r.inChannels());
                m.put("classes", r.classes());
                m.put("tensors", r.tensors());
                m.put("binarized_layers", r.binarizedLayers());
                m.put("dataset", r.checkpoint().config().get("dataset"));
                m.put("notes", r.notes());
                o.println(Json.write(m));
            } else {
                o.println(String.format(Locale.ROOT, "wrote %s: %s for %d input channels and %d classes (%s), %d tensors, %d binarized"
                                + " layers with their frozen bits", out, r.architecture(), r.inChannels(), r.classes(),
                        r.checkpoint().config().get("dataset"), r.tensors(), r.binarizedLayers()));
                r.notes().forEach(n -> o.println("note: " + n));
            }
            o.flush();
        }
        return 0;
    }

    private int importOnnx(Siman siman) {
        OnnxImport.Result r = OnnxImport.importTo(siman.backend(), siman.binarizers(), file,
                new OnnxImport.Options(model, binarizer, dataset), out);
        PrintWriter o = spec.commandLine().getOut();
        ModelSpec s = r.spec();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", out.toString());
            m.put("source", file.toString());
            m.put("architecture", s.architecture());
            m.put("binarizer", s.binarizer());
            m.put("encoding", s.encoding().id());
            m.put("input", s.inChannels() + "x" + s.inHeight() + "x" + s.inWidth());
            m.put("classes", s.classes());
            m.put("operations", r.operations());
            m.put("binarized_layers", r.bitwiseLayers());
            o.println(Json.write(m));
        } else {
            o.println(String.format(Locale.ROOT, "wrote %s: %s (%s, %s) for %dx%dx%d inputs and %d classes; %d operations, %d binarized layers"
                            + " run bitwise", out, s.architecture(), s.binarizer(), s.encoding().id(), s.inChannels(), s.inHeight(), s.inWidth(),
                    s.classes(), r.operations(), r.bitwiseLayers()));
        }
        o.flush();
        return 0;
    }
}
