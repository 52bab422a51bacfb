package io.siman.cli;

import io.siman.models.progress.ProgressListener;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A progress bar for jobs other than training (evaluation, export, inspection, benchmarks), redrawn in place
 * on a terminal: label, bar, steps, elapsed time, ETA and the current step. When the output is not a terminal,
 * the same figures as one plain line every {@link Progress#LOG_INTERVAL_NANOS}; nothing with {@code --quiet};
 * {@link #close()} clears the terminal's line.
 */
final class ProgressBar implements ProgressListener, AutoCloseable {
    private final PrintWriter out;
    private final String label;
    private final boolean live;
    private final boolean quiet;
    private final long start = System.nanoTime();
    private long lastLine = start;
    private long lastDraw;
    private boolean drawn;

    ProgressBar(PrintWriter out, String label, boolean quiet) {
        this.out = out;
        this.label = label;
        this.quiet = quiet;
        this.live = !quiet && Terminal.isInteractive();
    }

    @Override
    public void update(long done, long total, String what) {
        if (quiet) {
            return;
        }
        long now = System.nanoTime();
        if (!live) {
            if (now - lastLine >= Progress.LOG_INTERVAL_NANOS && done < total) {
                lastLine = now;
                out.println(describe(done, total, what, now).toString());
                out.flush();
            }
            return;
        }
        if (now - lastDraw < 150_000_000L && done < total) {
            return;
        }
        lastDraw = now;
        StringBuilder b = describe(done, total, what, now).insert(0, '\r');
        String line = b.length() > 119 ? b.substring(0, 119) : b.toString();
        out.print(line + " ".repeat(Math.max(0, 120 - line.length())));
        out.flush();
        drawn = true;
    }

    private StringBuilder describe(long done, long total, String what, long now) {
        double elapsed = (now - start) / 1e9;
        StringBuilder b = new StringBuilder().append(label).append(' ');
        if (total > 0) {
            int width = 24, filled = (int) Math.round(width * Math.min(1.0, done / (double) total));
            b.append('[').append("#".repeat(filled)).append("-".repeat(width - filled)).append("] ").append(done).append('/').append(total);
            double eta = done == 0 ? Double.NaN : elapsed / done * (total - done);
            b.append(String.format(Locale.ROOT, "  %s elapsed, ETA %s", Progress.clock(elapsed), Double.isNaN(eta) ? "?" : Progress.clock(eta)));
        } else {
            b.append(String.format(Locale.ROOT, "%s elapsed", Progress.clock(elapsed)));
        }
        if (what != null && !what.isEmpty()) {
            b.append("  ").append(what);
        }
        return b;
    }

    @Override
    public void close() {
        if (drawn) {
            out.print("\r" + " ".repeat(120) + "\r");
            out.flush();
            drawn = false;
        }
    }
}
