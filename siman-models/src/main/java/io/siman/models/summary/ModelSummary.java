package io.siman.models.summary;

import io.siman.api.Backend;
import io.siman.api.Layer;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.models.layers.Footprint;
import io.siman.models.layers.Identity;
import io.siman.models.layers.LayerBase;
import io.siman.models.nets.Network;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A network layer by layer, in the manner of Larq's summary: each layer's type, output shape, parameters as
 * single bits and as 32-bit floats, the memory they take, and its binary and float multiply-accumulates per
 * image; then the totals, the size the same parameters would take in float32, and the compression ratio.
 */
public final class ModelSummary {
    /** One layer. {@code outputShape} is per image ({@code C x H x W} or {@code features}). */
    public record Row(String name, String type, String outputShape, Footprint footprint) {
    }

    private final String title;
    private final List<Row> rows;
    private final Footprint total;

    private ModelSummary(String title, List<Row> rows) {
        this.title = title;
        this.rows = List.copyOf(rows);
        Footprint t = Footprint.NONE;
        for (Row r : rows) {
            t = t.plus(r.footprint());
        }
        this.total = t;
    }

    /** Runs one blank image through {@code network} (evaluation mode) to learn every layer's shapes, then describes it. */
    public static ModelSummary of(Backend backend, Network network, String title) {
        Shape in = network.inputShape(1);
        try (Tensor x = backend.allocate(in)) {
            network.forward(x, TrainingProgress.EVAL);
        }
        List<Row> rows = new ArrayList<>();
        collect(network.root(), rows);
        return new ModelSummary(title, rows);
    }

    private static void collect(Layer layer, List<Row> rows) {
        if (!(layer instanceof LayerBase base)) {
            return;
        }
        if (!base.children().isEmpty()) {
            for (Layer c : base.children()) {
                collect(c, rows);
            }
            return;
        }
        if (base instanceof Identity || base.lastOutputShape() == null) {
            return; // a batch norm folded into the convolution before it, or a layer the input never reached
        }
        Shape out = base.lastOutputShape();
        StringBuilder shape = new StringBuilder();
        for (int d = 1; d < out.rank(); d++) {
            shape.append(d > 1 ? "x" : "").append(out.dim(d));
        }
        rows.add(new Row(base.name(), base.getClass().getSimpleName(), shape.toString(), base.footprint()));
    }

    public String title() {
        return title;
    }

    public List<Row> rows() {
        return rows;
    }

    public Footprint total() {
        return total;
    }

    /** Bytes the same parameters take as float32. */
    public long float32Bytes() {
        return 4 * (total.oneBitParameters() + total.floatParameters());
    }

    /** {@link #float32Bytes()} over the bytes actually stored. */
    public double compression() {
        return total.bytes() == 0 ? 1 : float32Bytes() / (double) total.bytes();
    }

    /** A fixed-width table with totals, for terminals. */
    public String table() {
        String head = String.format(Locale.ROOT, "%-26s %-14s %-12s %12s %13s %11s %14s %14s",
                "layer", "type", "output", "1-bit params", "32-bit params", "memory", "binary MACs", "float MACs");
        StringBuilder b = new StringBuilder();
        String rule = "-".repeat(head.length());
        b.append(title).append('\n').append(rule).append('\n').append(head).append('\n').append(rule).append('\n');
        for (Row r : rows) {
            Footprint f = r.footprint();
            b.append(String.format(Locale.ROOT, "%-26s %-14s %-12s %12s %13s %11s %14s %14s%n", r.name(), r.type(), r.outputShape(),
                    count(f.oneBitParameters()), count(f.floatParameters()), bytes(f.bytes()), count(f.binaryMacs()), count(f.floatMacs())));
        }
        b.append(rule).append('\n');
        b.append(String.format(Locale.ROOT, "%-54s %12s %13s %11s %14s %14s%n", "total", count(total.oneBitParameters()),
                count(total.floatParameters()), bytes(total.bytes()), count(total.binaryMacs()), count(total.floatMacs())));
        b.append(rule).append('\n');
        b.append(String.format(Locale.ROOT, "parameters: %s as bits, %s as 32-bit floats%n", count(total.oneBitParameters()), count(total.floatParameters())));
        b.append(String.format(Locale.ROOT, "memory: %s; as float32 it would take %s: %.1fx smaller%n", bytes(total.bytes()),
                bytes(float32Bytes()), compression()));
        long macs = total.binaryMacs() + total.floatMacs();
        b.append(String.format(Locale.ROOT, "multiply-accumulates per image: %s binary, %s float (%.1f%% binary)%n",
                count(total.binaryMacs()), count(total.floatMacs()), macs == 0 ? 0 : 100.0 * total.binaryMacs() / macs));
        return b.toString();
    }

    static String count(long n) {
        if (n == 0) {
            return "0";
        }
        if (n < 10_000) {
            return Long.toString(n);
        }
        if (n < 1_000_000) {
            return String.format(Locale.ROOT, "%.1fk", n / 1e3);
        }
        if (n < 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.2fM", n / 1e6);
        }
        return String.format(Locale.ROOT, "%.2fG", n / 1e9);
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        return String.format(Locale.ROOT, "%.2f MiB", n / (1024.0 * 1024));
    }
}
