package io.siman.cli;

import io.siman.models.train.EpochMetrics;
import io.siman.models.train.TrainingListener;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * The progress bar of long jobs: redrawn in place on a terminal (elapsed, ETA, loss, throughput); on
 * anything else only the per-epoch summary lines; nothing with {@code --quiet}.
 */
final class Progress implements TrainingListener {
    private final PrintWriter out;
    private final boolean live;
    private final boolean quiet;
    private long epochStart;
    private int epochs;
    private long lastDraw;

    Progress(PrintWriter out, boolean quiet) {
        this.out = out;
        this.quiet = quiet;
        this.live = !quiet && Terminal.isInteractive();
    }

    @Override
    public void epochStarted(int epoch, int epochs, double lr, int batches) {
        this.epochs = epochs;
        epochStart = System.nanoTime();
        lastDraw = 0;
    }

    @Override
    public void batchFinished(int epoch, int batch, int batches, double meanLoss, double imagesPerSecond) {
        if (!live) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw < 200_000_000L && batch + 1 < batches) {
            return;
        }
        lastDraw = now;
        double elapsed = (now - epochStart) / 1e9;
        double eta = elapsed / (batch + 1) * (batches - batch - 1);
        int width = 28, filled = (int) Math.round(width * (batch + 1) / (double) batches);
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        out.print(String.format(Locale.ROOT, "\repoch %d/%d [%s] %d/%d  loss %.4f  %.0f img/s  %s elapsed, ETA %s   ",
                epoch + 1, epochs, bar, batch + 1, batches, meanLoss, imagesPerSecond, clock(elapsed), clock(eta)));
        out.flush();
    }

    @Override
    public void evaluating(String what) {
        if (live) {
            out.print("\r" + " ".repeat(110) + "\revaluating on the " + what + " set...");
            out.flush();
        }
    }

    @Override
    public void epochFinished(EpochMetrics m) {
        if (quiet) {
            return;
        }
        if (live) {
            out.print("\r" + " ".repeat(110) + "\r");
        }
        out.println(String.format(Locale.ROOT, "epoch %d/%d  lr %.4f  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%%s  %.0f img/s  %.0f s%s",
                m.epoch() + 1, epochs, m.lr(), m.trainLoss(), 100 * m.trainAcc(), m.testLoss(), 100 * m.testAcc(),
                Double.isNaN(m.valAcc()) ? "" : String.format(Locale.ROOT, "  val acc %.2f%%", 100 * m.valAcc()),
                m.imagesPerSecond(), m.seconds(), m.best() ? "  (best)" : ""));
        out.flush();
    }

    static String clock(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
