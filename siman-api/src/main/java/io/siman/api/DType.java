package io.siman.api;

/** Element types a backend stores. */
public enum DType {
    /** Activations, weights, gradients. */
    FLOAT32(4),
    /** Class labels and pooling indices. */
    INT32(4),
    /** Packed bits: 64 binary values per element, least significant bit first. */
    INT64(8);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }
}
