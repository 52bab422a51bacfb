package io.siman.cli;

import io.siman.models.Siman;
import io.siman.models.inference.ModelExport;
import io.siman.onnx.OnnxExport;
import io.siman.onnx.OnnxGraphWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code siman export}: compiles a checkpoint into a deployable model with 1-bit binarized weights, or into ONNX. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Compiles a checkpoint into a model file with 1-bit weights, or writes it as ONNX.",
                "Binarized weights are packed one bit each (64-bit words per output channel), alpha and the following batch norm",
                "are folded into one per-channel affine, and full-precision layers stay float32.",
                "With --format onnx: the float simulation as a standard ONNX graph (opset 13) that ONNX Runtime runs (docs/interop.md)."})
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "FILE", description = "A checkpoint written by 'siman train'.")
    Path checkpoint;

    @Option(names = "--model-file", paramLabel = "FILE", description = "With --format onnx: a model file written by 'siman export' instead of a checkpoint.")
    Path modelFile;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "siman",
            description = "siman (a model file with 1-bit weights) or onnx (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The model file to write (for example r20.siman).")
    Path out;

    @Option(names = "--json", description = "Print one JSON object with the sizes.")
    boolean json;

    @Mixin
    BackendOption backendOption;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        boolean onnx = switch (format) {
            case "siman" -> false;
            case "onnx" -> true;
            default -> throw new io.siman.api.UnknownNameException("format", format, java.util.List.of("siman", "onnx"));
        };
        if ((checkpoint == null) == (modelFile == null) || (!onnx && modelFile != null)) {
            throw new io.siman.api.SimanException(onnx
                    ? "give either --checkpoint or --model-file" : "give --checkpoint (a model file is already exported)");
        }
        if (onnx) {
            return exportOnnx();
        }
        try (Siman siman = backendOption.open()) {
            ModelExport.Result r;
            try (ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "exporting", json)) {
                bar.update(0, 0, checkpoint.getFileName().toString());
                r = siman.export(checkpoint, out);
            }
            PrintWriter o = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("file", out.toString());
                m.put("file_bytes", r.fileBytes());
                m.put("float32_parameter_bytes", r.float32Bytes());
                m.put("compression", r.float32Bytes() / (double) r.fileBytes());
                m.put("binarized_layers", r.bitwiseLayers());
                m.put("binarized_float32_bytes", r.binarizedFloat32Bytes());
                m.put("binarized_bit_bytes", r.bitBytes());
                o.println(Json.write(m));
            } else {
                o.println(String.format(Locale.ROOT, "wrote %s: %s (float32 parameters: %s, %.1fx smaller); %d binarized layers: %s of bits for %s of float32 weights (%.1fx)",
                        out, bytes(r.fileBytes()), bytes(r.float32Bytes()), r.float32Bytes() / (double) r.fileBytes(), r.bitwiseLayers(),
                        bytes(r.bitBytes()), bytes(r.binarizedFloat32Bytes()), r.binarizedFloat32Bytes() / (double) Math.max(1, r.bitBytes())));
            }
            o.flush();
        }
        return 0;
    }

    private int exportOnnx() {
        try (Siman siman = backendOption.open()) {
            OnnxExport.Result r = checkpoint != null
                    ? OnnxExport.fromCheckpoint(siman.backend(), siman.binarizers(), checkpoint, out)
                    : OnnxExport.fromModelFile(siman.backend(), siman.binarizers(), modelFile, out);
            PrintWriter o = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("file", out.toString());
                m.put("format", "onnx");
                m.put("opset", OnnxGraphWriter.OPSET);
                m.put("file_bytes", r.bytes());
                m.put("nodes", r.nodes());
                m.put("architecture", r.spec().architecture());
                m.put("binarizer", r.spec().binarizer());
                o.println(Json.write(m));
            } else {
                o.println(String.format(Locale.ROOT, "wrote %s: ONNX opset %d, %s, %d nodes (%s, binarizer %s; input [N, %d, %d, %d], output logits [N, %d])",
                        out, OnnxGraphWriter.OPSET, bytes(r.bytes()), r.nodes(), r.spec().architecture(), r.spec().binarizer(),
                        r.spec().inChannels(), r.spec().inHeight(), r.spec().inWidth(), r.spec().classes()));
            }
            o.flush();
        }
        return 0;
    }

    static String bytes(long n) {
        return n >= 1 << 20 ? String.format(Locale.ROOT, "%.2f MiB", n / (double) (1 << 20))
                : n >= 1 << 10 ? String.format(Locale.ROOT, "%.1f KiB", n / 1024.0) : n + " B";
    }
}
