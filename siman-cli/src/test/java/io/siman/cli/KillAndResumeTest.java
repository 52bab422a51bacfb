package io.siman.cli;

import io.siman.models.analysis.CheckpointInspection;
import io.siman.models.io.Checkpoint;
import io.siman.models.train.EpochMetrics;
import io.siman.models.train.MetricsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A training run killed with SIGKILL (in the middle of an epoch, and in the middle of writing a checkpoint) and
 * resumed with {@code --resume} each time ends with exactly the weights of a run never interrupted, and its
 * {@code last.ckpt} is loadable whenever it was killed. The runs are real {@code siman train} processes.
 */
class KillAndResumeTest {
    private static final String[] RUN = {"train", "--epochs", "3", "--batch", "32", "--seed", "11", "--quiet"};

    @Test
    void killedRunsResumeToTheSameWeights(@TempDir Path dir) throws Exception {
        Path data = TinyFashionMnist.write(dir, 640, 64);
        Path straight = dir.resolve("straight"), killed = dir.resolve("killed");
        assertEquals(0, child(data, straight, false, 0).waitFor(), "the uninterrupted run");

        SplittableRandom rnd = new SplittableRandom(5);
        // kill 1: at a random moment of training; kill 2: while last.ckpt or best.ckpt is being written; kill 3: random again
        int kills = 0;
        for (String plan : new String[]{"random", "during-write", "random", "finish"}) {
            boolean resume = Files.exists(killed.resolve("last.ckpt"));
            Process p = child(data, killed, resume, plan.equals("during-write") ? 4000 : 0);
            if (plan.equals("finish")) {
                assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the last resumption finishes");
                assertEquals(0, p.exitValue(), "the last resumption succeeds");
                break;
            }
            if (plan.equals("random")) {
                if (p.waitFor(1500 + rnd.nextInt(2500), TimeUnit.MILLISECONDS)) {
                    continue; // finished before the kill: nothing to test this round
                }
            } else if (!awaitTemporaryFile(killed, p)) {
                continue;
            }
            p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
            p.waitFor();
            kills++;
            if (Files.exists(killed.resolve("last.ckpt"))) {
                Checkpoint.read(killed.resolve("last.ckpt")); // throws if it were half-written
            }
        }
        assertTrue(kills >= 2, "the run was killed at least twice: " + kills);
        String expected = CheckpointInspection.weightsSha256(Checkpoint.read(straight.resolve("last.ckpt")));
        assertEquals(expected, CheckpointInspection.weightsSha256(Checkpoint.read(killed.resolve("last.ckpt"))),
                "weights after kills and resumptions equal the uninterrupted run's, bit for bit");
        assertEquals(CheckpointInspection.weightsSha256(Checkpoint.read(straight.resolve("best.ckpt"))),
                CheckpointInspection.weightsSha256(Checkpoint.read(killed.resolve("best.ckpt"))));
        List<EpochMetrics> a = MetricsFile.read(straight), b = MetricsFile.read(killed);
        assertEquals(3, b.size(), "one metrics line per epoch");
        for (int e = 0; e < 3; e++) {
            assertEquals(a.get(e).testAcc(), b.get(e).testAcc(), "epoch " + e + " test accuracy");
            assertEquals(a.get(e).trainLoss(), b.get(e).trainLoss(), "epoch " + e + " train loss");
        }
        try (var files = Files.list(killed)) {
            List<String> left = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
            assertEquals(List.of(), left, "no temporary file is left behind");
        }
    }

    /** Waits until the child is writing a checkpoint (its temporary file exists); false if it exited first. */
    private static boolean awaitTemporaryFile(Path out, Process p) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                return false;
            }
            if (Files.isDirectory(out)) {
                try (var files = Files.list(out)) {
                    if (files.anyMatch(f -> f.getFileName().toString().matches("\\.(last|best)\\.ckpt\\..*\\.tmp"))) {
                        return true;
                    }
                }
            }
            Thread.sleep(20);
        }
        fail("the run never wrote a checkpoint");
        return false;
    }

    /** {@code siman train} in a JVM of its own, with this test's class path. */
    private static Process child(Path data, Path out, boolean resume, long pauseBeforeRename) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(TestJvmFlags.get());
        if (pauseBeforeRename > 0) {
            cmd.add("-Dsiman.faults.pauseBeforeRename=" + pauseBeforeRename);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(RUN));
        cmd.addAll(List.of("--data-dir", data.toString(), "--out", out.toString(), "--threads", "2"));
        if (resume) {
            cmd.add("--resume");
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("POCL_SIGFPE_HANDLER", "0");
        String jsig = Path.of(System.getProperty("java.home"), "lib", "libjsig.so").toString();
        if (new File(jsig).exists()) {
            pb.environment().put("LD_PRELOAD", jsig);
        }
        return pb.start();
    }
}
