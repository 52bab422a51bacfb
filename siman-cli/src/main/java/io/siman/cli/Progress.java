package io.siman.cli;

import io.siman.models.train.EpochMetrics;
import io.siman.models.train.TrainingListener;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * The progress of training: on a terminal a bar redrawn in place (elapsed, ETA, loss, throughput); on anything
 * else (a log file, a pipe, CI) one plain line every {@link #LOG_INTERVAL_NANOS} with the same figures, so a log
 * shows the job alive at least twice a minute; the per-epoch summary lines on both; nothing with {@code --quiet}.
 */
final class Progress implements TrainingListener {
    private final PrintWriter out;
    /** How often a progress line is written when the output is not a terminal. */
    static final long LOG_INTERVAL_NANOS = 30_000_000_000L;
    private final boolean live;
    private final boolean quiet;
    private long lastLine;
    private long epochStart;
    private int epochs;
    private long lastDraw;

    private final long logInterval;

    Progress(PrintWriter out, boolean quiet) {
        this(out, quiet, LOG_INTERVAL_NANOS);
    }

    /** With another interval between the plain progress lines (tests). */
    Progress(PrintWriter out, boolean quiet, long logIntervalNanos) {
        this.out = out;
        this.quiet = quiet;
        this.live = !quiet && Terminal.isInteractive();
        this.logInterval = logIntervalNanos;
    }

    @Override
    public void epochStarted(int epoch, int epochs, double lr, int batches) {
        this.epochs = epochs;
        epochStart = System.nanoTime();
        lastDraw = 0;
        lastLine = epochStart;
    }

    @Override
    public void batchFinished(int epoch, int batch, int batches, double meanLoss, double imagesPerSecond) {
        if (quiet) {
            return;
        }
        long now = System.nanoTime();
        double elapsed = (now - epochStart) / 1e9;
        double eta = elapsed / (batch + 1) * (batches - batch - 1);
        if (!live) {
            if (now - lastLine >= logInterval && batch + 1 < batches) {
                lastLine = now;
                out.println(String.format(Locale.ROOT, "epoch %d/%d  step %d/%d  loss %.4f  %.0f img/s  %s elapsed, ETA %s",
                        epoch + 1, epochs, batch + 1, batches, meanLoss, imagesPerSecond, clock(elapsed), clock(eta)));
                out.flush();
            }
            return;
        }
        if (now - lastDraw < 200_000_000L && batch + 1 < batches) {
            return;
        }
        lastDraw = now;
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
