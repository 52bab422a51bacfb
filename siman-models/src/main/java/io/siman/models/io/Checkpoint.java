package io.siman.models.io;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The checkpoint file (documented in {@code docs/checkpoint-format.md}): a {@link SectionFile} with the
 * training configuration ({@code CONF}), a run record ({@code RUNR}), the training state ({@code STAT}) and
 * named float tensors ({@code TENS}: parameters, optimizer state, batch-norm statistics, frozen bits).
 * Written atomically.
 */
public final class Checkpoint {
    static final String MAGIC = "SIMANCKP";
    public static final int VERSION = 1;
    private static final String KIND = "checkpoint";

    /** A stored tensor: its dimensions and values. */
    public record StoredTensor(int[] dims, float[] values) {
    }

    private final Map<String, String> config;
    private final Map<String, String> run;
    private final Map<String, String> state;
    private final Map<String, StoredTensor> tensors;
    private final String sha256;

    public Checkpoint(Map<String, String> config, Map<String, String> run, Map<String, String> state, Map<String, StoredTensor> tensors) {
        this(config, run, state, tensors, null);
    }

    private Checkpoint(Map<String, String> config, Map<String, String> run, Map<String, String> state,
                       Map<String, StoredTensor> tensors, String sha256) {
        this.config = Map.copyOf(config);
        this.run = Map.copyOf(run);
        this.state = Map.copyOf(state);
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.sha256 = sha256;
    }

    public Map<String, String> config() {
        return config;
    }

    public Map<String, String> run() {
        return run;
    }

    public Map<String, String> state() {
        return state;
    }

    public Map<String, StoredTensor> tensors() {
        return tensors;
    }

    /** SHA-256 of the file it was read from (null for one not read from a file). */
    public String sha256() {
        return sha256;
    }

    public void write(Path file) {
        Map<String, TensorTable.Entry> table = new LinkedHashMap<>();
        tensors.forEach((name, t) -> table.put(name, TensorTable.Entry.of(t.dims(), t.values())));
        Map<String, byte[]> sections = new LinkedHashMap<>();
        sections.put("CONF", SectionFile.text(config));
        sections.put("RUNR", SectionFile.text(run));
        sections.put("STAT", SectionFile.text(state));
        sections.put("TENS", TensorTable.encode(table, false));
        SectionFile.write(file, MAGIC, VERSION, sections);
    }

    /** Reads and verifies a checkpoint; every problem is an {@link io.siman.api.InvalidDataException} naming the file. */
    public static Checkpoint read(Path file) {
        SectionFile.Content c = SectionFile.read(file, MAGIC, VERSION, KIND, "CONF", "RUNR", "STAT", "TENS");
        Map<String, StoredTensor> tensors = new LinkedHashMap<>();
        TensorTable.decode(file, KIND, c.sections().get("TENS"), false)
                .forEach((name, e) -> tensors.put(name, new StoredTensor(e.dims(), e.floats())));
        return new Checkpoint(SectionFile.parseText(file, KIND, c.sections().get("CONF")),
                SectionFile.parseText(file, KIND, c.sections().get("RUNR")),
                SectionFile.parseText(file, KIND, c.sections().get("STAT")), tensors, c.sha256());
    }
}
