package io.siman.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.SimanException;
import io.siman.models.inference.ModelExport;
import io.siman.models.io.AtomicFiles;
import io.siman.models.io.Checkpoint;
import io.siman.models.io.ModelFile;
import io.siman.models.nets.ModelSpec;
import io.siman.models.nets.Network;
import io.siman.models.nets.Zoo;
import io.siman.models.train.Models;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a checkpoint or a model file as an ONNX model (docs/interop.md): a binary network as its float simulation
 * (signs at the sample mean, convolutions with the weights' bits as +1/-1 or 1/0, the folded per-channel affine), a
 * full-precision one as the plain float network. The file is written atomically: an existing one is replaced only
 * by a complete new one.
 */
public final class OnnxExport {
    /** What an export wrote. */
    public record Result(Path file, long bytes, int nodes, int initializers, ModelSpec spec) {
    }

    private OnnxExport() {
    }

    /** A checkpoint of {@code siman train}, evaluated as it would be by {@code siman eval --checkpoint}. */
    public static Result fromCheckpoint(Backend backend, BinarizerRegistry binarizers, Path checkpoint, Path out) {
        Checkpoint ckpt = Checkpoint.read(checkpoint);
        try (Network net = Models.fromCheckpoint(backend, binarizers, ckpt, checkpoint)) {
            return write(net, "checkpoint " + checkpoint.getFileName(), out);
        }
    }

    /** A model file of {@code siman export}: its float simulation, which gives the bitwise engine's predictions. */
    public static Result fromModelFile(Backend backend, BinarizerRegistry binarizers, Path model, Path out) {
        try (Network net = ModelExport.load(backend, binarizers, ModelFile.read(model), model, Zoo.Mode.SIMULATED)) {
            return write(net, "model file " + model.getFileName(), out);
        }
    }

    /** Any network built by the zoo (its evaluation), written to {@code out}. */
    public static Result write(Network net, String source, Path out) {
        ModelProto model = model(net, source);
        AtomicFiles.write(out, model::writeTo);
        try {
            return new Result(out, Files.size(out), model.getGraph().getNodeCount(), model.getGraph().getInitializerCount(), net.spec());
        } catch (java.io.IOException e) {
            throw new SimanException("cannot read back " + out + ": " + e.getMessage());
        }
    }

    /** The ONNX model of a network, in memory. */
    public static ModelProto model(Network net, String source) {
        ModelSpec spec = net.spec();
        OnnxGraphWriter graph = new OnnxGraphWriter(spec.architecture(), spec.inChannels(), spec.inHeight(), spec.inWidth());
        net.describe(graph);
        return graph.model("SiMaN-J " + spec.architecture() + ", binarizer " + spec.binarizer() + ", encoding "
                + spec.encoding().id() + ", from " + source + "; input [N, " + spec.inChannels() + ", " + spec.inHeight()
                + ", " + spec.inWidth() + "] normalized as the dataset's, output logits [N, " + spec.classes() + "]");
    }
}
