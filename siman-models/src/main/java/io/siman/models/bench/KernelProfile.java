package io.siman.models.bench;

import io.siman.api.Backend;
import io.siman.api.DType;
import io.siman.api.DeviceInfo;
import io.siman.api.Kernels;
import io.siman.api.Shape;
import io.siman.api.Tensor;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Time spent in each kernel of the contract: a backend whose {@link Kernels} time every call and add it up by
 * kernel name, around the real backend (tensors stay the real backend's). For finding where a step's time goes.
 */
public final class KernelProfile {
    /** One kernel's calls and total time. */
    public record Entry(String kernel, long calls, long nanos) {
    }

    private final Map<String, AtomicLong[]> totals = new ConcurrentHashMap<>();
    private volatile boolean recording = true;

    /** An empty profile, recording. */
    public KernelProfile() {
    }

    /** The backend to build networks on; its kernels report here. */
    public Backend wrap(Backend inner) {
        Kernels real = inner.kernels();
        // the proxy implements every public interface the real kernels do, so it declares the same groups and step families
        Kernels timed = (Kernels) Proxy.newProxyInstance(real.getClass().getClassLoader(), publicInterfaces(real.getClass()), (proxy, m, args) -> {
            if (m.getName().equals("as") && args != null && args.length == 1 && args[0] instanceof Class<?> group) {
                // the groups of the timed kernels are the proxy itself, so their calls are timed too
                return group.isInstance(proxy) && real.as(group).isPresent() ? Optional.of(proxy) : Optional.empty();
            }
            long t0 = System.nanoTime();
            try {
                return m.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                if (recording) {
                    AtomicLong[] t = totals.computeIfAbsent(m.getName(), n -> new AtomicLong[]{new AtomicLong(), new AtomicLong()});
                    t[0].incrementAndGet();
                    t[1].addAndGet(System.nanoTime() - t0);
                }
            }
        });
        return new Backend() {
            @Override
            public String name() {
                return inner.name();
            }

            @Override
            public DeviceInfo device() {
                return inner.device();
            }

            @Override
            public int threads() {
                return inner.threads();
            }

            @Override
            public Kernels kernels() {
                return timed;
            }

            @Override
            public Tensor allocate(DType dtype, Shape shape) {
                return inner.allocate(dtype, shape);
            }

            @Override
            public Tensor upload(float[] data, Shape shape) {
                return inner.upload(data, shape);
            }

            @Override
            public Tensor upload(int[] data, Shape shape) {
                return inner.upload(data, shape);
            }

            @Override
            public Tensor upload(long[] data, Shape shape) {
                return inner.upload(data, shape);
            }

            @Override
            public void write(Tensor dst, float[] data) {
                inner.write(dst, data);
            }

            @Override
            public void write(Tensor dst, int[] data) {
                inner.write(dst, data);
            }

            @Override
            public void write(Tensor dst, long[] data) {
                inner.write(dst, data);
            }

            @Override
            public float[] downloadFloats(Tensor src) {
                return inner.downloadFloats(src);
            }

            @Override
            public int[] downloadInts(Tensor src) {
                return inner.downloadInts(src);
            }

            @Override
            public long[] downloadLongs(Tensor src) {
                return inner.downloadLongs(src);
            }

            @Override
            public long liveTensors() {
                return inner.liveTensors();
            }

            @Override
            public void close() {
                // the real backend belongs to the caller
            }
        };
    }

    private static Class<?>[] publicInterfaces(Class<?> type) {
        Set<Class<?>> all = new LinkedHashSet<>();
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            collect(c.getInterfaces(), all);
        }
        return all.toArray(new Class<?>[0]);
    }

    private static void collect(Class<?>[] interfaces, Set<Class<?>> into) {
        for (Class<?> i : interfaces) {
            if (Modifier.isPublic(i.getModifiers()) && into.add(i)) {
                collect(i.getInterfaces(), into);
            }
        }
    }

    /** Forgets what was recorded so far (after warm-up, say). */
    public void reset() {
        totals.clear();
    }

    /** Kernels by total time, longest first. */
    public List<Entry> entries() {
        List<Entry> list = new ArrayList<>();
        totals.forEach((k, v) -> list.add(new Entry(k, v[0].get(), v[1].get())));
        list.sort(Comparator.comparingLong(Entry::nanos).reversed());
        return list;
    }
}
