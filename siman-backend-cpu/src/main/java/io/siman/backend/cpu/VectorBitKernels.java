package io.siman.backend.cpu;

import io.siman.api.ConvGeometry;
import io.siman.api.Shape;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Locale;

/**
 * The bit kernels with the Vector API: lane-wise XOR and BIT_COUNT (VPXORQ and VPOPCNTQ on AVX-512).
 *
 * <p>The convolution puts output channels in the lanes: the weights are re-laid out so that one vector holds
 * the same 64 input channels of one tap for {@code LANES} consecutive output channels, and each input word is
 * broadcast against it. The count of an output value then stays in its lane for the whole window (no
 * horizontal sums), and a register tile of 4 output positions by 2 channel groups reuses every loaded vector
 * four times and every broadcast twice. The input is copied once into a zero-padded frame, so the inner loop
 * has no bounds tests; what the zero words add at padded taps is subtracted per position afterwards.
 *
 * <p>{@code zero-one} needs {@code popcount(x AND w)}; it is taken from the same XOR count through
 * {@code 2 popcount(x AND w) - popcount(w) = popcount(x) - popcount(x XOR w)}, so both encodings share one
 * loop. The plain path ({@link ScalarBitKernels}) computes the AND literally; the contract tests both.
 *
 * <p>Stride-1 {@code pm1} convolutions take a second layout, positions in lanes ({@link Grid}): the input
 * word-planar, once per kernel column, each weight word of 4 channels broadcast against {@code 4 x LANES}
 * consecutive positions (8 channels and {@code 2 x LANES} positions on small planes). Its outputs come out in
 * the tensor's own order, so the transposes of the channels-in-lanes epilogue go away; both paths give the same
 * exact sums and the same single rounding.
 */
final class VectorBitKernels extends BitKernels {
    private static final VectorSpecies<Long> LONGS = species(System.getProperty(VectorGemm.BITS_PROPERTY));
    private static final int LANES = LONGS.length();
    /** Floats with as many lanes as {@link #LONGS}: the epilogue converts counts to floats lane for lane. */
    private static final VectorSpecies<Float> FLOATS = VectorSpecies.of(float.class, VectorShape.forBitSize(LANES * 32));
    /** Packing compares floats and sets bits in 32-bit lanes of the same vector size. */
    private static final VectorSpecies<Float> FLOATS32 = VectorSpecies.of(float.class, VectorShape.forBitSize(LONGS.vectorBitSize()));
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, VectorShape.forBitSize(LONGS.vectorBitSize()));
    private static final int INT_LANES = INTS.length();
    /** Ints with as many lanes as {@link #LONGS}: halves of words widened to words. */
    private static final VectorSpecies<Integer> LONG_INTS = VectorSpecies.of(int.class, VectorShape.forBitSize(LANES * 32));
    /** Register tiles of 16 accumulators (4 channels by 4 vectors, or 8 by 2): for CPUs with 32 vector registers (AVX-512). */
    static final VectorBitKernels WIDE_TILES = new VectorBitKernels(16);
    /** Register tiles of 8 accumulators (2 by 4, or 4 by 2): for CPUs with 16 vector registers (AVX2), where 16 spill. */
    static final VectorBitKernels NARROW_TILES = new VectorBitKernels(8);

    /** Accumulators of a register tile of the grid path: channels times vectors of positions. */
    private final int tile;
    /**
     * A thread's buffers: the frame its call builds (the workers read it while the call runs), and one array of each
     * type for the tasks it runs. At batch 1 a network's kernels run thousands of times a second, and a fresh tile
     * buffer per call and thread had made a few hundred MB a second of garbage.
     */
    private final ThreadLocal<Buffers> buffers = ThreadLocal.withInitial(Buffers::new);

    private static final class Buffers {
        private long[] frame = new long[0];
        private int[] ints = new int[0];
        private long[] longs = new long[0];
        private float[] floats = new float[0];

        long[] frame(int n) {
            if (frame.length < n) {
                frame = new long[n];
            }
            return frame;
        }

        int[] ints(int n) {
            if (ints.length < n) {
                ints = new int[n];
            }
            return ints;
        }

        long[] longs(int n) {
            if (longs.length < n) {
                longs = new long[n];
            }
            return longs;
        }

        float[] floats(int n) {
            if (floats.length < n) {
                floats = new float[n];
            }
            return floats;
        }
    }

    private VectorBitKernels(int tile) {
        this.tile = tile;
    }

    /** The vector size of the bit kernels in this JVM. */
    static int vectorBits() {
        return LONGS.vectorBitSize();
    }

    private static VectorSpecies<Long> species(String bits) {
        if (bits == null || bits.isBlank()) {
            return LongVector.SPECIES_PREFERRED.length() >= 2 ? LongVector.SPECIES_PREFERRED : LongVector.SPECIES_128;
        }
        return switch (bits.trim().toLowerCase(Locale.ROOT)) {
            case "64", "128" -> LongVector.SPECIES_128; // two lanes at least: a float mask of one lane does not exist
            case "256" -> LongVector.SPECIES_256;
            default -> LongVector.SPECIES_512;
        };
    }

    @Override
    String describe() {
        return "vector " + LONGS.vectorBitSize() + "-bit popcount, register tiles of " + tile;
    }

    // ---------------------------------------------------------------- packing

    @Override
    void packActivations(int n, int c, int plane, float[] x, float[] threshold, long[] bits, Reductions red, Parallel par) {
        int words = Shape.words(c), vecEnd = plane - plane % INT_LANES;
        par.forRange(n, (long) c * plane, (from, to) -> {
            // two 32-bit halves per position; channel by channel, so the input streams in order and the
            // halves being built stay in L1 (going position by position would touch 64 planes at once)
            int[] halves = buffers.get().ints(2 * plane);
            for (int i = from; i < to; i++) {
                float t = threshold(x, threshold, i, c * plane, red);
                int xImg = i * c * plane, bImg = i * plane * words;
                for (int q = 0; q < words; q++) {
                    int c0 = q * 64, cn = Math.min(64, c - c0);
                    // words of 32 channels or fewer have no upper halves
                    int used = cn > 32 ? 2 : 1;
                    Arrays.fill(halves, 0, used * plane, 0);
                    for (int b = 0; b < cn; b++) {
                        int half = (b >>> 5) * plane, bit = 1 << (b & 31), xo = xImg + (c0 + b) * plane;
                        int p = 0;
                        for (; p < vecEnd; p += INT_LANES) {
                            VectorMask<Integer> ge = FloatVector.fromArray(FLOATS32, x, xo + p).compare(VectorOperators.GE, t).cast(INTS);
                            IntVector.fromArray(INTS, halves, half + p).lanewise(VectorOperators.OR, bit, ge).intoArray(halves, half + p);
                        }
                        for (; p < plane; p++) {
                            if (x[xo + p] >= t) {
                                halves[half + p] |= bit;
                            }
                        }
                    }
                    int p = 0;
                    if (words == 1) {
                        // the words are consecutive: vectors of halves widened into vectors of words
                        for (; p <= plane - LANES; p += LANES) {
                            LongVector lo = ((LongVector) IntVector.fromArray(LONG_INTS, halves, p)
                                    .convertShape(VectorOperators.I2L, LONGS, 0)).and(0xffffffffL);
                            if (used == 2) {
                                lo = lo.or(((LongVector) IntVector.fromArray(LONG_INTS, halves, plane + p)
                                        .convertShape(VectorOperators.I2L, LONGS, 0)).lanewise(VectorOperators.LSHL, 32));
                            }
                            lo.intoArray(bits, bImg + p);
                        }
                    }
                    for (; p < plane; p++) {
                        bits[bImg + p * words + q] = (halves[p] & 0xffffffffL) | (used == 2 ? (long) halves[plane + p] << 32 : 0L);
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- convolution

    @Override
    void binaryConv2d(ConvGeometry g, boolean pm1, long[] xb, CpuTensor wBits, float[] scale, float[] bias, Epilogue epilogue,
                      float[] y, Parallel par) {
        int words = Shape.words(g.inChannels()), h = g.inHeight(), w = g.inWidth();
        int pad = g.padding(), hp = h + 2 * pad, wp = w + 2 * pad, batch = g.batch(), ho = g.outHeight();
        WeightPlan plan = plan(g, wBits);
        Frame frame = plan.frame(g);
        if (pm1 && frame.grid != null) {
            gridConvolution(g, xb, frame.grid.field ? plan.fieldWeights(wBits.l) : wBits.l, frame.grid, scale, bias, epilogue, y, par);
            return;
        }
        long[] xp = scratch(batch * hp * wp * words);
        // input: a zero frame of width pad around every image
        par.forRange(batch, (long) hp * wp * words, (from, to) -> {
            for (int n = from; n < to; n++) {
                int base = n * hp * wp * words;
                Arrays.fill(xp, base, base + hp * wp * words, 0L);
                for (int iy = 0; iy < h; iy++) {
                    System.arraycopy(xb, (n * h + iy) * w * words, xp, base + ((iy + pad) * wp + pad) * words, w * words);
                }
            }
        });
        Convolution conv = new Convolution(g, pm1, xp, plan, frame, pm1 ? null : pixelPopcounts(g, xb), scale, bias, y);
        int groups = plan.groups, pairs = (groups + 1) / 2;
        par.forRange(batch * pairs * ho, (long) g.outWidth() * 2 * LANES * plan.len, (from, to) -> {
            Buffers own = buffers.get();
            long[] counts = own.longs(8 * LANES);
            float[] rowOut = own.floats(g.outWidth() * 2 * LANES);
            for (int r = from; r < to; r++) {
                int oy = r % ho, rest = r / ho, pair = rest % pairs, n = rest / pairs;
                conv.row(n, oy, 2 * pair, Math.min(groups, 2 * pair + 2), counts, rowOut);
            }
        });
        if (epilogue != null) {
            epilogue.applyTo(y, g.outChannels(), ho * g.outWidth(), par);
        }
    }

    private long[] scratch(int n) {
        return buffers.get().frame(n);
    }

    /**
     * What a weight tensor's convolutions share, prepared on first use and kept while the tensor is unchanged
     * (a loaded model runs the same bits on every call): the weights re-laid out as {@code [group][tap][word][lane]}
     * (channels past {@code co} zero; their lanes are never stored), the popcount of every channel's bits per tap,
     * and the padding tables of each input size seen.
     */
    private static final class WeightPlan {
        final int version, co, kh, kw, words, len, groups, inChannels, tile;
        final long[] wr;
        final int[] tapPop;
        private final Map<List<Integer>, Frame> frames = new ConcurrentHashMap<>();
        private volatile long[] field;

        WeightPlan(ConvGeometry g, long[] wb, int version, int tile) {
            this.version = version;
            this.tile = tile;
            this.inChannels = g.inChannels();
            this.co = g.outChannels();
            this.kh = g.kernelH();
            this.kw = g.kernelW();
            this.words = Shape.words(g.inChannels());
            this.len = kh * kw * words;
            this.groups = (co + LANES - 1) / LANES;
            this.wr = new long[groups * len * LANES];
            for (int o = 0; o < co; o++) {
                int grp = o / LANES, lane = o % LANES;
                for (int j = 0; j < len; j++) {
                    wr[(grp * len + j) * LANES + lane] = wb[o * len + j];
                }
            }
            this.tapPop = tapPopcounts(g, wb);
        }

        boolean fits(ConvGeometry g, int tensorVersion) {
            return version == tensorVersion && co == g.outChannels() && kh == g.kernelH() && kw == g.kernelW()
                    && inChannels == g.inChannels();
        }

        Frame frame(ConvGeometry g) {
            return frames.computeIfAbsent(List.of(g.inHeight(), g.inWidth(), g.stride(), g.padding()), key -> new Frame(g, this, tile));
        }

        /** The weights packed along the receptive field ({@link Grid#field}), made from {@code wb} (this plan's bits) on first use. */
        long[] fieldWeights(long[] wb) {
            long[] f = field;
            if (f == null) {
                f = new long[co * fieldWords(inChannels, kh * kw)];
                int taps = kh * kw, k = f.length / co;
                for (int o = 0; o < co; o++) {
                    for (int t = 0; t < taps; t++) {
                        for (int q = 0; q < words; q++) {
                            insertBits(f, o * k, 1, t * inChannels + 64 * q, Math.min(64, inChannels - 64 * q), wb[(o * taps + t) * words + q]);
                        }
                    }
                }
                field = f;
            }
            return f;
        }
    }

    private final Map<CpuTensor, WeightPlan> plans = Collections.synchronizedMap(new WeakHashMap<>());

    private WeightPlan plan(ConvGeometry g, CpuTensor wBits) {
        int version = wBits.version();
        WeightPlan plan = plans.get(wBits);
        if (plan == null || !plan.fits(g, version)) {
            plan = new WeightPlan(g, wBits.l, version, tile);
            plans.put(wBits, plan);
        }
        return plan;
    }

    /**
     * The padding tables of one input size: for every kind of window position (which kernel rows and columns
     * fall on padding) the number of valid taps and, per output channel, the popcount the zero frame added
     * there; and each output row's and column's kind. Interior positions share one kind, with nothing to take back.
     */
    private static final class Frame {
        final int colCases;
        final int[] rowCase, colCase, valid;
        final long[] padded;
        /** The grid path's layout and sums table, for stride 1; null otherwise. */
        final Grid grid;

        Frame(ConvGeometry g, WeightPlan plan, int tile) {
            int stride = g.stride(), pad = g.padding();
            int[][] rows = cases(g.outHeight(), stride, pad, g.inHeight(), g.kernelH());
            int[][] cols = cases(g.outWidth(), stride, pad, g.inWidth(), g.kernelW());
            this.rowCase = rows[0];
            this.colCase = cols[0];
            int rowCases = rows[1].length / 2;
            this.colCases = cols[1].length / 2;
            this.valid = new int[rowCases * colCases];
            this.padded = new long[rowCases * colCases * plan.groups * LANES];
            for (int rc = 0; rc < rowCases; rc++) {
                for (int cc = 0; cc < colCases; cc++) {
                    int ky0 = rows[1][2 * rc], ky1 = rows[1][2 * rc + 1], kx0 = cols[1][2 * cc], kx1 = cols[1][2 * cc + 1];
                    int at = rc * colCases + cc;
                    valid[at] = (ky1 - ky0) * (kx1 - kx0);
                    if (valid[at] < plan.kh * plan.kw) {
                        for (int o = 0; o < plan.co; o++) {
                            padded[at * plan.groups * LANES + o] = paddedPopcount(plan.tapPop, o, g, ky0, ky1, kx0, kx1);
                        }
                    }
                }
            }
            // positions in lanes computes no thrown-away positions: for stride 1 it was as fast or faster than channels
            // in lanes on every shape measured (VGG and ResNet layers of 4x4 to 56x56; 256@14x14 8.3 -> 5.2 ms); packed
            // along the receptive field it also takes strided layers and fills the words of narrow ones
            boolean field = Grid.packsAlongField(g);
            this.grid = g.stride() == 1 || field ? new Grid(g, plan, this, tile, field) : null;
        }

        /** For each output coordinate its case id, and the cases as pairs (first, end) of valid kernel offsets. */
        private static int[][] cases(int out, int stride, int pad, int size, int kernel) {
            int[] of = new int[out];
            List<Integer> ranges = new ArrayList<>();
            for (int o = 0; o < out; o++) {
                int first = firstValidTap(o, stride, pad), end = endValidTap(o, stride, pad, size, kernel), id = -1;
                for (int c = 0; c < ranges.size() / 2; c++) {
                    if (ranges.get(2 * c) == first && ranges.get(2 * c + 1) == end) {
                        id = c;
                    }
                }
                if (id < 0) {
                    id = ranges.size() / 2;
                    ranges.add(first);
                    ranges.add(end);
                }
                of[o] = id;
            }
            return new int[][]{of, ranges.stream().mapToInt(Integer::intValue).toArray()};
        }
    }

    /** Popcount of every input position's words: {@code [n * h * w]}, for the {@code zero-one} identity. */
    private static int[] pixelPopcounts(ConvGeometry g, long[] xb) {
        int words = Shape.words(g.inChannels()), positions = g.batch() * g.inHeight() * g.inWidth();
        int[] pop = new int[positions];
        for (int p = 0; p < positions; p++) {
            int s = 0;
            for (int q = 0; q < words; q++) {
                s += Long.bitCount(xb[p * words + q]);
            }
            pop[p] = s;
        }
        return pop;
    }

    // ---------------------------------------------------------------- convolution with positions in lanes

    /**
     * The layout of the grid path (positions in lanes), for {@code pm1}: output {@code (y, x)} is position
     * {@code p = y * wo + x}, as the tensor stores it, and one vector load holds one input word of {@code LANES}
     * consecutive positions, against which a weight word is broadcast. No position is computed and thrown away, and
     * outputs are stored straight into the tensor. Two ways of laying the input out:
     * <ul>
     * <li>shifted planes (stride 1, channels in whole words): the input is copied once per kernel column {@code kx},
     * shifted by it: plane {@code (kx, q)} holds at {@code r * wo + x} word {@code q} of input
     * {@code (r - pad, x + kx - pad)}, zero outside the image (the rows of the top and bottom frame included), so tap
     * {@code (ky, kx)} of position {@code p} is at {@code p + ky * wo} of its plane;
     * <li>{@link #field packed along the receptive field} (any stride; chosen where channels leave words part empty,
     * or the stride is not 1): bit {@code t * C + c} of a position's words is channel {@code c} of tap {@code t}, so
     * a 3x3 window of 16 channels takes 3 words instead of 9 (docs/method.md section 3: the words hold the window,
     * not one pixel); plane {@code j} holds word {@code j} of every position, the weights are packed the same way.
     * </ul>
     * {@code base[o * qv + p]} is what the sum at position {@code p} starts from: {@code C} per tap inside the input,
     * plus twice the popcount the zero words (or zero bits) added at padded taps (a float, exact: the sums stay far
     * below 2^24). Both layouts give the same exact sums.
     */
    private static final class Grid {
        /** Vectors of positions per tile, and channels per tile: their product is the strategy's accumulators. */
        final int vectors, channels;
        final int positions, qv, planeLength;
        /** Whether the input is packed along the receptive field rather than in shifted planes. */
        final boolean field;
        final float[] base;
        /** Per weight word {@code j}: where its input word sits relative to the position. */
        final int[] inputOffset;

        /** Packing along the receptive field takes fewer words than one word run per tap, or the stride is not 1. */
        static boolean packsAlongField(ConvGeometry g) {
            int taps = g.kernelH() * g.kernelW();
            return g.stride() != 1 || fieldWords(g.inChannels(), taps) < taps * Shape.words(g.inChannels());
        }

        Grid(ConvGeometry g, WeightPlan plan, Frame frame, int tile, boolean field) {
            int hp = g.inHeight() + 2 * g.padding(), ho = g.outHeight(), wo = g.outWidth();
            this.positions = ho * wo;
            this.field = field;
            // 4 channels by 4 vectors needs half the weight broadcasts of 8 by 2 (VGG 128@32x32: 11% faster); on
            // planes that leave most of a 4-vector tile empty (4x4) the narrower tile computes fewer positions
            this.vectors = roundUp(positions, 4 * LANES) <= roundUp(positions, 2 * LANES) ? 4 : 2;
            this.channels = tile / vectors;
            this.qv = roundUp(positions, vectors * LANES);
            if (field) {
                int k = fieldWords(g.inChannels(), plan.kh * plan.kw);
                this.planeLength = qv;
                this.inputOffset = new int[k];
                for (int j = 0; j < k; j++) {
                    inputOffset[j] = j * qv;
                }
            } else {
                // room for the last tile's reads past the last row
                this.planeLength = Math.max(hp * wo, qv + (plan.kh - 1) * wo);
                this.inputOffset = new int[plan.len];
                for (int ky = 0; ky < plan.kh; ky++) {
                    for (int kx = 0; kx < plan.kw; kx++) {
                        for (int q = 0; q < plan.words; q++) {
                            inputOffset[(ky * plan.kw + kx) * plan.words + q] = (kx * plan.words + q) * planeLength + ky * wo;
                        }
                    }
                }
            }
            this.base = new float[plan.co * qv];
            int c = g.inChannels(), lanes = plan.groups * LANES;
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    int kind = frame.rowCase[oy] * frame.colCases + frame.colCase[ox], p = oy * wo + ox;
                    for (int o = 0; o < plan.co; o++) {
                        base[o * qv + p] = frame.valid[kind] * c + 2 * (int) frame.padded[kind * lanes + o];
                    }
                }
            }
        }

        private static int roundUp(int n, int multiple) {
            return (n + multiple - 1) / multiple * multiple;
        }

        /** Longs of one image's planes. */
        int imageLength(ConvGeometry g) {
            return field ? inputOffset.length * planeLength : g.kernelW() * Shape.words(g.inChannels()) * planeLength;
        }

        /** Copies image {@code n} of the packed input {@code [n][h][w][words]} into its planes at {@code planes[at..]}. */
        void frame(ConvGeometry g, long[] xb, int n, long[] planes, int at) {
            if (field) {
                fieldFrame(g, xb, n, planes, at);
                return;
            }
            int words = Shape.words(g.inChannels()), h = g.inHeight(), w = g.inWidth(), pad = g.padding();
            int wo = g.outWidth();
            for (int kx = 0; kx < g.kernelW(); kx++) {
                // the columns x whose input x + kx - pad lies inside the image
                int x0 = Math.max(0, pad - kx), x1 = Math.min(wo, w + pad - kx);
                for (int q = 0; q < words; q++) {
                    int plane = at + (kx * words + q) * planeLength;
                    Arrays.fill(planes, plane, plane + planeLength, 0L);
                    for (int r = pad; r < h + pad; r++) {
                        int src = ((n * h + r - pad) * w + kx - pad) * words + q, dst = plane + r * wo;
                        if (words == 1) {
                            System.arraycopy(xb, src + x0, planes, dst + x0, x1 - x0);
                            continue;
                        }
                        for (int x = x0; x < x1; x++) {
                            planes[dst + x] = xb[src + x * words];
                        }
                    }
                }
            }
        }

        /**
         * The receptive-field words of every output position of image {@code n}: tap by tap, each input word's bits
         * shifted to bit {@code t * C + 64 q} (into two words where they straddle one); padded taps stay zero.
         */
        private void fieldFrame(ConvGeometry g, long[] xb, int n, long[] planes, int at) {
            int c = g.inChannels(), words = Shape.words(c), h = g.inHeight(), w = g.inWidth(), pad = g.padding();
            int stride = g.stride(), ho = g.outHeight(), wo = g.outWidth(), kw = g.kernelW();
            Arrays.fill(planes, at, at + inputOffset.length * planeLength, 0L);
            for (int ky = 0; ky < g.kernelH(); ky++) {
                int oy0 = firstValidOut(ky, stride, pad), oy1 = endValidOut(ky, stride, pad, h, ho);
                for (int kx = 0; kx < kw; kx++) {
                    int ox0 = firstValidOut(kx, stride, pad), ox1 = endValidOut(kx, stride, pad, w, wo);
                    for (int q = 0; q < words; q++) {
                        int bit = (ky * kw + kx) * c + 64 * q, nb = Math.min(64, c - 64 * q), shift = bit & 63;
                        int lo = at + (bit >>> 6) * planeLength;
                        boolean straddles = shift + nb > 64;
                        for (int oy = oy0; oy < oy1; oy++) {
                            int src = ((n * h + oy * stride - pad + ky) * w - pad + kx) * words + q, row = oy * wo;
                            if (stride * words == 1 && !straddles) {
                                // the common narrow case (16 or 32 channels, stride 1), in vectors: the JIT does not
                                // vectorize the plain loop (it cannot tell the two arrays apart)
                                int ox = ox0, d = lo + row;
                                for (; ox <= ox1 - LANES; ox += LANES) {
                                    orShifted(xb, src + ox, shift, planes, d + ox);
                                }
                                if (ox < ox1 && ox1 - ox0 >= LANES) {
                                    // the row's last vector overlaps the one before: ORing a word in twice changes nothing
                                    orShifted(xb, src + ox1 - LANES, shift, planes, d + ox1 - LANES);
                                    ox = ox1;
                                }
                                for (; ox < ox1; ox++) {
                                    planes[d + ox] |= xb[src + ox] << shift;
                                }
                                continue;
                            }
                            for (int ox = ox0; ox < ox1; ox++) {
                                long v = xb[src + ox * stride * words];
                                planes[lo + row + ox] |= v << shift;
                                if (straddles) {
                                    planes[lo + planeLength + row + ox] |= v >>> (64 - shift);
                                }
                            }
                        }
                    }
                }
            }
        }

        private static void orShifted(long[] xb, int src, int shift, long[] planes, int dst) {
            LongVector.fromArray(LONGS, xb, src).lanewise(VectorOperators.LSHL, shift)
                    .or(LongVector.fromArray(LONGS, planes, dst)).intoArray(planes, dst);
        }

        /** First output coordinate whose tap {@code k} falls inside the input. */
        private static int firstValidOut(int k, int stride, int pad) {
            return Math.max(0, Math.ceilDiv(pad - k, stride));
        }

        /** One past the last output coordinate whose tap {@code k} falls inside an input of {@code size}. */
        private static int endValidOut(int k, int stride, int pad, int size, int out) {
            return Math.max(0, Math.min(out, Math.ceilDiv(size + pad - k, stride)));
        }
    }

    /** Words of a receptive field of {@code taps} taps of {@code c} channels, packed bit after bit. */
    static int fieldWords(int c, int taps) {
        return (int) (((long) c * taps + 63) / 64);
    }

    /** ORs the low {@code nb} bits of {@code v} (the rest are 0) into {@code dst} at bit {@code bit} of the words from {@code at}, {@code step} apart. */
    static void insertBits(long[] dst, int at, int step, int bit, int nb, long v) {
        int word = at + (bit >>> 6) * step, shift = bit & 63;
        dst[word] |= v << shift;
        if (shift + nb > 64) {
            dst[word + step] |= v >>> (64 - shift);
        }
    }

    private void gridConvolution(ConvGeometry g, long[] xb, long[] wb, Grid grid, float[] scale, float[] bias, Epilogue epilogue,
                                 float[] y, Parallel par) {
        int batch = g.batch(), co = g.outChannels(), positions = grid.positions, qv = grid.qv;
        int image = grid.imageLength(g), len = grid.inputOffset.length;
        // the same per-thread frame buffer as the channels-in-lanes path: a call takes one path or the other
        long[] planes = scratch(batch * image);
        par.forRange(batch, image, (from, to) -> {
            for (int n = from; n < to; n++) {
                grid.frame(g, xb, n, planes, n * image);
            }
        });
        int channels = grid.channels, step = grid.vectors * LANES, blocks = (co + channels - 1) / channels;
        int whole = positions / step * step;
        // cost per block: its words' popcounts, and per output a conversion and the affine, about two words' worth
        par.forRange(batch * blocks, (long) qv * channels * (len + 2), (from, to) -> {
            Buffers own = buffers.get();
            // a block's counts for the whole plane, channel after channel: the outputs are then finished in runs of a
            // plane rather than of a tile (on AVX2 the tile-sized runs cost as much again as their popcounts)
            long[] counts = own.longs(channels * qv);
            float[] tail = whole < positions ? own.floats(step) : null;
            float[] residual = epilogue == null ? null : epilogue.residual();
            for (int item = from; item < to; item++) {
                int n = item / blocks, o0 = (item % blocks) * channels, oc = Math.min(channels, co - o0);
                // a block short of channels repeats its last one in the tile; only real channels are kept
                int w1 = Math.min(1, oc - 1) * len, w2 = Math.min(2, oc - 1) * len, w3 = Math.min(3, oc - 1) * len;
                int w4 = Math.min(4, oc - 1) * len, w5 = Math.min(5, oc - 1) * len, w6 = Math.min(6, oc - 1) * len, w7 = Math.min(7, oc - 1) * len;
                for (int q0 = 0; q0 < qv; q0 += step) {
                    if (channels == 4 && grid.vectors == 4) {
                        gridTile4x4(planes, n * image + q0, grid.inputOffset, wb, o0 * len, w1, w2, w3, counts, q0, qv);
                    } else if (channels == 8) {
                        gridTile8x2(planes, n * image + q0, grid.inputOffset, wb, o0 * len, w1, w2, w3, w4, w5, w6, w7, counts, q0, qv);
                    } else if (channels == 2) {
                        gridTile2x4(planes, n * image + q0, grid.inputOffset, wb, o0 * len, w1, counts, q0, qv);
                    } else {
                        gridTile4x2(planes, n * image + q0, grid.inputOffset, wb, o0 * len, w1, w2, w3, counts, q0, qv);
                    }
                }
                for (int c = 0; c < oc; c++) {
                    int o = o0 + c, out = (n * co + o) * positions;
                    float s = scale == null ? 1f : scale[o], b = bias == null ? 0f : bias[o];
                    finish(counts, c * qv, whole, grid.base, o * qv, s, b, y, out, residual, residual == null ? 0f : epilogue.slope()[o]);
                    if (whole < positions) {
                        // the last, partial tile of a size that is not a multiple of the tile
                        finish(counts, c * qv + whole, step, grid.base, o * qv + whole, s, b, tail, 0, null, 0f);
                        System.arraycopy(tail, 0, y, out + whole, positions - whole);
                        for (int i = out + whole; residual != null && i < out + positions; i++) {
                            y[i] = epilogue.apply(y[i], i, o);
                        }
                    }
                }
            }
        });
    }

    /**
     * XOR counts of 4 vectors of positions at {@code x0} for 4 channels (weights at {@code w0}, {@code w0 + w1}, ...):
     * {@code counts[countsAt + channel * countsStride + vector * LANES ..]}; per weight word 4 loads and 4 broadcasts for 16
     * XOR-popcount-adds. The 16 accumulators and 5 operands fit AVX-512's 32 registers.
     */
    private static void gridTile4x4(long[] xg, int x0, int[] inputOffset, long[] wb, int w0, int w1, int w2, int w3, long[] counts, int countsAt, int countsStride) {
        LongVector a00 = LongVector.zero(LONGS), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        LongVector a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int j = 0; j < inputOffset.length; j++) {
            int at = x0 + inputOffset[j], wj = w0 + j;
            LongVector x0v = LongVector.fromArray(LONGS, xg, at), x1v = LongVector.fromArray(LONGS, xg, at + LANES);
            LongVector x2v = LongVector.fromArray(LONGS, xg, at + 2 * LANES), x3v = LongVector.fromArray(LONGS, xg, at + 3 * LANES);
            LongVector v = LongVector.broadcast(LONGS, wb[wj]);
            a00 = a00.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a01 = a01.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a02 = a02.add(x2v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a03 = a03.add(x3v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w1]);
            a10 = a10.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a11 = a11.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a12 = a12.add(x2v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a13 = a13.add(x3v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w2]);
            a20 = a20.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a21 = a21.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a22 = a22.add(x2v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a23 = a23.add(x3v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w3]);
            a30 = a30.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a31 = a31.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a32 = a32.add(x2v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a33 = a33.add(x3v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
        }
        a00.intoArray(counts, countsAt);
        a01.intoArray(counts, countsAt + LANES);
        a02.intoArray(counts, countsAt + 2 * LANES);
        a03.intoArray(counts, countsAt + 3 * LANES);
        a10.intoArray(counts, countsAt + countsStride);
        a11.intoArray(counts, countsAt + countsStride + LANES);
        a12.intoArray(counts, countsAt + countsStride + 2 * LANES);
        a13.intoArray(counts, countsAt + countsStride + 3 * LANES);
        a20.intoArray(counts, countsAt + 2 * countsStride);
        a21.intoArray(counts, countsAt + 2 * countsStride + LANES);
        a22.intoArray(counts, countsAt + 2 * countsStride + 2 * LANES);
        a23.intoArray(counts, countsAt + 2 * countsStride + 3 * LANES);
        a30.intoArray(counts, countsAt + 3 * countsStride);
        a31.intoArray(counts, countsAt + 3 * countsStride + LANES);
        a32.intoArray(counts, countsAt + 3 * countsStride + 2 * LANES);
        a33.intoArray(counts, countsAt + 3 * countsStride + 3 * LANES);
    }

    /**
     * As {@link #gridTile4x4}, for 2 vectors of positions and 8 channels;
     * 2 loads and 8 broadcasts per weight word (on planes as small as 4x4 the 4-vector tile is half empty).
     */
    private static void gridTile8x2(long[] xg, int x0, int[] inputOffset, long[] wb, int w0, int w1, int w2, int w3,
                                 int w4, int w5, int w6, int w7, long[] counts, int countsAt, int countsStride) {
        LongVector a00 = LongVector.zero(LONGS), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        LongVector a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        for (int j = 0; j < inputOffset.length; j++) {
            int at = x0 + inputOffset[j], wj = w0 + j;
            LongVector x0v = LongVector.fromArray(LONGS, xg, at), x1v = LongVector.fromArray(LONGS, xg, at + LANES);
            LongVector v = LongVector.broadcast(LONGS, wb[wj]);
            a00 = a00.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a01 = a01.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w1]);
            a10 = a10.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a11 = a11.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w2]);
            a20 = a20.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a21 = a21.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w3]);
            a30 = a30.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a31 = a31.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w4]);
            a40 = a40.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a41 = a41.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w5]);
            a50 = a50.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a51 = a51.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w6]);
            a60 = a60.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a61 = a61.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w7]);
            a70 = a70.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a71 = a71.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
        }
        a00.intoArray(counts, countsAt);
        a01.intoArray(counts, countsAt + LANES);
        a10.intoArray(counts, countsAt + countsStride);
        a11.intoArray(counts, countsAt + countsStride + LANES);
        a20.intoArray(counts, countsAt + 2 * countsStride);
        a21.intoArray(counts, countsAt + 2 * countsStride + LANES);
        a30.intoArray(counts, countsAt + 3 * countsStride);
        a31.intoArray(counts, countsAt + 3 * countsStride + LANES);
        a40.intoArray(counts, countsAt + 4 * countsStride);
        a41.intoArray(counts, countsAt + 4 * countsStride + LANES);
        a50.intoArray(counts, countsAt + 5 * countsStride);
        a51.intoArray(counts, countsAt + 5 * countsStride + LANES);
        a60.intoArray(counts, countsAt + 6 * countsStride);
        a61.intoArray(counts, countsAt + 6 * countsStride + LANES);
        a70.intoArray(counts, countsAt + 7 * countsStride);
        a71.intoArray(counts, countsAt + 7 * countsStride + LANES);
    }

    /**
     * As {@link #gridTile4x4}, for 2 channels and 4 vectors of positions: 8 accumulators, 4 loads and 2 broadcasts per
     * weight word, within AVX2's 16 registers (where the popcount itself needs a table and a mask in two more).
     */
    private static void gridTile2x4(long[] xg, int x0, int[] inputOffset, long[] wb, int w0, int w1, long[] counts, int countsAt, int countsStride) {
        LongVector a00 = LongVector.zero(LONGS), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        for (int j = 0; j < inputOffset.length; j++) {
            int at = x0 + inputOffset[j], wj = w0 + j;
            LongVector x0v = LongVector.fromArray(LONGS, xg, at), x1v = LongVector.fromArray(LONGS, xg, at + LANES);
            LongVector x2v = LongVector.fromArray(LONGS, xg, at + 2 * LANES), x3v = LongVector.fromArray(LONGS, xg, at + 3 * LANES);
            LongVector v = LongVector.broadcast(LONGS, wb[wj]);
            a00 = a00.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a01 = a01.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a02 = a02.add(x2v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a03 = a03.add(x3v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w1]);
            a10 = a10.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a11 = a11.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a12 = a12.add(x2v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a13 = a13.add(x3v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
        }
        a00.intoArray(counts, countsAt);
        a01.intoArray(counts, countsAt + LANES);
        a02.intoArray(counts, countsAt + 2 * LANES);
        a03.intoArray(counts, countsAt + 3 * LANES);
        a10.intoArray(counts, countsAt + countsStride);
        a11.intoArray(counts, countsAt + countsStride + LANES);
        a12.intoArray(counts, countsAt + countsStride + 2 * LANES);
        a13.intoArray(counts, countsAt + countsStride + 3 * LANES);
    }

    /** As {@link #gridTile2x4}, for 4 channels and 2 vectors of positions (small planes). */
    private static void gridTile4x2(long[] xg, int x0, int[] inputOffset, long[] wb, int w0, int w1, int w2, int w3, long[] counts, int countsAt, int countsStride) {
        LongVector a00 = LongVector.zero(LONGS), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int j = 0; j < inputOffset.length; j++) {
            int at = x0 + inputOffset[j], wj = w0 + j;
            LongVector x0v = LongVector.fromArray(LONGS, xg, at), x1v = LongVector.fromArray(LONGS, xg, at + LANES);
            LongVector v = LongVector.broadcast(LONGS, wb[wj]);
            a00 = a00.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a01 = a01.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w1]);
            a10 = a10.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a11 = a11.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w2]);
            a20 = a20.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a21 = a21.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            v = LongVector.broadcast(LONGS, wb[wj + w3]);
            a30 = a30.add(x0v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
            a31 = a31.add(x1v.lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
        }
        a00.intoArray(counts, countsAt);
        a01.intoArray(counts, countsAt + LANES);
        a10.intoArray(counts, countsAt + countsStride);
        a11.intoArray(counts, countsAt + countsStride + LANES);
        a20.intoArray(counts, countsAt + 2 * countsStride);
        a21.intoArray(counts, countsAt + 2 * countsStride + LANES);
        a30.intoArray(counts, countsAt + 3 * countsStride);
        a31.intoArray(counts, countsAt + 3 * countsStride + LANES);
    }

    /**
     * A run of one channel's counts into outputs: {@code fma(base - 2 count, scale, bias)}, the sum exact before the fma,
     * then the fused block's residual add and PReLU where {@code residual} is not null.
     */
    private static void finish(long[] counts, int at, int length, float[] base, int baseAt, float scale, float bias, float[] out, int outAt,
                               float[] residual, float slope) {
        for (int v = 0; v < length; v += LANES) {
            LongVector c = LongVector.fromArray(LONGS, counts, at + v);
            FloatVector count = HARDWARE_LONG_TO_FLOAT ? (FloatVector) c.convertShape(VectorOperators.L2F, FLOATS, 0)
                    : (FloatVector) c.lanewise(VectorOperators.ADD, MAGIC_BITS).reinterpretAsDoubles().sub(MAGIC)
                    .convertShape(VectorOperators.D2F, FLOATS, 0);
            FloatVector r = count.mul(-2f).add(FloatVector.fromArray(FLOATS, base, baseAt + v)).fma(scale, bias);
            if (residual != null) {
                r = r.add(FloatVector.fromArray(FLOATS, residual, outAt + v));
                r = r.blend(r.mul(slope), r.compare(VectorOperators.LT, 0f));
            }
            r.intoArray(out, outAt + v);
        }
    }

    /**
     * Long lanes to floats: 512-bit vectors mean AVX-512, whose VCVTQQ2PS converts them directly. AVX2 has no such
     * instruction (the Vector API's fallback cost more than a tile's popcounts), so there a value {@code x} becomes a
     * double by the exponent trick (added to 1.5 * 2^52's bits, any {@code |x| < 2^51} is the double 1.5 * 2^52 + x;
     * subtract 1.5 * 2^52) and the double a float (VCVTPD2PS): exact for the sums here (below 2^24), the same floats.
     */
    private static final boolean HARDWARE_LONG_TO_FLOAT = LONGS.vectorBitSize() >= 512;
    private static final long MAGIC_BITS = Double.doubleToRawLongBits(0x1.8p52);
    private static final double MAGIC = 0x1.8p52;

    /** One call's operands, with the affine padded to whole channel groups; {@link #row} computes one output row. */
    private static final class Convolution {
        final ConvGeometry g;
        final boolean pm1;
        final long[] xp, wr, padded;
        final int[] inputPop, rowCase, colCase, valid;
        final float[] y, scale, bias;
        final int groups, colCases;

        Convolution(ConvGeometry g, boolean pm1, long[] xp, WeightPlan plan, Frame frame, int[] inputPop, float[] scale, float[] bias, float[] y) {
            this.g = g;
            this.pm1 = pm1;
            this.xp = xp;
            this.wr = plan.wr;
            this.padded = frame.padded;
            this.rowCase = frame.rowCase;
            this.colCase = frame.colCase;
            this.valid = frame.valid;
            this.colCases = frame.colCases;
            this.inputPop = inputPop;
            this.y = y;
            this.groups = plan.groups;
            this.scale = new float[groups * LANES];
            this.bias = new float[groups * LANES];
            for (int o = 0; o < g.outChannels(); o++) {
                this.scale[o] = scale == null ? 1f : scale[o];
                this.bias[o] = bias == null ? 0f : bias[o];
            }
        }

        void row(int n, int oy, int g0, int gEnd, long[] counts, float[] rowOut) {
            int words = Shape.words(g.inChannels()), wo = g.outWidth(), stride = g.stride();
            int kh = g.kernelH(), kw = g.kernelW(), len = kh * kw * words, rowWords = kw * words;
            int hp = g.inHeight() + 2 * g.padding(), wp = g.inWidth() + 2 * g.padding();
            int xImg = n * hp * wp * words, step = stride * words;
            boolean two = gEnd - g0 == 2;
            int ox = 0;
            for (; ox + 4 <= wo; ox += 4) {
                int x0 = xImg + (oy * stride * wp + ox * stride) * words;
                if (two) {
                    tile4x2(x0, step, wp * words, kh, rowWords, (g0 * len) * LANES, ((g0 + 1) * len) * LANES, counts);
                    for (int p = 0; p < 4; p++) {
                        finish(n, oy, ox + p, g0, counts, p * 2 * LANES, rowOut, (ox + p) * 2 * LANES);
                        finish(n, oy, ox + p, g0 + 1, counts, (p * 2 + 1) * LANES, rowOut, ((ox + p) * 2 + 1) * LANES);
                    }
                } else {
                    tile4x1(x0, step, wp * words, kh, rowWords, (g0 * len) * LANES, counts);
                    for (int p = 0; p < 4; p++) {
                        finish(n, oy, ox + p, g0, counts, p * LANES, rowOut, (ox + p) * 2 * LANES);
                    }
                }
            }
            for (; ox < wo; ox++) {
                int x0 = xImg + (oy * stride * wp + ox * stride) * words;
                for (int grp = g0; grp < gEnd; grp++) {
                    tile1x1(x0, wp * words, kh, rowWords, (grp * len) * LANES, counts);
                    finish(n, oy, ox, grp, counts, 0, rowOut, (ox * 2 + grp - g0) * LANES);
                }
            }
            // the row holds [position][channel]; the output wants each channel's row contiguous
            int co = g.outChannels(), ho = g.outHeight();
            for (int grp = g0; grp < gEnd; grp++) {
                int x = 0, yGroup = ((n * co + grp * LANES) * ho + oy) * wo, src = (grp - g0) * LANES;
                if (LANES == 8 && (grp + 1) * LANES <= co) {
                    for (; x + 8 <= wo; x += 8) {
                        VectorTranspose.square(FLOATS, rowOut, x * 2 * LANES + src, 2 * LANES, y, yGroup + x, ho * wo);
                    }
                }
                for (int o = grp * LANES, oEnd = Math.min(co, (grp + 1) * LANES); o < oEnd; o++) {
                    int yRow = yGroup + (o - grp * LANES) * ho * wo, at = src + o - grp * LANES;
                    for (int xx = x; xx < wo; xx++) {
                        y[yRow + xx] = rowOut[xx * 2 * LANES + at];
                    }
                }
            }
        }

        /** XOR counts of 4 positions (input words {@code step} apart) by 2 channel groups, into {@code counts}. */
        private void tile4x2(int x0, int step, int rowStride, int kh, int rowWords, int w0, int w1, long[] counts) {
            LongVector a00 = LongVector.zero(LONGS), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            long[] x = xp, w = wr;
            for (int ky = 0; ky < kh; ky++) {
                int xr = x0 + ky * rowStride, wk = ky * rowWords;
                for (int j = 0; j < rowWords; j++) {
                    LongVector v0 = LongVector.fromArray(LONGS, w, w0 + (wk + j) * LANES);
                    LongVector v1 = LongVector.fromArray(LONGS, w, w1 + (wk + j) * LANES);
                    LongVector b0 = LongVector.broadcast(LONGS, x[xr + j]);
                    LongVector b1 = LongVector.broadcast(LONGS, x[xr + step + j]);
                    LongVector b2 = LongVector.broadcast(LONGS, x[xr + 2 * step + j]);
                    LongVector b3 = LongVector.broadcast(LONGS, x[xr + 3 * step + j]);
                    a00 = a00.add(b0.lanewise(VectorOperators.XOR, v0).lanewise(VectorOperators.BIT_COUNT));
                    a01 = a01.add(b0.lanewise(VectorOperators.XOR, v1).lanewise(VectorOperators.BIT_COUNT));
                    a10 = a10.add(b1.lanewise(VectorOperators.XOR, v0).lanewise(VectorOperators.BIT_COUNT));
                    a11 = a11.add(b1.lanewise(VectorOperators.XOR, v1).lanewise(VectorOperators.BIT_COUNT));
                    a20 = a20.add(b2.lanewise(VectorOperators.XOR, v0).lanewise(VectorOperators.BIT_COUNT));
                    a21 = a21.add(b2.lanewise(VectorOperators.XOR, v1).lanewise(VectorOperators.BIT_COUNT));
                    a30 = a30.add(b3.lanewise(VectorOperators.XOR, v0).lanewise(VectorOperators.BIT_COUNT));
                    a31 = a31.add(b3.lanewise(VectorOperators.XOR, v1).lanewise(VectorOperators.BIT_COUNT));
                }
            }
            a00.intoArray(counts, 0);
            a01.intoArray(counts, LANES);
            a10.intoArray(counts, 2 * LANES);
            a11.intoArray(counts, 3 * LANES);
            a20.intoArray(counts, 4 * LANES);
            a21.intoArray(counts, 5 * LANES);
            a30.intoArray(counts, 6 * LANES);
            a31.intoArray(counts, 7 * LANES);
        }

        /** XOR counts of 4 positions by 1 channel group. */
        private void tile4x1(int x0, int step, int rowStride, int kh, int rowWords, int w0, long[] counts) {
            LongVector a0 = LongVector.zero(LONGS), a1 = a0, a2 = a0, a3 = a0;
            long[] x = xp, w = wr;
            for (int ky = 0; ky < kh; ky++) {
                int xr = x0 + ky * rowStride, wk = ky * rowWords;
                for (int j = 0; j < rowWords; j++) {
                    LongVector v = LongVector.fromArray(LONGS, w, w0 + (wk + j) * LANES);
                    a0 = a0.add(LongVector.broadcast(LONGS, x[xr + j]).lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
                    a1 = a1.add(LongVector.broadcast(LONGS, x[xr + step + j]).lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
                    a2 = a2.add(LongVector.broadcast(LONGS, x[xr + 2 * step + j]).lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
                    a3 = a3.add(LongVector.broadcast(LONGS, x[xr + 3 * step + j]).lanewise(VectorOperators.XOR, v).lanewise(VectorOperators.BIT_COUNT));
                }
            }
            a0.intoArray(counts, 0);
            a1.intoArray(counts, LANES);
            a2.intoArray(counts, 2 * LANES);
            a3.intoArray(counts, 3 * LANES);
        }

        /** XOR counts of 1 position by 1 channel group. */
        private void tile1x1(int x0, int rowStride, int kh, int rowWords, int w0, long[] counts) {
            LongVector a = LongVector.zero(LONGS);
            long[] x = xp, w = wr;
            for (int ky = 0; ky < kh; ky++) {
                int xr = x0 + ky * rowStride, wk = ky * rowWords;
                for (int j = 0; j < rowWords; j++) {
                    a = a.add(LongVector.broadcast(LONGS, x[xr + j])
                            .lanewise(VectorOperators.XOR, LongVector.fromArray(LONGS, w, w0 + (wk + j) * LANES))
                            .lanewise(VectorOperators.BIT_COUNT));
                }
            }
            a.intoArray(counts, 0);
        }

        /** Turns one group's XOR counts at one position into sums (docs/method.md section 3) and applies the affine. */
        private void finish(int n, int oy, int ox, int grp, long[] counts, int at, float[] out, int outAt) {
            int kind = rowCase[oy] * colCases + colCase[ox];
            LongVector pop = LongVector.fromArray(LONGS, counts, at)
                    .sub(LongVector.fromArray(LONGS, padded, (kind * groups + grp) * LANES));
            LongVector sum = pm1 ? pop.mul(-2L).add((long) valid[kind] * g.inChannels())
                    : LongVector.broadcast(LONGS, windowOnes(n, oy, ox)).sub(pop);
            // counts are below 2^24, so the conversion is exact and the fma rounds once, as the scalar path does
            FloatVector sums = HARDWARE_LONG_TO_FLOAT ? (FloatVector) sum.convertShape(VectorOperators.L2F, FLOATS, 0)
                    : (FloatVector) sum.lanewise(VectorOperators.ADD, MAGIC_BITS).reinterpretAsDoubles().sub(MAGIC)
                    .convertShape(VectorOperators.D2F, FLOATS, 0);
            sums.fma(FloatVector.fromArray(FLOATS, scale, grp * LANES), FloatVector.fromArray(FLOATS, bias, grp * LANES))
                    .intoArray(out, outAt);
        }

        /** Ones of the input bits in the window of {@code (oy, ox)}, for the {@code zero-one} identity. */
        private long windowOnes(int n, int oy, int ox) {
            int h = g.inHeight(), w = g.inWidth(), stride = g.stride(), pad = g.padding(), s = 0;
            int ky0 = firstValidTap(oy, stride, pad), ky1 = endValidTap(oy, stride, pad, h, g.kernelH());
            int kx0 = firstValidTap(ox, stride, pad), kx1 = endValidTap(ox, stride, pad, w, g.kernelW());
            for (int ky = ky0; ky < ky1; ky++) {
                int row = (n * h + oy * stride - pad + ky) * w + ox * stride - pad;
                for (int kx = kx0; kx < kx1; kx++) {
                    s += inputPop[row + kx];
                }
            }
            return s;
        }
    }
}
