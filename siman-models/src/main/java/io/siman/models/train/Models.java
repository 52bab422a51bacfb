package io.siman.models.train;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.InvalidDataException;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.models.io.Checkpoint;
import io.siman.models.nets.ModelSpec;
import io.siman.models.nets.Network;
import io.siman.models.nets.Zoo;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds networks for a training configuration and moves their state to and from checkpoints. */
public final class Models {
    static final String VELOCITY = "velocity:";

    private Models() {
    }

    /** The network of a configuration for inputs {@code [channels, height, width]}, weights drawn from the seed. */
    public static Network build(Backend backend, BinarizerRegistry binarizers, TrainingConfig config, int[] input, int classes) {
        binarizers.get(config.binarizer());
        return Zoo.build(backend, new ModelSpec(config.model(), config.binarizer(), config.encoding(),
                input[0], input[1], input[2], classes, config.seed()), binarizers);
    }

    /** Parameters and buffers by name, as stored in checkpoints. */
    public static Map<String, Checkpoint.StoredTensor> snapshot(Backend backend, Network network, Map<Parameter, Tensor> velocities) {
        Map<String, Checkpoint.StoredTensor> m = new LinkedHashMap<>();
        for (Parameter p : network.parameters()) {
            m.put(p.name(), stored(backend, p.value()));
        }
        for (Map.Entry<String, Tensor> b : network.buffers().entrySet()) {
            m.put(b.getKey(), stored(backend, b.getValue()));
        }
        if (velocities != null) {
            for (Map.Entry<Parameter, Tensor> v : velocities.entrySet()) {
                m.put(VELOCITY + v.getKey().name(), stored(backend, v.getValue()));
            }
        }
        return m;
    }

    private static Checkpoint.StoredTensor stored(Backend backend, Tensor t) {
        return new Checkpoint.StoredTensor(t.shape().dims(), backend.downloadFloats(t));
    }

    /** Writes a checkpoint's parameters, buffers and (if given) optimizer state into a network of the same spec. */
    public static void restore(Backend backend, Network network, Map<Parameter, Tensor> velocities, Checkpoint ckpt, Path source) {
        Map<String, Checkpoint.StoredTensor> tensors = ckpt.tensors();
        for (Parameter p : network.parameters()) {
            load(backend, p.value(), tensors.get(p.name()), p.name(), source);
            if (velocities != null) {
                load(backend, velocities.get(p), tensors.get(VELOCITY + p.name()), VELOCITY + p.name(), source);
            }
        }
        java.util.Set<String> params = new java.util.HashSet<>();
        network.parameters().forEach(p -> params.add(p.name()));
        for (Map.Entry<String, Checkpoint.StoredTensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (params.contains(name) || name.startsWith(VELOCITY)) {
                continue;
            }
            if (!network.restoreBuffer(name, e.getValue().values())) {
                throw new InvalidDataException(source + ": tensor '" + name + "' belongs to no layer of " + network.name());
            }
        }
    }

    private static void load(Backend backend, Tensor target, Checkpoint.StoredTensor stored, String name, Path source) {
        if (stored == null) {
            throw new InvalidDataException(source + ": checkpoint lacks tensor '" + name + "'");
        }
        if (!Shape.of(stored.dims()).equals(target.shape())) {
            throw new InvalidDataException(source + ": tensor '" + name + "' has shape " + Arrays.toString(stored.dims())
                    + ", the network needs " + target.shape());
        }
        backend.write(target, stored.values());
    }

    /** Rebuilds the network a checkpoint was trained as, with its weights, statistics and frozen bits. */
    public static Network fromCheckpoint(Backend backend, BinarizerRegistry binarizers, Checkpoint ckpt, Path source) {
        TrainingConfig config = TrainingConfig.fromMap(ckpt.config(), source.toString());
        int[] input = parseInput(ckpt.state().get("input"), source);
        int classes;
        try {
            classes = Integer.parseInt(ckpt.state().getOrDefault("classes", ""));
        } catch (NumberFormatException e) {
            throw new InvalidDataException(source + ": checkpoint state lacks the number of classes");
        }
        Network network;
        try {
            network = build(backend, binarizers, config, input, classes);
        } catch (InvalidDataException e) {
            throw e;
        } catch (io.siman.api.SimanException e) {
            throw new InvalidDataException(source + ": " + e.getMessage());
        }
        try {
            restore(backend, network, null, ckpt, source);
            return network;
        } catch (RuntimeException e) {
            network.close();
            throw e;
        }
    }

    /** An input shape {@code [C, H, W]} as checkpoints store it, {@code CxHxW}. */
    public static String formatInput(int[] input) {
        return input[0] + "x" + input[1] + "x" + input[2];
    }

    static int[] parseInput(String s, Path source) {
        try {
            String[] parts = s.split("x");
            int[] r = {Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2])};
            if (parts.length != 3 || r[0] < 1 || r[1] < 1 || r[2] < 1) {
                throw new NumberFormatException();
            }
            return r;
        } catch (RuntimeException e) {
            throw new InvalidDataException(source + ": checkpoint state has no valid input shape");
        }
    }
}
