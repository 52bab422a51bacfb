package io.siman.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Function;

/**
 * Service implementations found with {@link ServiceLoader} and indexed by their unique name. Shared by
 * the backend and binarizer registries: a provider that fails to load, or two with one name, is an error
 * at discovery that names the classes involved.
 */
public final class NamedServices<T> {
    private final String what;
    private final Map<String, T> byName;

    public NamedServices(String what, List<T> services, Function<T, String> name) {
        this.what = what;
        Map<String, T> map = new LinkedHashMap<>();
        for (T s : services) {
            String n = name.apply(s);
            if (n == null || n.isBlank()) {
                throw new SimanException(what + " " + s.getClass().getName() + " has no name");
            }
            T previous = map.putIfAbsent(n, s);
            if (previous != null) {
                throw new SimanException("two " + what + "s are named '" + n + "': " + previous.getClass().getName()
                        + " and " + s.getClass().getName() + "; remove one from the class path");
            }
        }
        this.byName = Collections.unmodifiableMap(map);
    }

    /** Loads every implementation of {@code type} visible to {@code loader}. */
    public static <T> List<T> load(Class<T> type, ClassLoader loader) {
        List<T> found = new ArrayList<>();
        try {
            ServiceLoader<T> sl = loader == null ? ServiceLoader.load(type) : ServiceLoader.load(type, loader);
            for (T t : sl) {
                found.add(t);
            }
        } catch (ServiceConfigurationError e) {
            throw new SimanException("cannot load a " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
        return found;
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    public List<T> all() {
        return List.copyOf(byName.values());
    }

    /** The implementation with that name, or {@link UnknownNameException} listing the known names. */
    public T get(String name) {
        T t = byName.get(name);
        if (t == null) {
            throw new UnknownNameException(what, name, byName.keySet());
        }
        return t;
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }
}
