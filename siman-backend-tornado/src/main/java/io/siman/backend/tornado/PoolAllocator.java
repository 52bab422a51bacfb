package io.siman.backend.tornado;

import io.siman.api.SimanException;

import java.util.Map;
import java.util.TreeMap;

/**
 * First-fit allocation of ranges of one device pool, with freed neighbours merged. Ranges are aligned to 16 values
 * (64 bytes for floats), so every tensor starts on a cache line and a device's vector loads.
 */
final class PoolAllocator {
    private static final int ALIGN = 16;

    private final String type;
    private final long capacity;
    /** Free ranges: start to length, in address order. */
    private final TreeMap<Long, Long> free = new TreeMap<>();
    private long used;

    PoolAllocator(String type, long capacity) {
        this.type = type;
        this.capacity = capacity;
        free.put(0L, capacity);
    }

    /** The start of a free range of at least {@code size} values. */
    synchronized int allocate(long size) {
        long need = Math.max(ALIGN, (size + ALIGN - 1) / ALIGN * ALIGN);
        for (Map.Entry<Long, Long> e : free.entrySet()) {
            if (e.getValue() >= need) {
                long start = e.getKey(), rest = e.getValue() - need;
                free.remove(start);
                if (rest > 0) {
                    free.put(start + need, rest);
                }
                used += need;
                return Math.toIntExact(start);
            }
        }
        throw new SimanException("tornado: the device's " + type + " pool (" + capacity + " values) has no room for " + size
                + " more (" + used + " in use); raise it with -Dsiman.tornado.poolMiB");
    }

    synchronized void release(int start, long size) {
        long length = Math.max(ALIGN, (size + ALIGN - 1) / ALIGN * ALIGN);
        long s = start;
        used -= length;
        Map.Entry<Long, Long> before = free.floorEntry(s);
        if (before != null && before.getKey() + before.getValue() == s) {
            s = before.getKey();
            length += before.getValue();
            free.remove(before.getKey());
        }
        Long after = free.containsKey(s + length) ? free.remove(s + length) : null;
        if (after != null) {
            length += after;
        }
        free.put(s, length);
    }

    synchronized long used() {
        return used;
    }
}
