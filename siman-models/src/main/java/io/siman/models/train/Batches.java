package io.siman.models.train;

import io.siman.models.data.Dataset;

import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Batches of a dataset in a given order, prepared one ahead on a background thread while the current one
 * is computed. Augmentation draws from a generator seeded by (run seed, epoch, batch), so the data of a
 * batch never depends on timing or on where a run was resumed.
 */
public final class Batches implements AutoCloseable {
    /** One prepared batch. */
    public record Batch(int index, int size, float[] images, int[] labels) {
    }

    private final Dataset data;
    private final int[] order;
    private final int batch;
    private final boolean augment;
    private final long seed;
    private final int epoch;
    private final ExecutorService loader;
    private Future<Batch> next;
    private int nextIndex;

    public Batches(Dataset data, int[] order, int batch, boolean augment, long seed, int epoch) {
        this.data = data;
        this.order = order;
        this.batch = batch;
        this.augment = augment;
        this.seed = seed;
        this.epoch = epoch;
        this.loader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "siman-data");
            t.setDaemon(true);
            return t;
        });
        schedule();
    }

    public int count() {
        return (order.length + batch - 1) / batch;
    }

    public boolean hasNext() {
        return next != null;
    }

    public Batch next() {
        try {
            Batch b = next.get();
            schedule();
            return b;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.siman.api.SimanException("interrupted while loading data");
        }
    }

    private void schedule() {
        if (nextIndex >= count()) {
            next = null;
            return;
        }
        int index = nextIndex++;
        next = loader.submit(() -> load(index));
    }

    private Batch load(int index) {
        int from = index * batch, to = Math.min(order.length, from + batch), n = to - from;
        float[] images = new float[n * data.imageSize()];
        int[] labels = new int[n];
        SplittableRandom random = augment ? new SplittableRandom(mix(seed, epoch, index)) : null;
        data.batch(order, from, to, random, images, labels);
        return new Batch(index, n, images, labels);
    }

    /** A seed for (run seed, epoch, batch); distinct inputs give unrelated streams. */
    public static long mix(long seed, long epoch, long batch) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + batch * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A seeded permutation of {@code 0..n-1} (Fisher-Yates). */
    public static int[] shuffled(int[] items, long seed) {
        int[] a = items.clone();
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    @Override
    public void close() {
        loader.shutdownNow();
    }
}
