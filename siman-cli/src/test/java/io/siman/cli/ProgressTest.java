package io.siman.cli;

import io.siman.models.train.EpochMetrics;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Progress where the output is not a terminal (a log file, CI): plain lines at an interval, none with --quiet. */
class ProgressTest {
    private static List<String> lines(boolean quiet, long interval) {
        StringWriter text = new StringWriter();
        Progress p = new Progress(new PrintWriter(text), quiet, interval);
        p.epochStarted(0, 2, 0.1, 5);
        for (int b = 0; b < 5; b++) {
            p.batchFinished(0, b, 5, 2.5 - 0.1 * b, 400);
        }
        p.epochFinished(new EpochMetrics(0, 0.1, 2.1, 0.3, 2.0, 0.35, 0.8, Double.NaN, Double.NaN, 400, 12, true));
        return text.toString().lines().toList();
    }

    @Test
    void aLogGetsAPlainLinePerIntervalThenTheEpochLine() {
        List<String> every = lines(false, 0);
        // the last step's line is the epoch summary's job
        assertEquals(5, every.size(), String.join("\n", every));
        assertTrue(every.get(0).matches("epoch 1/2  step 1/5  loss 2\\.5000  400 img/s  0:00 elapsed, ETA \\d+:\\d\\d"), every.get(0));
        assertTrue(every.get(4).startsWith("epoch 1/2  lr 0.1000  train loss 2.1000 acc 30.00%  test loss 2.0000 acc 35.00%"), every.get(4));
        assertTrue(every.stream().noneMatch(l -> l.contains("\r")), "no terminal control characters in a log");
        assertEquals(1, lines(false, Progress.LOG_INTERVAL_NANOS).size(), "a fast epoch: its summary only");
        assertEquals(0, lines(true, 0).size(), "--quiet");
    }
}
