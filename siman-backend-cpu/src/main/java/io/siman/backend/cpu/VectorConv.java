package io.siman.backend.cpu;

import io.siman.api.ConvGeometry;
import jdk.incubator.vector.FloatVector;
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
 * <ul>
 *   <li>Forward: a register tile of 8 output channels by 2 vectors of positions; per input channel and tap,
 *       2 loads, 8 broadcast weights and 16 fused multiply-adds. Each output is summed over (channel, ky, kx)
 *       in that order by one task.</li>
 *   <li>Gradient of the input: the forward convolution of the output gradient (framed by {@code k - 1 - pad})
 *       with the weights transposed and turned by 180 degrees.</li>
 *   <li>Gradient of the weights: per weight, the dot product of an output gradient plane (zero at the thrown-away
 *       positions) with a shifted input plane, over all samples; a tile of 4 output channels by 4 weights per
 *       output channel, accumulated in vector lanes over a fixed chunk of samples, then added lane by lane into
 *       the result in chunk order. Each weight is computed by one task, so results do not depend on threads.</li>
 * </ul>
 */
final class VectorConv {
    private static final VectorSpecies<Float> SPECIES = VectorGemm.SPECIES;
    private static final int LANES = SPECIES.length();
    /** Output channels per forward tile. */
    private static final int CO_TILE = 8;
    /**
     * Floats of framed inputs and output gradients per chunk of the weight gradient (1.25 MiB): a tile touches only
     * a few of their rows, and longer chunks add up fewer partial sums (7x7 planes ran 20% faster than at half this).
     */
    private static final int CHUNK_FLOATS = 320 * 1024;

    /**
     * Per-thread buffers. Slots 0 to 2 belong to the calling thread for the whole call (workers read them);
     * slots 3 and 4 are a task's own (a sample's frame, a chunk's output gradient).
     */
    private final ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[5][0]);

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

    /** Whether the input gradient takes this path: it is a forward convolution only for stride 1 and a square kernel. */
    static boolean handlesInputGradient(ConvGeometry g) {
        return handles(g) && g.stride() == 1 && g.kernelH() == g.kernelW();
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

    /**
     * Copies images {@code [n0, n1)} into zero frames at {@code xp[at..]}: {@code [n][channel][plane]}; with
     * {@code threshold}, the copy holds {@code sign(x - threshold[n])} (+1 where {@code x >= threshold[n]}, else -1).
     */
    private static void frame(ConvGeometry g, Frame f, float[] x, float[] threshold, int n0, int n1, float[] xp, int at) {
        int c = g.inChannels(), h = g.inHeight(), w = g.inWidth(), s = f.stride(), wp = f.wp();
        float[] signs = threshold != null && s > 1 ? new float[w] : null;
        for (int i = n0 * c; i < n1 * c; i++) {
            int base = at + (i - n0 * c) * f.channel(), src = i * h * w;
            java.util.Arrays.fill(xp, base, base + f.channel(), 0f);
            float t = threshold == null ? 0f : threshold[i / c];
            for (int py = 0; py < s; py++) {
                for (int r = 0; r < f.hp(); r++) {
                    int iy = s * (r - f.top()) + py;
                    if (iy < 0 || iy >= h) {
                        continue;
                    }
                    int from = src + iy * w, to = base + py * s * f.plane() + r * wp + f.left();
                    if (s == 1) {
                        if (threshold == null) {
                            System.arraycopy(x, from, xp, to, w);
                        } else {
                            signs(x, from, w, t, xp, to);
                        }
                        continue;
                    }
                    float[] row = x;
                    if (signs != null) {
                        signs(x, from, w, t, signs, 0);
                        row = signs;
                        from = 0;
                    }
                    // column px + s j of the row goes to column left + j of phase px
                    for (int px = 0; px < s; px++) {
                        int count = Math.min((w - px + s - 1) / s, wp - f.left()), dst = to + px * f.plane();
                        for (int j = 0; j < count; j++) {
                            xp[dst + j] = row[from + px + s * j];
                        }
                    }
                }
            }
        }
    }

    /** {@code out[to + j] = x[from + j] >= t ? 1 : -1} for {@code j < n}, without branches (signs are random). */
    private static void signs(float[] x, int from, int n, float t, float[] out, int to) {
        int j = 0;
        for (; j + LANES <= n; j += LANES) {
            MINUS.blend(PLUS, FloatVector.fromArray(SPECIES, x, from + j).compare(VectorOperators.GE, t)).intoArray(out, to + j);
        }
        if (j < n) {
            VectorMask<Float> tail = SPECIES.indexInRange(j, n);
            MINUS.blend(PLUS, FloatVector.fromArray(SPECIES, x, from + j, tail).compare(VectorOperators.GE, t)).intoArray(out, to + j, tail);
        }
    }

    private static final FloatVector PLUS = FloatVector.broadcast(SPECIES, 1f), MINUS = FloatVector.broadcast(SPECIES, -1f);

    /** Copies the output gradients of images {@code [n0, n1)} onto grids at {@code dyg[at..]}, zero at thrown-away positions. */
    private static void grid(ConvGeometry g, Frame f, float[] dy, int n0, int n1, float[] dyg, int at) {
        int co = g.outChannels(), qv = f.qv();
        for (int i = n0 * co; i < n1 * co; i++) {
            int base = at + (i - n0 * co) * qv;
            java.util.Arrays.fill(dyg, base, base + qv, 0f);
            for (int yy = 0; yy < f.ho(); yy++) {
                System.arraycopy(dy, (i * f.ho() + yy) * f.wo(), dyg, base + yy * f.wp(), f.wo());
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
                    frame(g, f, x, null, n, n + 1, xp, 0);
                    for (int b = 0; b < blocks; b++) {
                        block(g, f, xp, 0, shift, k, wt, b, grid, y, n);
                    }
                }
            });
            return;
        }
        // few samples: a task per (sample, block of output channels), over frames made first
        float[] xp = scratch(0, batch * image);
        par.forRange(batch, image, (from, to) -> frame(g, f, x, null, from, to, xp, from * image));
        par.forRange(batch * blocks, cost, (from, to) -> {
            float[] grid = scratch(4, CO_TILE * f.qv());
            for (int item = from; item < to; item++) {
                int n = item / blocks;
                block(g, f, xp, n * image, shift, k, wt, item % blocks, grid, y, n);
            }
        });
    }

    /** One sample's outputs for one block of 8 output channels, from its frame at {@code xp[xImg..]}. */
    private static void block(ConvGeometry g, Frame f, float[] xp, int xImg, int[] shift, int k, float[] wt, int b, float[] grid,
                              float[] y, int n) {
        int co = g.outChannels();
        for (int q0 = 0; q0 < f.qv(); q0 += 2 * LANES) {
            tile8x2(xp, xImg + q0, shift, k, wt, b * k * CO_TILE, q0, grid, f.qv());
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

    // ---------------------------------------------------------------- gradient of the input

    /** {@code dx} of {@code y = conv(x, w)} for stride 1: the forward convolution of {@code dy} with the turned weights. */
    void backwardData(ConvGeometry g, float[] dy, float[] w, float[] dx, Parallel par) {
        int ci = g.inChannels(), co = g.outChannels(), kh = g.kernelH(), kw = g.kernelW();
        ConvGeometry t = new ConvGeometry(g.batch(), co, g.outHeight(), g.outWidth(), ci, kh, kw, 1, kh - 1 - g.padding());
        if (kh != kw || t.outHeight() != g.inHeight() || t.outWidth() != g.inWidth()) {
            throw new IllegalStateException("stride-1 input gradient needs a square kernel: " + g);
        }
        float[] turned = scratch(2, ci * co * kh * kw);
        for (int o = 0; o < co; o++) {
            for (int c = 0; c < ci; c++) {
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) {
                        turned[((c * co + o) * kh + (kh - 1 - ky)) * kw + (kw - 1 - kx)] = w[((o * ci + c) * kh + ky) * kw + kx];
                    }
                }
            }
        }
        forward(t, dy, turned, dx, par);
    }

    // ---------------------------------------------------------------- gradient of the weights

    /** {@code dw[co, ci, kh, kw]} of {@code y = conv(x, w)} for stride 1, summed over the batch. */
    void backwardWeights(ConvGeometry g, float[] x, float[] dy, float[] dw, Parallel par) {
        backwardWeights(g, x, null, dy, dw, par);
    }

    /**
     * {@code dw} of {@code y = conv(sign(x - threshold[n]), w)} for stride 1: the signs are written straight into
     * the frame, so no float copy of them is kept between the forward and the backward pass.
     */
    void backwardWeightsOfSigns(ConvGeometry g, float[] x, float[] threshold, float[] dy, float[] dw, Parallel par) {
        backwardWeights(g, x, threshold, dy, dw, par);
    }

    private void backwardWeights(ConvGeometry g, float[] x, float[] threshold, float[] dy, float[] dw, Parallel par) {
        Frame f = Frame.of(g, LANES);
        int ci = g.inChannels(), co = g.outChannels(), kh = g.kernelH(), kw = g.kernelW(), taps = kh * kw, k = ci * taps;
        int batch = g.batch(), qv = f.qv(), image = ci * f.channel(), outImage = co * qv, weights = co * k;
        int[] shift = shifts(g, f);
        // a task per chunk of samples: it frames the chunk's inputs and output gradients (kept in the core's cache),
        // sums every weight over the chunk into the chunk's partial gradient; the partials are then added in chunk
        // order, so the result does not depend on how chunks were spread over threads
        int chunk = Math.max(1, Math.min(batch, CHUNK_FLOATS / (image + outImage)));
        int chunks = (batch + chunk - 1) / chunk;
        int coTiles = (co + 3) / 4, kTiles = (k + 3) / 4;
        float[] partial = scratch(2, chunks * weights);
        par.forRange(chunks, (long) chunk * qv * weights, (from, to) -> {
            float[] xp = scratch(3, chunk * image), dyg = scratch(4, chunk * outImage);
            float[] lanesOut = new float[16 * LANES], sums = new float[16];
            int[] rows = new int[8];
            for (int c = from; c < to; c++) {
                int n0 = c * chunk, n1 = Math.min(batch, n0 + chunk), at = c * weights;
                frame(g, f, x, threshold, n0, n1, xp, 0);
                grid(g, f, dy, n0, n1, dyg, 0);
                for (int tile = 0; tile < coTiles * kTiles; tile++) {
                    int o0 = (tile / kTiles) * 4, r0 = (tile % kTiles) * 4;
                    int on = Math.min(4, co - o0), rn = Math.min(4, k - r0);
                    // an edge tile repeats its last channel or weight; only the real ones are kept
                    for (int j = 0; j < 4; j++) {
                        rows[j] = Math.min(o0 + j, co - 1) * qv;
                        rows[4 + j] = shift[Math.min(r0 + j, k - 1)];
                    }
                    tile4x4(xp, dyg, image, outImage, qv, rows, 0, n1 - n0, sums, lanesOut);
                    for (int a = 0; a < on; a++) {
                        for (int r = 0; r < rn; r++) {
                            partial[at + (o0 + a) * k + r0 + r] = sums[a * 4 + r];
                        }
                    }
                }
            }
        });
        par.forRange(weights, chunks, (from, to) -> {
            for (int i = from; i < to; i++) {
                float s = 0f;
                for (int c = 0; c < chunks; c++) {
                    s += partial[c * weights + i];
                }
                dw[i] = s;
            }
        });
    }

    /**
     * {@code sums[i]} = the lanes of accumulator {@code i}, stored at {@code lanes[i * LANES..]}, added first to last
     * (a fixed order, unlike {@code reduceLanes}). Kernels store their accumulators themselves: a helper taking a
     * vector argument may be compiled with the vector boxed, which costs far more than the work.
     */
    private static void sumLanes(float[] lanes, int count, float[] sums) {
        // lane by lane across the accumulators: the same order per sum, but independent chains the core overlaps
        java.util.Arrays.fill(sums, 0, count, 0f);
        for (int l = 0; l < LANES; l++) {
            for (int i = 0; i < count; i++) {
                sums[i] += lanes[i * LANES + l];
            }
        }
    }

    /**
     * 4 output channels by 4 weights, over samples {@code [n0, n1)}: {@code sums[a * 4 + r]}; {@code rows} holds the
     * channels' offsets in a sample's output gradient grid, then the weights' shifts in a framed input.
     */
    private static void tile4x4(float[] xp, float[] dyg, int xImg, int dyImg, int qv, int[] rows, int n0, int n1,
                                float[] sums, float[] lanesOut) {
        int o0 = rows[0], o1 = rows[1], o2 = rows[2], o3 = rows[3], r0 = rows[4], r1 = rows[5], r2 = rows[6], r3 = rows[7];
        FloatVector s00 = FloatVector.zero(SPECIES), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int n = n0; n < n1; n++) {
            int d = n * dyImg, x = n * xImg, x0 = x + r0, x1 = x + r1, x2 = x + r2, x3 = x + r3;
            for (int q = 0; q < qv; q += LANES) {
                FloatVector d0 = FloatVector.fromArray(SPECIES, dyg, d + o0 + q), d1 = FloatVector.fromArray(SPECIES, dyg, d + o1 + q);
                FloatVector d2 = FloatVector.fromArray(SPECIES, dyg, d + o2 + q), d3 = FloatVector.fromArray(SPECIES, dyg, d + o3 + q);
                FloatVector v = FloatVector.fromArray(SPECIES, xp, x0 + q);
                s00 = d0.fma(v, s00);
                s10 = d1.fma(v, s10);
                s20 = d2.fma(v, s20);
                s30 = d3.fma(v, s30);
                v = FloatVector.fromArray(SPECIES, xp, x1 + q);
                s01 = d0.fma(v, s01);
                s11 = d1.fma(v, s11);
                s21 = d2.fma(v, s21);
                s31 = d3.fma(v, s31);
                v = FloatVector.fromArray(SPECIES, xp, x2 + q);
                s02 = d0.fma(v, s02);
                s12 = d1.fma(v, s12);
                s22 = d2.fma(v, s22);
                s32 = d3.fma(v, s32);
                v = FloatVector.fromArray(SPECIES, xp, x3 + q);
                s03 = d0.fma(v, s03);
                s13 = d1.fma(v, s13);
                s23 = d2.fma(v, s23);
                s33 = d3.fma(v, s33);
            }
        }
        s00.intoArray(lanesOut, 0 * LANES);
        s01.intoArray(lanesOut, 1 * LANES);
        s02.intoArray(lanesOut, 2 * LANES);
        s03.intoArray(lanesOut, 3 * LANES);
        s10.intoArray(lanesOut, 4 * LANES);
        s11.intoArray(lanesOut, 5 * LANES);
        s12.intoArray(lanesOut, 6 * LANES);
        s13.intoArray(lanesOut, 7 * LANES);
        s20.intoArray(lanesOut, 8 * LANES);
        s21.intoArray(lanesOut, 9 * LANES);
        s22.intoArray(lanesOut, 10 * LANES);
        s23.intoArray(lanesOut, 11 * LANES);
        s30.intoArray(lanesOut, 12 * LANES);
        s31.intoArray(lanesOut, 13 * LANES);
        s32.intoArray(lanesOut, 14 * LANES);
        s33.intoArray(lanesOut, 15 * LANES);
        sumLanes(lanesOut, 16, sums);
    }
}
