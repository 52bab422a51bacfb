package io.siman.models.layers;

/**
 * What one layer stores and computes per image, for summaries: parameters kept as single bits and as 32-bit
 * floats (running statistics and folded affines included: what inference needs), the bytes they take, and
 * multiply-accumulates with binary operands (XNOR or AND and popcount) and with float operands.
 *
 * @param bytes bits packed as inference stores them (each output channel padded to whole 64-bit words) plus
 *              four bytes per 32-bit parameter
 */
public record Footprint(long oneBitParameters, long floatParameters, long bytes, long binaryMacs, long floatMacs) {
    public static final Footprint NONE = new Footprint(0, 0, 0, 0, 0);

    /** Only 32-bit parameters, no multiply-accumulates. */
    public static Footprint floats(long parameters) {
        return new Footprint(0, parameters, 4 * parameters, 0, 0);
    }

    /** A convolution or dense layer of {@code rows} output channels with {@code perRow} weights each. */
    public static Footprint weights(boolean binary, long rows, long perRow, long extraFloats, long macs) {
        long n = rows * perRow;
        return binary
                ? new Footprint(n, extraFloats, rows * ((perRow + 63) / 64) * 8 + 4 * extraFloats, macs, 0)
                : new Footprint(0, n + extraFloats, 4 * (n + extraFloats), 0, macs);
    }

    public Footprint plus(Footprint o) {
        return new Footprint(oneBitParameters + o.oneBitParameters, floatParameters + o.floatParameters, bytes + o.bytes,
                binaryMacs + o.binaryMacs, floatMacs + o.floatMacs);
    }
}
