package io.siman.api;

/** How a weight bit enters the convolution (docs/method.md section 1, step 5). */
public enum Encoding {
    /** Bit 1 is +1, bit 0 is -1; bitwise dot product by XNOR and popcount. The default. */
    PM1("pm1"),
    /** Bit 1 is 1, bit 0 is 0 (the paper's {0, +1} form); bitwise dot product by AND and popcount. */
    ZERO_ONE("zero-one");

    private final String id;

    Encoding(String id) {
        this.id = id;
    }

    /** The name used on the command line and in files. */
    public String id() {
        return id;
    }

    public static Encoding fromId(String id) {
        for (Encoding e : values()) {
            if (e.id.equals(id)) {
                return e;
            }
        }
        throw new UnknownNameException("encoding", id, java.util.Arrays.stream(values()).map(Encoding::id).toList());
    }
}
