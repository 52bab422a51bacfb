package io.siman.backend.cpu;

import io.siman.api.ConvGeometry;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolutions with the Vector API, without im2col: direct loops over a zero-framed copy of the input,
 * vectorized along the flattened rows of the output.
 *
 * <p>The trick is the output "grid": with the input padded to {@code Hp x Wp}, output {@code (y, x)} sits at
 * {@code q = y * Wp + x}, and its tap {@code (ky, kx)} reads input {@code q + ky * Wp + kx}. Along {@code q} those
 * reads are contiguous, so one vector load serves {@code LANES} outputs for every tap, whatever the row width;
 * the {@code Wp - Wo} positions at the end of each grid row are computed and thrown away.
 *
 * <p>A stride {@code s > 1} is turned into stride 1 by splitting each input channel into its {@code s * s}
 * phases (the rows {@code ≡ py} and columns {@code ≡ px} modulo {@code s}): tap {@code (ky, kx)} of output
 * {@code (y, x)} reads input row {@code s y + ky - pad}, which is row {@code y + floor((ky - pad) / s)} of phase
 * {@code (ky - pad) mod s}. Every tap is then a shifted read of one phase plane, and the loops below do not
 * change; for stride 1 the single phase is the padded input itself.
 *
 * <p>A register tile of 8 output channels by 2 vectors of positions (4 channels on 16 registers); per input channel
 * and tap, 2 loads, 8 broadcast weights and 16 fused multiply-adds. Each output is summed over (channel, ky, kx) in that order by one task: the
 * order of im2col and the matrix product on the plain path, so both give the same bits (docs/kernels.md, "The same
 * bits on every path"). The input gradient of a stride-1 convolution is this forward convolution of the framed output
 * gradient ({@link ConvolutionKernels}); the weight gradient ({@link #weightGradient}) chains each weight over (sample,
 * position), as the plain path's matrix product does.
 */
final class VectorConv {
    private static final VectorSpecies<Float> SPECIES = VectorGemm.SPECIES;
    private static final int LANES = SPECIES.length();
    /**
     * Whether the register tiles must fit 16 vector registers (AVX2 and narrower) rather than AVX-512's 32: there the
     * AVX-512 tiles spilled (weight gradient of 16@32x32 at batch 256: 30-31 ms, 10-15 ms with the smaller tile).
     */
    private static final boolean FEW_REGISTERS = SPECIES.vectorBitSize() < 512;
    /** Output channels per forward tile: 8 by 2 vectors is 16 accumulators and 3 operands; 4 by 2 on 16 registers. */
    private static final int CO_TILE = FEW_REGISTERS ? 4 : 8;
    /**
     * Per-thread buffers. Slots 0 to 2 belong to the calling thread for the whole call (workers read them);
     * slots 3 to 6 are a task's own: 3 a sample's frame (or its signs, in the weight gradient with output channels in
     * the lanes); 4 an output grid (forward, input gradient) or a sample's signs (channels-last weight gradient); 5 a
     * sample's pattern sums; 6 a sample's input gradient handed over to a {@link SampleGradient}.
     */
    private final ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[7][0]);

    static final VectorConv INSTANCE = new VectorConv();

    private VectorConv() {
    }

    /**
     * Whether the forward pass and the weight gradient take this path: padding below the kernel size, and a stride
     * no larger than the kernel (a larger one would frame phases that no tap reads).
     */
    static boolean handles(ConvGeometry g) {
        return g.padding() < g.kernelH() && g.padding() < g.kernelW() && g.stride() <= g.kernelH() && g.stride() <= g.kernelW();
    }

    private float[] scratch(int slot, int n) {
        float[][] s = scratch.get();
        if (s[slot].length < n) {
            s[slot] = new float[n];
        }
        return s[slot];
    }

    /**
     * Shapes of the framed input and of the output grid: each input channel becomes {@code stride^2} phase planes
     * of {@code hp x wp} (allocated {@code plane} long), with {@code top} rows and {@code left} columns of zeros
     * before the phase's first input row and column.
     */
    private record Frame(int stride, int top, int left, int hp, int wp, int ho, int wo, int q, int qv, int plane) {
        static Frame of(ConvGeometry g, int blockPositions) {
            int s = g.stride(), pad = g.padding();
            // the taps' row offsets within a phase run from floor(-pad / s) to floor((k - 1 - pad) / s)
            int top = -Math.floorDiv(-pad, s), left = top;
            int bottom = Math.floorDiv(g.kernelH() - 1 - pad, s), right = Math.floorDiv(g.kernelW() - 1 - pad, s);
            int ho = g.outHeight(), wo = g.outWidth();
            int hp = ho + top + bottom, wp = wo + left + right;
            int q = ho * wp;
            int qv = (q + blockPositions - 1) / blockPositions * blockPositions;
            // room for the last block's reads past the frame
            int plane = Math.max(hp * wp, qv + (top + bottom) * wp + left + right);
            return new Frame(s, top, left, hp, wp, ho, wo, q, qv, plane);
        }

        /** Floats of one framed input channel: its phase planes. */
        int channel() {
            return stride * stride * plane;
        }
    }

    /** Copies images {@code [n0, n1)} into zero frames at {@code xp[at..]}: {@code [n][channel][plane]}. */
    private static void frame(ConvGeometry g, Frame f, float[] x, int n0, int n1, float[] xp, int at) {
        frame(g, f, x, n0, n1, xp, at, false);
    }

    /**
     * As {@link #frame(ConvGeometry, Frame, float[], int, int, float[], int)}; {@code zeroed}: the frames at
     * {@code xp[at..]} already hold an image of this geometry, so their zeros are in place and only the image is
     * copied (a task reframing sample after sample into one buffer fills it once).
     */
    private static void frame(ConvGeometry g, Frame f, float[] x, int n0, int n1, float[] xp, int at, boolean zeroed) {
        int c = g.inChannels(), h = g.inHeight(), w = g.inWidth(), s = f.stride(), wp = f.wp();
        for (int i = n0 * c; i < n1 * c; i++) {
            int base = at + (i - n0 * c) * f.channel(), src = i * h * w;
            if (!zeroed) {
                java.util.Arrays.fill(xp, base, base + f.channel(), 0f);
            }
            for (int py = 0; py < s; py++) {
                for (int r = 0; r < f.hp(); r++) {
                    int iy = s * (r - f.top()) + py;
                    if (iy < 0 || iy >= h) {
                        continue;
                    }
                    int from = src + iy * w, to = base + py * s * f.plane() + r * wp + f.left();
                    if (s == 1) {
                        System.arraycopy(x, from, xp, to, w);
                        continue;
                    }
                    // column px + s j of the row goes to column left + j of phase px
                    for (int px = 0; px < s; px++) {
                        int count = Math.min((w - px + s - 1) / s, wp - f.left()), dst = to + px * f.plane();
                        for (int j = 0; j < count; j++) {
                            xp[dst + j] = x[from + px + s * j];
                        }
                    }
                }
            }
        }
    }

    /** Where the input of weight {@code (c, ky, kx)} starts in a framed image: the tap's phase plane plus its shift. */
    private static int[] shifts(ConvGeometry g, Frame f) {
        int ci = g.inChannels(), kh = g.kernelH(), kw = g.kernelW(), s = f.stride(), pad = g.padding();
        int[] shift = new int[ci * kh * kw];
        for (int c = 0; c < ci; c++) {
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    int phase = Math.floorMod(ky - pad, s) * s + Math.floorMod(kx - pad, s);
                    int row = Math.floorDiv(ky - pad, s) + f.top(), col = Math.floorDiv(kx - pad, s) + f.left();
                    shift[(c * kh + ky) * kw + kx] = c * f.channel() + phase * f.plane() + row * f.wp() + col;
                }
            }
        }
        return shift;
    }

    // ---------------------------------------------------------------- forward

    /** {@code y = conv(x, w)}; {@code w} is {@code [co, ci, kh, kw]}. */
    void forward(ConvGeometry g, float[] x, float[] w, float[] y, Parallel par) {
        Frame f = Frame.of(g, 2 * LANES);
        int ci = g.inChannels(), co = g.outChannels(), taps = g.kernelH() * g.kernelW(), k = ci * taps, batch = g.batch();
        int blocks = (co + CO_TILE - 1) / CO_TILE, image = ci * f.channel();
        // weights as [block][ci][ky][kx][8]: the 8 channels of a tap next to each other; missing channels 0
        float[] wt = scratch(1, blocks * k * CO_TILE);
        java.util.Arrays.fill(wt, 0, blocks * k * CO_TILE, 0f);
        for (int o = 0; o < co; o++) {
            int b = o / CO_TILE, j = o % CO_TILE;
            for (int r = 0; r < k; r++) {
                wt[(b * k + r) * CO_TILE + j] = w[o * k + r];
            }
        }
        int[] shift = shifts(g, f);
        long cost = (long) k * CO_TILE * f.qv();
        if (batch >= 2 * par.threads()) {
            // a task per sample: its frame is made where it is used and stays in the core's cache
            par.forRange(batch, cost * blocks, (from, to) -> {
                float[] xp = scratch(3, image), grid = scratch(4, CO_TILE * f.qv());
                for (int n = from; n < to; n++) {
                    frame(g, f, x, n, n + 1, xp, 0, n > from);
                    for (int b = 0; b < blocks; b++) {
                        block(g, f, xp, 0, shift, k, wt, b, grid, y, n);
                    }
                }
            });
            return;
        }
        // few samples: a task per (sample, block of output channels), over frames made first
        float[] xp = scratch(0, batch * image);
        par.forRange(batch, image, (from, to) -> frame(g, f, x, from, to, xp, from * image));
        par.forRange(batch * blocks, cost, (from, to) -> {
            float[] grid = scratch(4, CO_TILE * f.qv());
            for (int item = from; item < to; item++) {
                int n = item / blocks;
                block(g, f, xp, n * image, shift, k, wt, item % blocks, grid, y, n);
            }
        });
    }

    /** One sample's outputs for one block of output channels, from its frame at {@code xp[xImg..]}. */
    private static void block(ConvGeometry g, Frame f, float[] xp, int xImg, int[] shift, int k, float[] wt, int b, float[] grid,
                              float[] y, int n) {
        int co = g.outChannels();
        for (int q0 = 0; q0 < f.qv(); q0 += 2 * LANES) {
            if (CO_TILE == 8) {
                tile8x2(xp, xImg + q0, shift, k, wt, b * k * CO_TILE, q0, grid, f.qv());
            } else {
                tile4x2(xp, xImg + q0, shift, k, wt, b * k * CO_TILE, q0, grid, f.qv());
            }
        }
        int oEnd = Math.min(co, (b + 1) * CO_TILE);
        for (int o = b * CO_TILE; o < oEnd; o++) {
            int src = (o - b * CO_TILE) * f.qv(), dst = (n * co + o) * f.ho() * f.wo();
            for (int yy = 0; yy < f.ho(); yy++) {
                System.arraycopy(grid, src + yy * f.wp(), y, dst + yy * f.wo(), f.wo());
            }
        }
    }

    /** 8 output channels by 2 vectors of grid positions from {@code q0}, summed over (channel, ky, kx) in that order. */
    private static void tile8x2(float[] xp, int x0, int[] shift, int k, float[] wt, int wBlock, int q0, float[] grid, int qv) {
        FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        FloatVector a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        for (int r = 0; r < k; r++) {
            int xr = x0 + shift[r], wi = wBlock + r * CO_TILE;
            FloatVector v0 = FloatVector.fromArray(SPECIES, xp, xr);
            FloatVector v1 = FloatVector.fromArray(SPECIES, xp, xr + LANES);
            FloatVector v = FloatVector.broadcast(SPECIES, wt[wi]);
            a00 = v.fma(v0, a00);
            a01 = v.fma(v1, a01);
            v = FloatVector.broadcast(SPECIES, wt[wi + 1]);
            a10 = v.fma(v0, a10);
            a11 = v.fma(v1, a11);
            v = FloatVector.broadcast(SPECIES, wt[wi + 2]);
            a20 = v.fma(v0, a20);
            a21 = v.fma(v1, a21);
            v = FloatVector.broadcast(SPECIES, wt[wi + 3]);
            a30 = v.fma(v0, a30);
            a31 = v.fma(v1, a31);
            v = FloatVector.broadcast(SPECIES, wt[wi + 4]);
            a40 = v.fma(v0, a40);
            a41 = v.fma(v1, a41);
            v = FloatVector.broadcast(SPECIES, wt[wi + 5]);
            a50 = v.fma(v0, a50);
            a51 = v.fma(v1, a51);
            v = FloatVector.broadcast(SPECIES, wt[wi + 6]);
            a60 = v.fma(v0, a60);
            a61 = v.fma(v1, a61);
            v = FloatVector.broadcast(SPECIES, wt[wi + 7]);
            a70 = v.fma(v0, a70);
            a71 = v.fma(v1, a71);
        }
        a00.intoArray(grid, q0);
        a01.intoArray(grid, q0 + LANES);
        a10.intoArray(grid, qv + q0);
        a11.intoArray(grid, qv + q0 + LANES);
        a20.intoArray(grid, 2 * qv + q0);
        a21.intoArray(grid, 2 * qv + q0 + LANES);
        a30.intoArray(grid, 3 * qv + q0);
        a31.intoArray(grid, 3 * qv + q0 + LANES);
        a40.intoArray(grid, 4 * qv + q0);
        a41.intoArray(grid, 4 * qv + q0 + LANES);
        a50.intoArray(grid, 5 * qv + q0);
        a51.intoArray(grid, 5 * qv + q0 + LANES);
        a60.intoArray(grid, 6 * qv + q0);
        a61.intoArray(grid, 6 * qv + q0 + LANES);
        a70.intoArray(grid, 7 * qv + q0);
        a71.intoArray(grid, 7 * qv + q0 + LANES);
    }

    /** As {@link #tile8x2}, for 4 output channels. */
    private static void tile4x2(float[] xp, int x0, int[] shift, int k, float[] wt, int wBlock, int q0, float[] grid, int qv) {
        FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int r = 0; r < k; r++) {
            int xr = x0 + shift[r], wi = wBlock + r * 4;
            FloatVector v0 = FloatVector.fromArray(SPECIES, xp, xr);
            FloatVector v1 = FloatVector.fromArray(SPECIES, xp, xr + LANES);
            FloatVector v = FloatVector.broadcast(SPECIES, wt[wi]);
            a00 = v.fma(v0, a00);
            a01 = v.fma(v1, a01);
            v = FloatVector.broadcast(SPECIES, wt[wi + 1]);
            a10 = v.fma(v0, a10);
            a11 = v.fma(v1, a11);
            v = FloatVector.broadcast(SPECIES, wt[wi + 2]);
            a20 = v.fma(v0, a20);
            a21 = v.fma(v1, a21);
            v = FloatVector.broadcast(SPECIES, wt[wi + 3]);
            a30 = v.fma(v0, a30);
            a31 = v.fma(v1, a31);
        }
        a00.intoArray(grid, q0);
        a01.intoArray(grid, q0 + LANES);
        a10.intoArray(grid, qv + q0);
        a11.intoArray(grid, qv + q0 + LANES);
        a20.intoArray(grid, 2 * qv + q0);
        a21.intoArray(grid, 2 * qv + q0 + LANES);
        a30.intoArray(grid, 3 * qv + q0);
        a31.intoArray(grid, 3 * qv + q0 + LANES);
    }

    // ---------------------------------------------------------------- input gradient of two-valued weights

    /**
     * {@link TwoValuedInputGradient}'s input gradient with the vector path's loops. A task per sample frames its output
     * gradient (zeros around it as far as any tap reads), makes each group's 16 sums at every framed position (the
     * zeros give the plain path's signed-zero sums outside the plane), then, phase by phase (the inputs whose rows and
     * columns are alike modulo the stride; one phase at stride 1), runs register tiles of input channels by 2 vectors
     * of the phase's grid: phase row {@code Y} and column {@code X} at {@code Y * wp + X}, where each reaching tap's
     * sum is a fixed shift away. Each tile adds the sum its pattern picks per group and tap, in the plain path's order.
     * With a {@code sink} (then {@code dx} is null), each sample is copied out into the task's own buffer and handed
     * over from there, while it is in cache.
     */
    void twoValuedInputGradient(ConvGeometry g, float[] dy, float[] values, int[] patterns, float[] dx, SampleGradient sink,
                                Parallel par) {
        int ci = g.inChannels(), co = g.outChannels(), k = g.kernelW(), taps = k * k, s = g.stride(), phases = s * s;
        int h = g.inHeight(), w = g.inWidth(), ho = g.outHeight(), wo = g.outWidth(), step = 2 * LANES;
        int[][] reaching = new int[phases][];
        int[] rows = new int[phases], cols = new int[phases];
        // the frame's margins: the output rows and columns that the taps read beyond the plane
        int top = 0, bottom = 0, left = 0, right = 0;
        for (int phase = 0; phase < phases; phase++) {
            int py = phase / s, px = phase % s;
            reaching[phase] = TwoValuedInputGradient.phaseTaps(g, py, px);
            rows[phase] = Math.max(0, (h - py + s - 1) / s);
            cols[phase] = Math.max(0, (w - px + s - 1) / s);
            for (int t : reaching[phase]) {
                int oy = TwoValuedInputGradient.outputIndex(g, py, t / k), ox = TwoValuedInputGradient.outputIndex(g, px, t % k);
                top = Math.max(top, -oy);
                left = Math.max(left, -ox);
                bottom = Math.max(bottom, rows[phase] - 1 + oy - (ho - 1));
                right = Math.max(right, cols[phase] - 1 + ox - (wo - 1));
            }
        }
        int hp = ho + top + bottom, wp = wo + left + right, groups = TwoValuedInputGradient.groups(co);
        // a phase's grid positions, whole tile steps of them; where each reaching tap's sum lies from a grid position
        int[] qv = new int[phases], reach = new int[phases];
        int[][] shift = new int[phases][];
        for (int phase = 0; phase < phases; phase++) {
            qv[phase] = (rows[phase] * wp + step - 1) / step * step;
            shift[phase] = new int[reaching[phase].length];
            for (int j = 0; j < shift[phase].length; j++) {
                int t = reaching[phase][j];
                shift[phase][j] = (TwoValuedInputGradient.outputIndex(g, phase / s, t / k) + top) * wp
                        + TwoValuedInputGradient.outputIndex(g, phase % s, t % k) + left;
                reach[phase] = Math.max(reach[phase], shift[phase][j] + step);
            }
        }
        // a pattern's plane of sums: the framed plane, and room for the last tile's reads past it
        int readsEnd = hp * wp;
        for (int phase = 0; phase < phases; phase++) {
            readsEnd = Math.max(readsEnd, qv[phase] + reach[phase] - step);
        }
        int gridRow = java.util.Arrays.stream(qv).max().orElse(0), plane = readsEnd;
        int tableSize = groups * TwoValuedInputGradient.PATTERNS * plane, tiles = (ci + CO_TILE - 1) / CO_TILE;
        // where each input channel's (group, tap) sum starts, per phase: its pattern's plane plus the tap's shift, the
        // channels of a tile side by side for each read (one running index in the tile's loop); channels past the
        // last of a tile repeat the last one into rows that are never copied out
        int[][] offset = new int[phases][];
        for (int phase = 0; phase < phases; phase++) {
            int reached = reaching[phase].length, reads = groups * reached;
            offset[phase] = new int[tiles * CO_TILE * reads];
            for (int c = 0; c < tiles * CO_TILE; c++) {
                int pattern = Math.min(c, ci - 1) * groups * taps;
                for (int r = 0; r < reads; r++) {
                    int gr = r / reached, t = reaching[phase][r % reached];
                    offset[phase][(c / CO_TILE * reads + r) * CO_TILE + c % CO_TILE] =
                            (gr * TwoValuedInputGradient.PATTERNS + patterns[pattern + gr * taps + t]) * plane
                                    + shift[phase][r % reached];
                }
            }
        }
        // the output gradient as the input of a frame: co channels of ho x wo, framed at (top, left) in hp x wp
        ConvGeometry image = new ConvGeometry(g.batch(), co, ho, wo, 1, 1, 1, 1, 0);
        Frame f = new Frame(1, top, left, hp, wp, ho, wo, ho * wp, gridRow, plane);
        par.forRange(g.batch(), (long) tiles * CO_TILE * groups * taps * gridRow + (long) tableSize, (from, to) -> {
            float[] framed = scratch(3, co * plane), grid = scratch(4, tiles * CO_TILE * gridRow), table = scratch(5, tableSize);
            float[] out = sink == null ? dx : scratch(6, ci * h * w);
            for (int n = from; n < to; n++) {
                int sampleAt = sink == null ? n * ci * h * w : 0;
                frame(image, f, dy, n, n + 1, framed, 0, n > from);
                // the sums made just ahead of the tiles that read them, so the tiles find them in cache
                int made = 0;
                for (int phase = 0; phase < phases; phase++) {
                    int reads = groups * reaching[phase].length;
                    for (int q0 = 0; q0 < qv[phase]; q0 += step) {
                        int need = Math.min(plane, (q0 + reach[phase] + LANES - 1) / LANES * LANES);
                        if (need > made) {
                            for (int gr = 0; gr < groups; gr++) {
                                patternSums(framed, co, plane, values, gr, made, need, table);
                            }
                            made = need;
                        }
                        for (int b = 0; b < tiles; b++) {
                            if (CO_TILE == 8) {
                                sumTile8x2(table, q0, offset[phase], b * CO_TILE * reads, reads, grid, b * CO_TILE * gridRow + q0, gridRow);
                            } else {
                                sumTile4x2(table, q0, offset[phase], b * CO_TILE * reads, reads, grid, b * CO_TILE * gridRow + q0, gridRow);
                            }
                        }
                    }
                    int py = phase / s, px = phase % s;
                    for (int c = 0; c < ci; c++) {
                        int src = c * gridRow, dst = sampleAt + c * h * w;
                        for (int y = 0; y < rows[phase]; y++) {
                            int gridAt = src + y * wp, dxAt = dst + (s * y + py) * w + px;
                            if (s == 1) {
                                System.arraycopy(grid, gridAt, out, dxAt, w);
                            } else {
                                for (int x = 0; x < cols[phase]; x++) {
                                    out[dxAt + s * x] = grid[gridAt + x];
                                }
                            }
                        }
                    }
                }
                if (sink != null) {
                    sink.accept(n, out, 0);
                }
            }
        });
    }

    /**
     * Group {@code gr}'s 16 sums at framed positions {@code [from, to)} ({@code from} a multiple of the lanes) into
     * {@code table}: {@code [group][pattern][plane]}.
     */
    private static void patternSums(float[] framed, int co, int plane, float[] values, int gr, int from, int to, float[] table) {
        int o = TwoValuedInputGradient.GROUP * gr, v = 2 * o, at = gr * TwoValuedInputGradient.PATTERNS * plane;
        int d0 = o * plane, d1 = d0 + plane, d2 = d1 + plane, d3 = d2 + plane;
        boolean has1 = o + 1 < co, has2 = o + 2 < co, has3 = o + 3 < co;
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector v00 = FloatVector.broadcast(SPECIES, values[v]), v01 = FloatVector.broadcast(SPECIES, values[v + 1]);
        FloatVector v10 = FloatVector.broadcast(SPECIES, values[v + 2]), v11 = FloatVector.broadcast(SPECIES, values[v + 3]);
        FloatVector v20 = FloatVector.broadcast(SPECIES, values[v + 4]), v21 = FloatVector.broadcast(SPECIES, values[v + 5]);
        FloatVector v30 = FloatVector.broadcast(SPECIES, values[v + 6]), v31 = FloatVector.broadcast(SPECIES, values[v + 7]);
        int whole = from + (to - from) / LANES * LANES;
        for (int i = from; i < whole; i += LANES) {
            FloatVector x0 = load(framed, d0 + i);
            FloatVector x1 = has1 ? load(framed, d1 + i) : zero;
            FloatVector x2 = has2 ? load(framed, d2 + i) : zero;
            FloatVector x3 = has3 ? load(framed, d3 + i) : zero;
            FloatVector p00 = x0.mul(v00), p01 = x0.mul(v01), p10 = x1.mul(v10), p11 = x1.mul(v11);
            FloatVector p20 = x2.mul(v20), p21 = x2.mul(v21), p30 = x3.mul(v30), p31 = x3.mul(v31);
            FloatVector a0 = p00.add(p10), a1 = p01.add(p10), a2 = p00.add(p11), a3 = p01.add(p11);
            FloatVector b0 = p20.add(p30), b1 = p21.add(p30), b2 = p20.add(p31), b3 = p21.add(p31);
            int t = at + i;
            a0.add(b0).intoArray(table, t);
            a1.add(b0).intoArray(table, t + plane);
            a2.add(b0).intoArray(table, t + 2 * plane);
            a3.add(b0).intoArray(table, t + 3 * plane);
            a0.add(b1).intoArray(table, t + 4 * plane);
            a1.add(b1).intoArray(table, t + 5 * plane);
            a2.add(b1).intoArray(table, t + 6 * plane);
            a3.add(b1).intoArray(table, t + 7 * plane);
            a0.add(b2).intoArray(table, t + 8 * plane);
            a1.add(b2).intoArray(table, t + 9 * plane);
            a2.add(b2).intoArray(table, t + 10 * plane);
            a3.add(b2).intoArray(table, t + 11 * plane);
            a0.add(b3).intoArray(table, t + 12 * plane);
            a1.add(b3).intoArray(table, t + 13 * plane);
            a2.add(b3).intoArray(table, t + 14 * plane);
            a3.add(b3).intoArray(table, t + 15 * plane);
        }
        for (int i = whole; i < to; i++) {
            TwoValuedInputGradient.sums(values, gr, framed[d0 + i], has1 ? framed[d1 + i] : 0f, has2 ? framed[d2 + i] : 0f,
                    has3 ? framed[d3 + i] : 0f, table, at + i, plane);
        }
    }

    /**
     * 8 input channels by 2 vectors of grid positions from {@code q0}: each adds, over its {@code reads} (group, tap)
     * pairs in order, the sum at {@code table[offset + q0]}; the offsets of the 8 channels lie side by side for each
     * read, from {@code at}. (With each channel's offsets a row of their own, the loop kept a running index per
     * channel: general registers that the loop's address arithmetic wanted.)
     */
    private static void sumTile8x2(float[] table, int q0, int[] offset, int at, int reads, float[] grid, int gridAt, int qv) {
        FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        FloatVector a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        for (int r = at, end = at + 8 * reads; r < end; r += 8) {
            int t = q0 + offset[r];
            a00 = a00.add(load(table, t));
            a01 = a01.add(load(table, t + LANES));
            t = q0 + offset[r + 1];
            a10 = a10.add(load(table, t));
            a11 = a11.add(load(table, t + LANES));
            t = q0 + offset[r + 2];
            a20 = a20.add(load(table, t));
            a21 = a21.add(load(table, t + LANES));
            t = q0 + offset[r + 3];
            a30 = a30.add(load(table, t));
            a31 = a31.add(load(table, t + LANES));
            t = q0 + offset[r + 4];
            a40 = a40.add(load(table, t));
            a41 = a41.add(load(table, t + LANES));
            t = q0 + offset[r + 5];
            a50 = a50.add(load(table, t));
            a51 = a51.add(load(table, t + LANES));
            t = q0 + offset[r + 6];
            a60 = a60.add(load(table, t));
            a61 = a61.add(load(table, t + LANES));
            t = q0 + offset[r + 7];
            a70 = a70.add(load(table, t));
            a71 = a71.add(load(table, t + LANES));
        }
        a00.intoArray(grid, gridAt);
        a01.intoArray(grid, gridAt + LANES);
        a10.intoArray(grid, gridAt + qv);
        a11.intoArray(grid, gridAt + qv + LANES);
        a20.intoArray(grid, gridAt + 2 * qv);
        a21.intoArray(grid, gridAt + 2 * qv + LANES);
        a30.intoArray(grid, gridAt + 3 * qv);
        a31.intoArray(grid, gridAt + 3 * qv + LANES);
        a40.intoArray(grid, gridAt + 4 * qv);
        a41.intoArray(grid, gridAt + 4 * qv + LANES);
        a50.intoArray(grid, gridAt + 5 * qv);
        a51.intoArray(grid, gridAt + 5 * qv + LANES);
        a60.intoArray(grid, gridAt + 6 * qv);
        a61.intoArray(grid, gridAt + 6 * qv + LANES);
        a70.intoArray(grid, gridAt + 7 * qv);
        a71.intoArray(grid, gridAt + 7 * qv + LANES);
    }

    /** As {@link #sumTile8x2}, for 4 input channels. */
    private static void sumTile4x2(float[] table, int q0, int[] offset, int at, int reads, float[] grid, int gridAt, int qv) {
        FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int r = at, end = at + 4 * reads; r < end; r += 4) {
            int t = q0 + offset[r];
            a00 = a00.add(load(table, t));
            a01 = a01.add(load(table, t + LANES));
            t = q0 + offset[r + 1];
            a10 = a10.add(load(table, t));
            a11 = a11.add(load(table, t + LANES));
            t = q0 + offset[r + 2];
            a20 = a20.add(load(table, t));
            a21 = a21.add(load(table, t + LANES));
            t = q0 + offset[r + 3];
            a30 = a30.add(load(table, t));
            a31 = a31.add(load(table, t + LANES));
        }
        a00.intoArray(grid, gridAt);
        a01.intoArray(grid, gridAt + LANES);
        a10.intoArray(grid, gridAt + qv);
        a11.intoArray(grid, gridAt + qv + LANES);
        a20.intoArray(grid, gridAt + 2 * qv);
        a21.intoArray(grid, gridAt + 2 * qv + LANES);
        a30.intoArray(grid, gridAt + 3 * qv);
        a31.intoArray(grid, gridAt + 3 * qv + LANES);
    }

    // ---------------------------------------------------------------- weight gradient

    /** Output positions per block: a block's output gradients stay in L1 while every tap tile of the task reads them. */
    private static final int POSITION_BLOCK = 128;
    /** Floats of frames and transposed output gradients per chunk of samples (16 MiB). */
    private static final long GRADIENT_CHUNK_FLOATS = 1L << 22;

    /**
     * {@code dw[o, r] += dy[n, o, y, x] * input[n, tap r of (y, x)]} over samples {@code n}, then output positions
     * {@code (y, x)} in row-major order: one chain of fused multiply-adds per weight, starting from zero, with the
     * zeros of padded taps included, which is the chain of the plain path's matrix product over im2col rows
     * ({@code ConvolutionKernels.weightGradientByRows}); so both paths give the same bits.
     *
     * <p>Where input channels fill whole vectors they sit in the lanes ({@link #weightGradientChannelsLast}). Otherwise
     * output channels sit in the lanes: the output gradient is transposed to {@code [n][position][channel]} (a
     * position's channels gathered as one vector) and each input value is broadcast against it, so there is no im2col
     * matrix and no transpose of one. A register
     * tile holds 6 taps by 2 vectors of channels (4 taps on 16 registers; 6 taps by 1 vector where the layer has no
     * more channels than lanes); threads
     * split the taps, so each weight is summed by one thread in one order whatever the thread count.
     *
     * @param threshold null for a float input; otherwise the input is its signs, {@code +1} where
     *                  {@code x >= threshold[n]} and {@code -1} elsewhere (the binary convolution's weight gradient)
     * @param bits      null, or those signs packed ({@code [N, H, W, words(C)]}, bit set where the sign is {@code +1}):
     *                  the channels-last layout then frames each sample from its bits, with no float input read and no
     *                  comparison or transpose per value (framing from the float input took 10-20% of that kernel on
     *                  AVX2: 16@32x32 to 64@8x8, batch 256, 2 threads, every thread framing every sample); the same sums
     */
    void weightGradient(ConvGeometry g, float[] x, float[] threshold, long[] bits, float[] dy, float[] dw, Parallel par) {
        if (channelsLastGradient(g)) {
            weightGradientChannelsLast(g, x, threshold, bits, dy, dw, par);
            return;
        }
        Frame f = Frame.of(g, 1);
        int ci = g.inChannels(), co = g.outChannels(), k = ci * g.kernelH() * g.kernelW(), batch = g.batch();
        int wo = g.outWidth(), ho = g.outHeight(), p = ho * wo, image = ci * f.channel(), plane = g.inHeight() * g.inWidth();
        int vectors = co > LANES ? 2 : 1, group = vectors * LANES, groups = (co + group - 1) / group, coPad = groups * group;
        int chunk = (int) Math.max(1, Math.min(batch, GRADIENT_CHUNK_FLOATS / ((long) image + (long) p * coPad)));
        // taps (weights of one output channel) per register tile: 6 taps by 2 vectors is 12 accumulators and 3 operands
        int tapTile = vectors == 2 && FEW_REGISTERS ? 4 : 6;
        int tiles = (k + tapTile - 1) / tapTile, rowsPerBlock = Math.max(1, POSITION_BLOCK / wo);
        // the sums of whole tiles: the taps past k of the last tile repeat tap k - 1 into rows that are never read
        float[] xp = scratch(0, chunk * image), dyT = scratch(1, chunk * p * coPad), acc = scratch(2, tiles * tapTile * coPad);
        java.util.Arrays.fill(acc, 0, tiles * tapTile * coPad, 0f);
        int[] shift = java.util.Arrays.copyOf(shifts(g, f), tiles * tapTile), channelRows = new int[LANES];
        java.util.Arrays.fill(shift, k, shift.length, shift[k - 1]);
        for (int j = 0; j < LANES; j++) {
            channelRows[j] = j * p;
        }
        for (int n0 = 0; n0 < batch; n0 += chunk) {
            int first = n0, samples = Math.min(chunk, batch - n0);
            par.forRange(samples, (long) image + (long) p * co, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int n = first + i;
                    if (threshold == null) {
                        frame(g, f, x, n, n + 1, xp, i * image);
                    } else {
                        float[] signs = scratch(3, ci * plane);
                        signs(x, n * ci * plane, ci * plane, threshold[n], signs);
                        frame(g, f, signs, 0, 1, xp, i * image);
                    }
                    int rows = i * p * coPad;
                    if (coPad > co) {
                        java.util.Arrays.fill(dyT, rows, rows + p * coPad, 0f);
                    }
                    // a position's channels are a vector gathered from co rows (channels past co stay zero)
                    int whole = co - co % LANES;
                    for (int q = 0, src = n * co * p; q < p; q++) {
                        int at = rows + q * coPad;
                        for (int o = 0; o < whole; o += LANES) {
                            FloatVector.fromArray(SPECIES, dy, src + o * p + q, channelRows, 0).intoArray(dyT, at + o);
                        }
                        for (int o = whole; o < co; o++) {
                            dyT[at + o] = dy[src + o * p + q];
                        }
                    }
                }
            });
            // one run of tiles per thread: each thread streams the chunk's frames and gradients once, and every block
            // of them serves all its tiles from L1 (with several runs per thread, each would stream them again)
            par.forThreadBlocks(tiles, (long) samples * p * tapTile * coPad, (from, to) -> {
                for (int i = 0; i < samples; i++) {
                    for (int y0 = 0; y0 < ho; y0 += rowsPerBlock) {
                        int y1 = Math.min(ho, y0 + rowsPerBlock);
                        for (int t = from; t < to; t++) {
                            int r0 = t * tapTile;
                            for (int grp = 0; grp < groups; grp++) {
                                int dyAt = i * p * coPad + grp * group, accAt = r0 * coPad + grp * group;
                                if (tapTile == 4) {
                                    gradientTile4x2(xp, i * image, shift, r0, dyT, dyAt, coPad, y0, y1, wo, f.wp(), acc, accAt);
                                } else if (vectors == 2) {
                                    gradientTile6x2(xp, i * image, shift, r0, dyT, dyAt, coPad, y0, y1, wo, f.wp(), acc, accAt);
                                } else {
                                    gradientTile6x1(xp, i * image, shift, r0, dyT, dyAt, coPad, y0, y1, wo, f.wp(), acc, accAt);
                                }
                            }
                        }
                    }
                }
            });
        }
        for (int o = 0; o < co; o++) {
            for (int r = 0; r < k; r++) {
                dw[o * k + r] = acc[r * coPad + o];
            }
        }
    }

    /** {@code signs[j] = +1} where {@code x[at + j] >= t}, else {@code -1}: without branches, which random signs mispredict. */
    private static void signs(float[] x, int at, int length, float t, float[] signs) {
        FloatVector plus = FloatVector.broadcast(SPECIES, 1f), minus = FloatVector.broadcast(SPECIES, -1f);
        int j = 0;
        for (int bound = SPECIES.loopBound(length); j < bound; j += LANES) {
            minus.blend(plus, FloatVector.fromArray(SPECIES, x, at + j).compare(VectorOperators.GE, t)).intoArray(signs, j);
        }
        for (; j < length; j++) {
            signs[j] = x[at + j] >= t ? 1f : -1f;
        }
    }

    /**
     * Taps {@code r0 .. r0 + 5} by 2 vectors of output channels, over output rows {@code [y0, y1)} of one sample: the
     * sums continue from {@code acc}.
     */
    private static void gradientTile6x2(float[] xp, int img, int[] shift, int r0, float[] dyT, int dyAt, int coPad,
                                        int y0, int y1, int wo, int wp, float[] acc, int accAt) {
        int s0 = img + shift[r0], s1 = img + shift[r0 + 1], s2 = img + shift[r0 + 2];
        int s3 = img + shift[r0 + 3], s4 = img + shift[r0 + 4], s5 = img + shift[r0 + 5];
        int c0 = accAt, c1 = c0 + coPad, c2 = c1 + coPad, c3 = c2 + coPad, c4 = c3 + coPad, c5 = c4 + coPad;
        FloatVector a00 = FloatVector.fromArray(SPECIES, acc, c0), a01 = FloatVector.fromArray(SPECIES, acc, c0 + LANES);
        FloatVector a10 = FloatVector.fromArray(SPECIES, acc, c1), a11 = FloatVector.fromArray(SPECIES, acc, c1 + LANES);
        FloatVector a20 = FloatVector.fromArray(SPECIES, acc, c2), a21 = FloatVector.fromArray(SPECIES, acc, c2 + LANES);
        FloatVector a30 = FloatVector.fromArray(SPECIES, acc, c3), a31 = FloatVector.fromArray(SPECIES, acc, c3 + LANES);
        FloatVector a40 = FloatVector.fromArray(SPECIES, acc, c4), a41 = FloatVector.fromArray(SPECIES, acc, c4 + LANES);
        FloatVector a50 = FloatVector.fromArray(SPECIES, acc, c5), a51 = FloatVector.fromArray(SPECIES, acc, c5 + LANES);
        for (int y = y0; y < y1; y++) {
            for (int xx = 0, q = y * wp, d = dyAt + y * wo * coPad; xx < wo; xx++, q++, d += coPad) {
                FloatVector d0 = FloatVector.fromArray(SPECIES, dyT, d), d1 = FloatVector.fromArray(SPECIES, dyT, d + LANES);
                FloatVector v = FloatVector.broadcast(SPECIES, xp[s0 + q]);
                a00 = d0.fma(v, a00);
                a01 = d1.fma(v, a01);
                v = FloatVector.broadcast(SPECIES, xp[s1 + q]);
                a10 = d0.fma(v, a10);
                a11 = d1.fma(v, a11);
                v = FloatVector.broadcast(SPECIES, xp[s2 + q]);
                a20 = d0.fma(v, a20);
                a21 = d1.fma(v, a21);
                v = FloatVector.broadcast(SPECIES, xp[s3 + q]);
                a30 = d0.fma(v, a30);
                a31 = d1.fma(v, a31);
                v = FloatVector.broadcast(SPECIES, xp[s4 + q]);
                a40 = d0.fma(v, a40);
                a41 = d1.fma(v, a41);
                v = FloatVector.broadcast(SPECIES, xp[s5 + q]);
                a50 = d0.fma(v, a50);
                a51 = d1.fma(v, a51);
            }
        }
        a00.intoArray(acc, c0);
        a01.intoArray(acc, c0 + LANES);
        a10.intoArray(acc, c1);
        a11.intoArray(acc, c1 + LANES);
        a20.intoArray(acc, c2);
        a21.intoArray(acc, c2 + LANES);
        a30.intoArray(acc, c3);
        a31.intoArray(acc, c3 + LANES);
        a40.intoArray(acc, c4);
        a41.intoArray(acc, c4 + LANES);
        a50.intoArray(acc, c5);
        a51.intoArray(acc, c5 + LANES);
    }

    /** As {@link #gradientTile6x2}, for 4 taps. */
    private static void gradientTile4x2(float[] xp, int img, int[] shift, int r0, float[] dyT, int dyAt, int coPad,
                                        int y0, int y1, int wo, int wp, float[] acc, int accAt) {
        int s0 = img + shift[r0], s1 = img + shift[r0 + 1], s2 = img + shift[r0 + 2], s3 = img + shift[r0 + 3];
        int c0 = accAt, c1 = c0 + coPad, c2 = c1 + coPad, c3 = c2 + coPad;
        FloatVector a00 = FloatVector.fromArray(SPECIES, acc, c0), a01 = FloatVector.fromArray(SPECIES, acc, c0 + LANES);
        FloatVector a10 = FloatVector.fromArray(SPECIES, acc, c1), a11 = FloatVector.fromArray(SPECIES, acc, c1 + LANES);
        FloatVector a20 = FloatVector.fromArray(SPECIES, acc, c2), a21 = FloatVector.fromArray(SPECIES, acc, c2 + LANES);
        FloatVector a30 = FloatVector.fromArray(SPECIES, acc, c3), a31 = FloatVector.fromArray(SPECIES, acc, c3 + LANES);
        for (int y = y0; y < y1; y++) {
            for (int xx = 0, q = y * wp, d = dyAt + y * wo * coPad; xx < wo; xx++, q++, d += coPad) {
                FloatVector d0 = FloatVector.fromArray(SPECIES, dyT, d), d1 = FloatVector.fromArray(SPECIES, dyT, d + LANES);
                FloatVector v = FloatVector.broadcast(SPECIES, xp[s0 + q]);
                a00 = d0.fma(v, a00);
                a01 = d1.fma(v, a01);
                v = FloatVector.broadcast(SPECIES, xp[s1 + q]);
                a10 = d0.fma(v, a10);
                a11 = d1.fma(v, a11);
                v = FloatVector.broadcast(SPECIES, xp[s2 + q]);
                a20 = d0.fma(v, a20);
                a21 = d1.fma(v, a21);
                v = FloatVector.broadcast(SPECIES, xp[s3 + q]);
                a30 = d0.fma(v, a30);
                a31 = d1.fma(v, a31);
            }
        }
        a00.intoArray(acc, c0);
        a01.intoArray(acc, c0 + LANES);
        a10.intoArray(acc, c1);
        a11.intoArray(acc, c1 + LANES);
        a20.intoArray(acc, c2);
        a21.intoArray(acc, c2 + LANES);
        a30.intoArray(acc, c3);
        a31.intoArray(acc, c3 + LANES);
    }

    /** As {@link #gradientTile6x2}, for layers with no more output channels than lanes: one vector of channels. */
    private static void gradientTile6x1(float[] xp, int img, int[] shift, int r0, float[] dyT, int dyAt, int coPad,
                                        int y0, int y1, int wo, int wp, float[] acc, int accAt) {
        int s0 = img + shift[r0], s1 = img + shift[r0 + 1], s2 = img + shift[r0 + 2];
        int s3 = img + shift[r0 + 3], s4 = img + shift[r0 + 4], s5 = img + shift[r0 + 5];
        int c0 = accAt, c1 = c0 + coPad, c2 = c1 + coPad, c3 = c2 + coPad, c4 = c3 + coPad, c5 = c4 + coPad;
        FloatVector a0 = FloatVector.fromArray(SPECIES, acc, c0), a1 = FloatVector.fromArray(SPECIES, acc, c1);
        FloatVector a2 = FloatVector.fromArray(SPECIES, acc, c2), a3 = FloatVector.fromArray(SPECIES, acc, c3);
        FloatVector a4 = FloatVector.fromArray(SPECIES, acc, c4), a5 = FloatVector.fromArray(SPECIES, acc, c5);
        for (int y = y0; y < y1; y++) {
            for (int xx = 0, q = y * wp, d = dyAt + y * wo * coPad; xx < wo; xx++, q++, d += coPad) {
                FloatVector d0 = FloatVector.fromArray(SPECIES, dyT, d);
                a0 = d0.fma(FloatVector.broadcast(SPECIES, xp[s0 + q]), a0);
                a1 = d0.fma(FloatVector.broadcast(SPECIES, xp[s1 + q]), a1);
                a2 = d0.fma(FloatVector.broadcast(SPECIES, xp[s2 + q]), a2);
                a3 = d0.fma(FloatVector.broadcast(SPECIES, xp[s3 + q]), a3);
                a4 = d0.fma(FloatVector.broadcast(SPECIES, xp[s4 + q]), a4);
                a5 = d0.fma(FloatVector.broadcast(SPECIES, xp[s5 + q]), a5);
            }
        }
        a0.intoArray(acc, c0);
        a1.intoArray(acc, c1);
        a2.intoArray(acc, c2);
        a3.intoArray(acc, c3);
        a4.intoArray(acc, c4);
        a5.intoArray(acc, c5);
    }

    // ---------------------------------------------------------------- weight gradient, input channels in the lanes

    /** Output channels by columns of the channels-last weight-gradient tile: 24 accumulators, 8 on 16 registers. */
    private static final int GRADIENT_CO_TILE = FEW_REGISTERS ? 4 : 8, GRADIENT_COLUMNS = FEW_REGISTERS ? 2 : 3;

    /**
     * Whether {@link #weightGradient} puts input channels in the lanes: whole vectors of input channels, and output
     * channels and columns (taps times vectors of channels) that fill whole tiles.
     */
    private static boolean channelsLastGradient(ConvGeometry g) {
        int ci = g.inChannels(), columns = g.kernelH() * g.kernelW() * (ci / LANES);
        return ci % LANES == 0 && g.outChannels() % GRADIENT_CO_TILE == 0 && columns % GRADIENT_COLUMNS == 0;
    }

    /**
     * {@link #weightGradient} with input channels in the lanes: each sample is framed channels last
     * ({@code [row][column][channel]}, zero outside the image), so a tap's channels at a position are vectors, and each
     * output-gradient value is broadcast against them. A register tile is 8 output channels by 3 columns (a column is
     * a tap and a vector of input channels): per position 3 vector loads and 8 broadcasts serve 24 fused
     * multiply-adds. Each weight is still one chain over (sample, position) in order, so the bits are those of the
     * other layouts.
     *
     * <p>A tile walks each output row as one run of positions with two running indices, one into the output gradient
     * and one into the frame ({@code s} pixels along per position). With the output row, column and frame offset as
     * three induction variables the kernel took 18-23% longer (AVX2, 16@32x32 to 64@8x8, 1 thread, in one JVM): fewer
     * general registers left. Walking whole blocks of rows as one run, through the {@code wp - wo} positions past each
     * row's end against a zero gradient, gained less (0.94-1.01), for the copy of the gradient it needs.
     */
    private void weightGradientChannelsLast(ConvGeometry g, float[] x, float[] threshold, long[] bits, float[] dy,
                                            float[] dw, Parallel par) {
        int ci = g.inChannels(), co = g.outChannels(), kh = g.kernelH(), kw = g.kernelW(), taps = kh * kw, batch = g.batch();
        int h = g.inHeight(), w = g.inWidth(), pad = g.padding(), s = g.stride(), hp = h + 2 * pad, wp = w + 2 * pad;
        int ho = g.outHeight(), wo = g.outWidth(), p = ho * wo, image = hp * wp * ci, plane = h * w;
        int blocks = ci / LANES, columns = taps * blocks, accStride = columns * LANES;
        // column j: tap j / blocks, channels (j % blocks) * LANES onwards, as an offset from a position's framed pixel
        int[] column = new int[columns];
        for (int j = 0; j < columns; j++) {
            int t = j / blocks;
            column[j] = ((t / kw) * wp + t % kw) * ci + (j % blocks) * LANES;
        }
        float[] acc = scratch(2, co * accStride);
        java.util.Arrays.fill(acc, 0, co * accStride, 0f);
        int coTiles = co / GRADIENT_CO_TILE, columnTiles = columns / GRADIENT_COLUMNS, tiles = coTiles * columnTiles;
        int rowsPerBlock = Math.max(1, POSITION_BLOCK / wo), step = s * ci;
        // one run of tiles per thread, as in the other layout; every thread frames each sample itself into a buffer of
        // its own, which stays in its cache while its tiles read it (frames of a whole chunk of samples, made once and
        // shared, went through memory: 16@32x32 at batch 256, 1 thread, AVX2: 21 ms of tiles on cached frames, 27 on
        // fresh ones, for 3 ms of framing); a block of rows serves all of its tiles from L1
        par.forThreadBlocks(tiles, (long) batch * p * GRADIENT_CO_TILE * GRADIENT_COLUMNS * LANES, (from, to) -> {
            float[] xt = scratch(3, image), signs = threshold == null || bits != null ? null : scratch(4, ci * plane);
            for (int n = 0; n < batch; n++) {
                if (bits != null) {
                    frameChannelsLastFromBits(bits, n, ci, h, w, pad, xt, n > 0);
                } else if (threshold != null) {
                    signs(x, n * ci * plane, ci * plane, threshold[n], signs);
                    frameChannelsLast(signs, 0, ci, h, w, pad, xt, n > 0);
                } else {
                    frameChannelsLast(x, n * ci * plane, ci, h, w, pad, xt, n > 0);
                }
                for (int y0 = 0; y0 < ho; y0 += rowsPerBlock) {
                    int y1 = Math.min(ho, y0 + rowsPerBlock);
                    for (int t = from; t < to; t++) {
                        int o0 = t / columnTiles * GRADIENT_CO_TILE, j0 = t % columnTiles * GRADIENT_COLUMNS;
                        int accAt = o0 * accStride + j0 * LANES;
                        channelsLastTile(xt, y0 * s * wp * ci, s * wp * ci, column, j0, dy, (n * co + o0) * p + y0 * wo,
                                p, y1 - y0, wo, step, acc, accAt, accStride);
                    }
                }
            }
        });
        for (int o = 0; o < co; o++) {
            for (int c = 0; c < ci; c++) {
                for (int t = 0; t < taps; t++) {
                    dw[(o * ci + c) * taps + t] = acc[o * accStride + (t * blocks + c / LANES) * LANES + c % LANES];
                }
            }
        }
    }

    /**
     * Frames one image channels last: {@code xt[((y + pad) * wp + x + pad) * c + ch] = src[from + (ch * h + y) * w + x]},
     * in square blocks of {@code LANES} channels by {@code LANES} columns transposed in registers ({@code c} is a
     * multiple of {@code LANES} here); the columns past the last whole block one by one. {@code zeroed}: the buffer
     * already holds a frame of this shape, so its zeros are in place.
     */
    private static void frameChannelsLast(float[] src, int from, int c, int h, int w, int pad, float[] xt, boolean zeroed) {
        int wp = w + 2 * pad, plane = h * w, whole = VectorTranspose.handles(SPECIES) ? w - w % LANES : 0;
        if (!zeroed) {
            java.util.Arrays.fill(xt, 0, (h + 2 * pad) * wp * c, 0f);
        }
        for (int y = 0; y < h; y++) {
            int row = ((y + pad) * wp + pad) * c;
            for (int ch = 0; ch < c; ch += LANES) {
                int in = from + ch * plane + y * w;
                for (int x0 = 0; x0 < whole; x0 += LANES) {
                    VectorTranspose.square(SPECIES, src, in + x0, plane, xt, row + x0 * c + ch, c);
                }
            }
            for (int ch = 0; ch < c; ch++) {
                for (int xx = whole, in = from + ch * plane + y * w, out = row + whole * c + ch; xx < w; xx++, out += c) {
                    xt[out] = src[in + xx];
                }
            }
        }
    }

    private static final VectorSpecies<Integer> INT_SPECIES = VectorSpecies.of(int.class, SPECIES.vectorShape());
    /** Lane {@code j}: {@code 1 << j}, the bit of the lane's channel in the bits at a vector's first channel. */
    private static final int[] LANE_BIT = new int[LANES];
    static {
        for (int j = 0; j < LANES; j++) {
            LANE_BIT[j] = 1 << j;
        }
    }

    /**
     * Frames sample {@code n} channels last from its bits: {@code xt[((y + pad) * wp + x + pad) * c + ch]} is {@code +1}
     * where the bit of channel {@code ch} at {@code (y, x)} is set, else {@code -1}, {@code LANES} channels at a time
     * (the bits of a vector's channels lie in one word, since {@code c} is a multiple of {@code LANES} here), zero
     * outside the image. {@code zeroed}: the buffer already holds a frame of this shape.
     */
    private static void frameChannelsLastFromBits(long[] bits, int n, int c, int h, int w, int pad, float[] xt, boolean zeroed) {
        int wp = w + 2 * pad, words = (c + 63) >>> 6;
        if (!zeroed) {
            java.util.Arrays.fill(xt, 0, (h + 2 * pad) * wp * c, 0f);
        }
        IntVector laneBit = IntVector.fromArray(INT_SPECIES, LANE_BIT, 0);
        IntVector plus = IntVector.broadcast(INT_SPECIES, Float.floatToRawIntBits(1f));
        IntVector minus = IntVector.broadcast(INT_SPECIES, Float.floatToRawIntBits(-1f));
        for (int y = 0; y < h; y++) {
            for (int xx = 0, from = (n * h + y) * w * words, to = ((y + pad) * wp + pad) * c; xx < w; xx++, from += words, to += c) {
                for (int ch = 0; ch < c; ch += LANES) {
                    int lanes = (int) (bits[from + (ch >>> 6)] >>> (ch & 63));
                    VectorMask<Integer> set = IntVector.broadcast(INT_SPECIES, lanes).and(laneBit).compare(VectorOperators.NE, 0);
                    minus.blend(plus, set).reinterpretAsFloats().intoArray(xt, to + ch);
                }
            }
        }
    }

    private static FloatVector load(float[] a, int at) {
        return FloatVector.fromArray(SPECIES, a, at);
    }

    /** The register tile of {@link #weightGradientChannelsLast} for this vector width, from column {@code j0}. */
    private static void channelsLastTile(float[] xt, int at, int atRun, int[] column, int j0, float[] dy, int dyAt,
                                         int rows, int runs, int count, int step, float[] acc, int accAt, int accStride) {
        if (FEW_REGISTERS) {
            channelsLastTile4x2(xt, at, atRun, column[j0], column[j0 + 1], dy, dyAt, rows, runs, count, step, acc,
                    accAt, accStride);
        } else {
            channelsLastTile8x3(xt, at, atRun, column[j0], column[j0 + 1], column[j0 + 2], dy, dyAt, rows, runs, count,
                    step, acc, accAt, accStride);
        }
    }

    /**
     * Output channels {@code o0 .. o0 + 7} (rows of the output gradient from {@code dyAt}, {@code rows} apart) by 3
     * columns (offsets {@code c0 .. c2} into a position's framed taps), over {@code runs} output rows of {@code count}
     * positions of one sample: the output gradient runs on from {@code dyAt}, and row {@code r}'s {@code i}-th
     * position reads the frame from {@code at + r * atRun + i * step}; the sums continue from {@code acc}, where each
     * output channel's columns are a row ({@code accStride} apart).
     */
    private static void channelsLastTile8x3(float[] xt, int at, int atRun, int c0, int c1, int c2, float[] dy, int dyAt,
                                            int rows, int runs, int count, int step, float[] acc, int accAt,
                                            int accStride) {
        int r0 = accAt, r1 = r0 + accStride, r2 = r1 + accStride, r3 = r2 + accStride;
        int r4 = r3 + accStride, r5 = r4 + accStride, r6 = r5 + accStride, r7 = r6 + accStride;
        FloatVector a00 = load(acc, r0), a01 = load(acc, r0 + LANES), a02 = load(acc, r0 + 2 * LANES);
        FloatVector a10 = load(acc, r1), a11 = load(acc, r1 + LANES), a12 = load(acc, r1 + 2 * LANES);
        FloatVector a20 = load(acc, r2), a21 = load(acc, r2 + LANES), a22 = load(acc, r2 + 2 * LANES);
        FloatVector a30 = load(acc, r3), a31 = load(acc, r3 + LANES), a32 = load(acc, r3 + 2 * LANES);
        FloatVector a40 = load(acc, r4), a41 = load(acc, r4 + LANES), a42 = load(acc, r4 + 2 * LANES);
        FloatVector a50 = load(acc, r5), a51 = load(acc, r5 + LANES), a52 = load(acc, r5 + 2 * LANES);
        FloatVector a60 = load(acc, r6), a61 = load(acc, r6 + LANES), a62 = load(acc, r6 + 2 * LANES);
        FloatVector a70 = load(acc, r7), a71 = load(acc, r7 + LANES), a72 = load(acc, r7 + 2 * LANES);
        for (int r = 0, u = dyAt; r < runs; r++, at += atRun) {
            for (int end = u + count, a = at; u < end; u++, a += step) {
                FloatVector x0 = load(xt, a + c0), x1 = load(xt, a + c1), x2 = load(xt, a + c2);
                FloatVector d = FloatVector.broadcast(SPECIES, dy[u]);
                a00 = x0.fma(d, a00); a01 = x1.fma(d, a01); a02 = x2.fma(d, a02);
                d = FloatVector.broadcast(SPECIES, dy[rows + u]);
                a10 = x0.fma(d, a10); a11 = x1.fma(d, a11); a12 = x2.fma(d, a12);
                d = FloatVector.broadcast(SPECIES, dy[2 * rows + u]);
                a20 = x0.fma(d, a20); a21 = x1.fma(d, a21); a22 = x2.fma(d, a22);
                d = FloatVector.broadcast(SPECIES, dy[3 * rows + u]);
                a30 = x0.fma(d, a30); a31 = x1.fma(d, a31); a32 = x2.fma(d, a32);
                d = FloatVector.broadcast(SPECIES, dy[4 * rows + u]);
                a40 = x0.fma(d, a40); a41 = x1.fma(d, a41); a42 = x2.fma(d, a42);
                d = FloatVector.broadcast(SPECIES, dy[5 * rows + u]);
                a50 = x0.fma(d, a50); a51 = x1.fma(d, a51); a52 = x2.fma(d, a52);
                d = FloatVector.broadcast(SPECIES, dy[6 * rows + u]);
                a60 = x0.fma(d, a60); a61 = x1.fma(d, a61); a62 = x2.fma(d, a62);
                d = FloatVector.broadcast(SPECIES, dy[7 * rows + u]);
                a70 = x0.fma(d, a70); a71 = x1.fma(d, a71); a72 = x2.fma(d, a72);
            }
        }
        a00.intoArray(acc, r0); a01.intoArray(acc, r0 + LANES); a02.intoArray(acc, r0 + 2 * LANES);
        a10.intoArray(acc, r1); a11.intoArray(acc, r1 + LANES); a12.intoArray(acc, r1 + 2 * LANES);
        a20.intoArray(acc, r2); a21.intoArray(acc, r2 + LANES); a22.intoArray(acc, r2 + 2 * LANES);
        a30.intoArray(acc, r3); a31.intoArray(acc, r3 + LANES); a32.intoArray(acc, r3 + 2 * LANES);
        a40.intoArray(acc, r4); a41.intoArray(acc, r4 + LANES); a42.intoArray(acc, r4 + 2 * LANES);
        a50.intoArray(acc, r5); a51.intoArray(acc, r5 + LANES); a52.intoArray(acc, r5 + 2 * LANES);
        a60.intoArray(acc, r6); a61.intoArray(acc, r6 + LANES); a62.intoArray(acc, r6 + 2 * LANES);
        a70.intoArray(acc, r7); a71.intoArray(acc, r7 + LANES); a72.intoArray(acc, r7 + 2 * LANES);
    }

    /** As {@link #channelsLastTile8x3}, for 4 output channels by 2 columns (16 registers). */
    private static void channelsLastTile4x2(float[] xt, int at, int atRun, int c0, int c1, float[] dy, int dyAt,
                                            int rows, int runs, int count, int step, float[] acc, int accAt,
                                            int accStride) {
        int r0 = accAt, r1 = r0 + accStride, r2 = r1 + accStride, r3 = r2 + accStride;
        FloatVector a00 = load(acc, r0), a01 = load(acc, r0 + LANES);
        FloatVector a10 = load(acc, r1), a11 = load(acc, r1 + LANES);
        FloatVector a20 = load(acc, r2), a21 = load(acc, r2 + LANES);
        FloatVector a30 = load(acc, r3), a31 = load(acc, r3 + LANES);
        for (int r = 0, u = dyAt; r < runs; r++, at += atRun) {
            for (int end = u + count, a = at; u < end; u++, a += step) {
                FloatVector x0 = load(xt, a + c0), x1 = load(xt, a + c1);
                FloatVector d = FloatVector.broadcast(SPECIES, dy[u]);
                a00 = x0.fma(d, a00); a01 = x1.fma(d, a01);
                d = FloatVector.broadcast(SPECIES, dy[rows + u]);
                a10 = x0.fma(d, a10); a11 = x1.fma(d, a11);
                d = FloatVector.broadcast(SPECIES, dy[2 * rows + u]);
                a20 = x0.fma(d, a20); a21 = x1.fma(d, a21);
                d = FloatVector.broadcast(SPECIES, dy[3 * rows + u]);
                a30 = x0.fma(d, a30); a31 = x1.fma(d, a31);
            }
        }
        a00.intoArray(acc, r0); a01.intoArray(acc, r0 + LANES);
        a10.intoArray(acc, r1); a11.intoArray(acc, r1 + LANES);
        a20.intoArray(acc, r2); a21.intoArray(acc, r2 + LANES);
        a30.intoArray(acc, r3); a31.intoArray(acc, r3 + LANES);
    }
}
