package io.siman.models.train;

import io.siman.api.InvalidDataException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code OUT/metrics.jsonl}: one JSON object per epoch, as {@link Trainer} writes it. */
public final class MetricsFile {
    private MetricsFile() {
    }

    /** One line of {@code metrics.jsonl}. */
    public static String json(EpochMetrics m) {
        StringBuilder b = new StringBuilder("{");
        b.append("\"epoch\": ").append(m.epoch());
        num(b, "lr", m.lr());
        num(b, "train_loss", m.trainLoss());
        num(b, "train_acc", m.trainAcc());
        num(b, "test_loss", m.testLoss());
        num(b, "test_acc", m.testAcc());
        num(b, "test_top5", m.testTop5());
        if (!Double.isNaN(m.valAcc())) {
            num(b, "val_loss", m.valLoss());
            num(b, "val_acc", m.valAcc());
        }
        num(b, "images_per_second", m.imagesPerSecond());
        num(b, "seconds", m.seconds());
        b.append(", \"best\": ").append(m.best());
        return b.append('}').toString();
    }

    private static void num(StringBuilder b, String key, double v) {
        b.append(", \"").append(key).append("\": ").append(Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null");
    }

    /** A line written by {@link #json}, or null when it is not one (a line cut short by a crash, say). */
    public static EpochMetrics parse(String line) {
        Map<String, String> v = new LinkedHashMap<>();
        String body = line.trim();
        if (!body.startsWith("{") || !body.endsWith("}")) {
            return null;
        }
        for (String part : body.substring(1, body.length() - 1).split(",")) {
            int colon = part.indexOf(':');
            if (colon > 0) {
                v.put(part.substring(0, colon).trim().replace("\"", ""), part.substring(colon + 1).trim());
            }
        }
        try {
            return new EpochMetrics(Integer.parseInt(v.get("epoch")), d(v, "lr"), d(v, "train_loss"), d(v, "train_acc"),
                    d(v, "test_loss"), d(v, "test_acc"), d(v, "test_top5"), d(v, "val_loss"), d(v, "val_acc"),
                    d(v, "images_per_second"), d(v, "seconds"), Boolean.parseBoolean(v.get("best")));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static double d(Map<String, String> v, String key) {
        String s = v.get(key);
        return s == null || s.equals("null") ? Double.NaN : Double.parseDouble(s);
    }

    /** Every epoch of a run folder's {@code metrics.jsonl}; a missing, unreadable or malformed file is a one-line error. */
    public static List<EpochMetrics> read(Path runOrFile) {
        Path f = Files.isDirectory(runOrFile) ? runOrFile.resolve(Trainer.METRICS) : runOrFile;
        if (!Files.isRegularFile(f)) {
            throw new InvalidDataException(f + ": no such metrics file (a run folder written by 'siman train' holds one)");
        }
        List<EpochMetrics> all = new ArrayList<>();
        try {
            int n = 0;
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                EpochMetrics m = parse(line);
                if (m == null) {
                    throw new InvalidDataException(f + ": line " + n + " is not an epoch's metrics");
                }
                all.add(m);
            }
        } catch (IOException e) {
            throw new InvalidDataException(f + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (all.isEmpty()) {
            throw new InvalidDataException(f + ": no epochs recorded yet");
        }
        return all;
    }
}
