package io.siman.cli;

import io.siman.api.Encoding;
import io.siman.api.SimanException;
import io.siman.models.Siman;
import io.siman.models.data.Datasets;
import io.siman.models.io.Checkpoint;
import io.siman.models.inference.ModelExport;
import io.siman.models.io.ModelFile;
import io.siman.models.layers.Footprint;
import io.siman.models.nets.ModelSpec;
import io.siman.models.nets.Network;
import io.siman.models.nets.Zoo;
import io.siman.models.summary.ModelSummary;
import io.siman.models.train.Models;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code siman summary}: a network layer by layer, with bits, floats, memory and multiply-accumulates. */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = {"Describes a network layer by layer: shapes, parameters, memory and multiply-accumulates.",
                "Per layer: type, output shape, parameters as bits and as 32-bit floats, memory, binary and float multiply-accumulates per image; then totals, the float32-equivalent size and the compression ratio.",
                "Give a zoo network (--model), a checkpoint or a model file."})
final class SummaryCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "NAME", description = "A zoo network: " + "resnet20, resnet18, vgg-small, resnet18-imagenet, resnet34-imagenet.")
    String model;

    @Option(names = "--dataset", defaultValue = "fashion-mnist", paramLabel = "NAME",
            description = "With --model: input shape and classes (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--binarizer", defaultValue = "siman", paramLabel = "NAME", description = "With --model (default: ${DEFAULT-VALUE}).")
    String binarizer;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "Or a checkpoint written by 'siman train'.")
    Path checkpoint;

    @Option(names = "--model-file", paramLabel = "FILE", description = "Or a model written by 'siman export' (bits and folded affines).")
    Path modelFile;

    @Option(names = "--json", description = "Print one JSON object: layers (name, type, output, one_bit_params, float_params, bytes,"
            + " binary_macs, float_macs) and totals.")
    boolean json;

    @Mixin
    BackendOption backendOption;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        int given = (model != null ? 1 : 0) + (checkpoint != null ? 1 : 0) + (modelFile != null ? 1 : 0);
        if (given != 1) {
            throw new SimanException("give exactly one of --model, --checkpoint and --model-file");
        }
        try (Siman siman = backendOption.open()) {
            ModelSummary summary;
            if (model != null) {
                Zoo.requireKnown(model);
                int[] in = Datasets.inputShape(dataset);
                ModelSpec s = new ModelSpec(model, binarizer, Encoding.PM1, in[0], in[1], in[2], Datasets.classes(dataset), 1);
                siman.binarizers().get(binarizer);
                try (Network net = Zoo.build(siman.backend(), s, siman.binarizers())) {
                    summary = ModelSummary.of(siman.backend(), net, model + " (" + binarizer + ") on " + dataset + " inputs "
                            + in[0] + "x" + in[1] + "x" + in[2]);
                }
            } else if (checkpoint != null) {
                try (Network net = Models.fromCheckpoint(siman.backend(), siman.binarizers(), Checkpoint.read(checkpoint), checkpoint)) {
                    summary = ModelSummary.of(siman.backend(), net, checkpoint + ": " + net.spec().architecture() + " (" + net.spec().binarizer() + ")");
                }
            } else {
                try (Network net = ModelExport.load(siman.backend(), siman.binarizers(), ModelFile.read(modelFile), modelFile)) {
                    summary = ModelSummary.of(siman.backend(), net, modelFile + ": " + net.spec().architecture() + " (" + net.spec().binarizer()
                            + "), bitwise");
                }
            }
            PrintWriter o = spec.commandLine().getOut();
            o.print(json ? Json.write(json(summary)) + System.lineSeparator() : summary.table());
            o.flush();
        }
        return 0;
    }

    private static Map<String, Object> json(ModelSummary s) {
        List<Object> layers = new ArrayList<>();
        for (ModelSummary.Row r : s.rows()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("type", r.type());
            m.put("output", r.outputShape());
            fill(m, r.footprint());
            layers.add(m);
        }
        Map<String, Object> total = new LinkedHashMap<>();
        fill(total, s.total());
        total.put("float32_bytes", s.float32Bytes());
        total.put("compression", s.compression());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("title", s.title());
        out.put("layers", layers);
        out.put("total", total);
        return out;
    }

    private static void fill(Map<String, Object> m, Footprint f) {
        m.put("one_bit_params", f.oneBitParameters());
        m.put("float_params", f.floatParameters());
        m.put("bytes", f.bytes());
        m.put("binary_macs", f.binaryMacs());
        m.put("float_macs", f.floatMacs());
    }
}
