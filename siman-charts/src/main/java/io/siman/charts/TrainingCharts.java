package io.siman.charts;

import io.siman.models.train.EpochMetrics;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Charts of training runs, per epoch: loss and accuracy (train solid, test dashed), learning rate, and training
 * images per second. Several runs go on the same charts (SiMaN against IR-Net against full precision, say).
 */
public final class TrainingCharts {
    /** One run: its label on the charts and its epochs. */
    public record Run(String name, List<EpochMetrics> epochs) {
    }

    private TrainingCharts() {
    }

    /** Writes {@code loss.png}, {@code accuracy.png}, {@code learning-rate.png} and {@code throughput.png} into {@code dir}. */
    public static List<Path> write(List<Run> runs, Path dir) {
        List<Path> files = new ArrayList<>();
        files.add(Charts.write(pair(runs, "Loss per epoch", "cross-entropy", EpochMetrics::trainLoss, EpochMetrics::testLoss, 1), dir.resolve("loss.png")));
        files.add(Charts.write(pair(runs, "Accuracy per epoch", "accuracy (%)", EpochMetrics::trainAcc, EpochMetrics::testAcc, 100), dir.resolve("accuracy.png")));
        files.add(Charts.write(single(runs, "Learning rate", "learning rate", EpochMetrics::lr), dir.resolve("learning-rate.png")));
        files.add(Charts.write(single(runs, "Training throughput", "images per second", EpochMetrics::imagesPerSecond), dir.resolve("throughput.png")));
        return files;
    }

    private static double[] epochs(Run r) {
        return r.epochs().stream().mapToDouble(m -> m.epoch() + 1).toArray();
    }

    private static double[] values(Run r, ToDoubleFunction<EpochMetrics> f, double scale) {
        return r.epochs().stream().mapToDouble(m -> f.applyAsDouble(m) * scale).toArray();
    }

    private static XYChart pair(List<Run> runs, String title, String y, ToDoubleFunction<EpochMetrics> train,
                                ToDoubleFunction<EpochMetrics> test, double scale) {
        XYChart c = Charts.chart(title, "epoch", y);
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            java.awt.Color colour = Charts.PALETTE[i % Charts.PALETTE.length];
            XYSeries a = c.addSeries(r.name() + " train", epochs(r), values(r, train, scale));
            a.setLineColor(colour);
            a.setMarkerColor(colour);
            a.setMarker(SeriesMarkers.CIRCLE);
            XYSeries b = c.addSeries(r.name() + " test", epochs(r), values(r, test, scale));
            b.setLineColor(colour);
            b.setMarkerColor(colour);
            b.setMarker(SeriesMarkers.DIAMOND);
            b.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{8f, 5f}, 0f));
        }
        return c;
    }

    private static XYChart single(List<Run> runs, String title, String y, ToDoubleFunction<EpochMetrics> f) {
        XYChart c = Charts.chart(title, "epoch", y);
        for (Run r : runs) {
            c.addSeries(r.name(), epochs(r), values(r, f, 1)).setMarker(SeriesMarkers.CIRCLE);
        }
        return c;
    }
}
