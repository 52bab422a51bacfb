package io.siman.api;

import java.util.List;

/** The binarizers found on the class path or module path, by name. */
public final class BinarizerRegistry {
    /** The binarizer used when none is named. */
    public static final String DEFAULT = "siman";

    private final NamedServices<Binarizer> binarizers;

    public BinarizerRegistry(List<Binarizer> binarizers) {
        this.binarizers = new NamedServices<>("binarizer", binarizers, Binarizer::name);
    }

    public static BinarizerRegistry discover() {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return new BinarizerRegistry(NamedServices.load(Binarizer.class, cl != null ? cl : ClassLoader.getSystemClassLoader()));
    }

    public List<String> names() {
        return binarizers.names();
    }

    public List<Binarizer> all() {
        return binarizers.all();
    }

    public Binarizer get(String name) {
        return binarizers.get(name);
    }
}
