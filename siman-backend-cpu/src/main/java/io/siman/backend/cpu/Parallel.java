package io.siman.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Parallel loops over index ranges on {@code threads - 1} workers plus the calling thread. Every caller
 * partitions its work so that each output element is written by one chunk in a fixed order; results
 * therefore do not depend on the number of threads or on which thread ran a chunk.
 *
 * <p>Kernels are short (tens of microseconds at batch 1), so a loop must start fast: the caller publishes
 * the loop, takes chunks itself, and workers that spin briefly before parking pick up the rest. One loop runs
 * on the workers at a time; a caller that finds them busy (another thread using the same backend) runs its
 * loop alone, which is what it would wait for anyway. A loop started inside a chunk runs inline.
 */
final class Parallel implements AutoCloseable {
    private static final AtomicInteger POOLS = new AtomicInteger();
    /** How long an idle worker polls for the next loop before parking, in nanoseconds. */
    private static final long SPIN_NANOS = 50_000;
    private static final ThreadLocal<Boolean> IN_CHUNK = ThreadLocal.withInitial(() -> false);

    /** Body of a loop over {@code [from, to)}. */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /** One published loop: chunks are claimed by index; the caller waits until all have finished. */
    private static final class Loop {
        final Range body;
        final int n, chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger unfinished;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread caller;

        Loop(Range body, int n, int chunks, Thread caller) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.unfinished = new AtomicInteger(chunks);
            this.caller = caller;
        }

        /** Runs chunks until none is left; returns when this thread can claim no more. */
        void work() {
            boolean outer = IN_CHUNK.get();
            IN_CHUNK.set(true);
            try {
                for (int c; (c = next.getAndIncrement()) < chunks; ) {
                    try {
                        if (failure.get() == null) {
                            body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        if (unfinished.decrementAndGet() == 0) {
                            LockSupport.unpark(caller);
                        }
                    }
                }
            } finally {
                IN_CHUNK.set(outer);
            }
        }
    }

    private final int threads;
    private final Thread[] workers;
    private final AtomicReference<Loop> current = new AtomicReference<>();
    private final AtomicInteger generation = new AtomicInteger();
    private volatile boolean closed;

    Parallel(int threads) {
        this.threads = Math.max(1, threads);
        int id = POOLS.incrementAndGet();
        this.workers = new Thread[this.threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workerLoop, "siman-cpu-" + id + "-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    int threads() {
        return threads;
    }

    /**
     * As {@link #forRange}, in one contiguous block per thread rather than several chunks each: for work whose
     * every chunk pays a setup again (a matrix product's blocks each pack all of B's panels; with the chunks of
     * forRange, 2 threads: 512^3 2.08-2.18 -> 1.60-1.72 ms, 1024^3 17.4-18.2 -> 14.2-15.1 ms).
     */
    void forThreadBlocks(int n, long costPerItem, Range body) {
        int blocks = Math.max(1, Math.min(n, threads));
        forRange(blocks, costPerItem * n / blocks, (from, to) -> body.run((int) ((long) from * n / blocks), (int) ((long) to * n / blocks)));
    }

    /**
     * Runs {@code task} for each of {@code [0, tasks)}, a task per chunk: large independent pieces of work (a part of
     * a batch through a whole network), whose own loops then run inline on the thread that runs the task.
     */
    void forEachTask(int tasks, java.util.function.IntConsumer task) {
        forRange(tasks, 1L << 30, (from, to) -> {
            for (int i = from; i < to; i++) {
                task.accept(i);
            }
        });
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks. {@code costPerItem} (rough operations per index)
     * keeps small loops on the calling thread, where handing them out would cost more than it saves.
     */
    void forRange(int n, long costPerItem, Range body) {
        if (n <= 0) {
            return;
        }
        long total = (long) n * Math.max(1, costPerItem);
        if (workers.length == 0 || n == 1 || total < 32_768 || IN_CHUNK.get() || closed) {
            body.run(0, n);
            return;
        }
        // a whole number of chunks per thread: 3 chunks of 4 items on 2 threads left one thread 3 items (batch 1)
        long perThread = Math.min(4, Math.max(1, (total / 16_384 + threads - 1) / threads));
        int chunks = (int) Math.min(n, threads * perThread);
        Loop loop = new Loop(body, n, chunks, Thread.currentThread());
        if (!current.compareAndSet(null, loop)) {
            body.run(0, n); // the workers serve another caller
            return;
        }
        try {
            generation.incrementAndGet();
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            loop.work();
            // the other chunks are about to finish: wait on the counter briefly before paying for a wake-up
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (loop.unfinished.get() > 0) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 100_000);
                }
            }
        } finally {
            current.set(null);
        }
        Throwable t = loop.failure.get();
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
    }

    private void workerLoop() {
        int seen = generation.get();
        while (!closed) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (generation.get() == seen && !closed) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = generation.get();
            Loop loop = current.get();
            if (loop != null) {
                loop.work();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
