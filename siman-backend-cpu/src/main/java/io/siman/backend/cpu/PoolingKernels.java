package io.siman.backend.cpu;

import io.siman.api.KernelShapes;
import io.siman.api.PoolGeometry;
import io.siman.api.SimanException;
import io.siman.api.Tensor;

import java.util.Arrays;

import static io.siman.api.KernelShapes.channels;
import static io.siman.api.KernelShapes.expect;
import static io.siman.api.KernelShapes.plane;

/** Max and average pooling and the option-A shortcut (a strided copy). */
final class PoolingKernels extends CpuKernelFamily {
    private final Pointwise pointwise;

    PoolingKernels(CpuBackend backend, Parallel par, Pointwise pointwise) {
        super(backend, par);
        this.pointwise = pointwise;
    }

    public void maxPool2d(PoolGeometry g, Tensor x, Tensor y, Tensor argmax) {
        expect("maxPool2d", "x", x, g.inputShape());
        expect("maxPool2d", "y", y, g.outputShape());
        expect("maxPool2d", "argmax", argmax, g.outputShape());
        float[] xa = f(x), ya = f(y);
        int[] am = ints(argmax);
        int h = g.inHeight(), w = g.inWidth(), ho = g.outHeight(), wo = g.outWidth(), k = g.kernel();
        if (k == 2 && g.stride() == 2 && g.padding() == 0 && ho * 2 <= h && wo * 2 <= w) {
            maxPool2x2(g, xa, ya, am);
            return;
        }
        par.forRange(g.batch() * g.channels(), (long) ho * wo * k * k, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int in = nc * h * w, out = nc * ho * wo;
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        float best = Float.NEGATIVE_INFINITY;
                        int bestAt = -1;
                        for (int ky = 0; ky < k; ky++) {
                            int iy = oy * g.stride() - g.padding() + ky;
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            for (int kx = 0; kx < k; kx++) {
                                int ix = ox * g.stride() - g.padding() + kx;
                                if (ix < 0 || ix >= w) {
                                    continue;
                                }
                                float v = xa[in + iy * w + ix];
                                if (bestAt < 0 || v > best || Float.isNaN(v) && !Float.isNaN(best)) {
                                    best = v;
                                    bestAt = iy * w + ix;
                                }
                            }
                        }
                        ya[out + oy * wo + ox] = best;
                        am[out + oy * wo + ox] = bestAt;
                    }
                }
            }
        });
    }

    /**
     * The 2x2, stride-2 window of VGG and most CNNs without the general loop's bounds tests and branches on the data
     * ({@link Pointwise#maxPool2x2Plane}): the same results as the general loop, the first maximum or the first NaN.
     */
    private void maxPool2x2(PoolGeometry g, float[] xa, float[] ya, int[] am) {
        int h = g.inHeight(), w = g.inWidth(), ho = g.outHeight(), wo = g.outWidth();
        par.forRange(g.batch() * g.channels(), (long) ho * wo * 4, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                pointwise.maxPool2x2Plane(xa, nc * h * w, w, ho, wo, ya, nc * ho * wo, am);
            }
        });
    }

    public void maxPool2dBackward(PoolGeometry g, Tensor dy, Tensor argmax, Tensor dx) {
        expect("maxPool2dBackward", "dy", dy, g.outputShape());
        expect("maxPool2dBackward", "argmax", argmax, g.outputShape());
        expect("maxPool2dBackward", "dx", dx, g.inputShape());
        float[] d = f(dy), o = f(dx);
        int[] am = ints(argmax);
        int hw = g.inHeight() * g.inWidth(), ohw = g.outHeight() * g.outWidth();
        par.forRange(g.batch() * g.channels(), hw + ohw, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                Arrays.fill(o, nc * hw, (nc + 1) * hw, 0f);
                for (int j = 0; j < ohw; j++) {
                    int at = am[nc * ohw + j];
                    if (at < 0 || at >= hw) {
                        throw new SimanException("maxPool2dBackward: argmax " + at + " outside the input plane of " + hw);
                    }
                    o[nc * hw + at] += d[nc * ohw + j];
                }
            }
        });
    }

    public void avgPool2d(PoolGeometry g, Tensor x, Tensor y) {
        expect("avgPool2d", "x", x, g.inputShape());
        expect("avgPool2d", "y", y, g.outputShape());
        float[] xa = f(x), ya = f(y);
        int h = g.inHeight(), w = g.inWidth(), ho = g.outHeight(), wo = g.outWidth(), k = g.kernel();
        double area = (double) k * k;
        par.forRange(g.batch() * g.channels(), (long) ho * wo * k * k, (from, to) -> {
            // four planes side by side: four independent chains of additions (one chain is bound by the latency of
            // an addition, a global 8x8 pool by 64 of them); each output's own sum keeps its order. A last group
            // short of planes repeats its last one, and keeps only its real outputs.
            int plane = h * w, outPlane = ho * wo;
            for (int nc = from; nc < to; nc += 4) {
                int m = Math.min(4, to - nc), in = nc * plane, out = nc * outPlane;
                int d1 = Math.min(1, m - 1) * plane, d2 = Math.min(2, m - 1) * plane, d3 = Math.min(3, m - 1) * plane;
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                        for (int ky = 0; ky < k; ky++) {
                            int iy = oy * g.stride() - g.padding() + ky;
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            for (int kx = 0; kx < k; kx++) {
                                int ix = ox * g.stride() - g.padding() + kx;
                                if (ix >= 0 && ix < w) {
                                    int at = in + iy * w + ix;
                                    s0 += xa[at];
                                    s1 += xa[at + d1];
                                    s2 += xa[at + d2];
                                    s3 += xa[at + d3];
                                }
                            }
                        }
                        int o = out + oy * wo + ox;
                        ya[o] = (float) (s0 / area);
                        if (m > 1) {
                            ya[o + outPlane] = (float) (s1 / area);
                        }
                        if (m > 2) {
                            ya[o + 2 * outPlane] = (float) (s2 / area);
                        }
                        if (m > 3) {
                            ya[o + 3 * outPlane] = (float) (s3 / area);
                        }
                    }
                }
            }
        });
    }

    public void avgPool2dBackward(PoolGeometry g, Tensor dy, Tensor dx) {
        expect("avgPool2dBackward", "dy", dy, g.outputShape());
        expect("avgPool2dBackward", "dx", dx, g.inputShape());
        float[] d = f(dy), o = f(dx);
        int h = g.inHeight(), w = g.inWidth(), ho = g.outHeight(), wo = g.outWidth(), k = g.kernel();
        float inv = (float) (1.0 / ((double) k * k));
        par.forRange(g.batch() * g.channels(), (long) ho * wo * k * k, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int in = nc * h * w, out = nc * ho * wo;
                Arrays.fill(o, in, in + h * w, 0f);
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        float v = d[out + oy * wo + ox] * inv;
                        for (int ky = 0; ky < k; ky++) {
                            int iy = oy * g.stride() - g.padding() + ky;
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            for (int kx = 0; kx < k; kx++) {
                                int ix = ox * g.stride() - g.padding() + kx;
                                if (ix >= 0 && ix < w) {
                                    o[in + iy * w + ix] += v;
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    public void shortcutA(Tensor x, Tensor y) {
        int pad = KernelShapes.shortcutPadding("shortcutA", x.shape(), y.shape());
        float[] xa = f(x), ya = f(y);
        int n = x.shape().dim(0), c = x.shape().dim(1), h = x.shape().dim(2), w = x.shape().dim(3);
        int cy = y.shape().dim(1), ho = y.shape().dim(2), wo = y.shape().dim(3);
        par.forRange(n * cy, (long) ho * wo, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int i = nc / cy, ch = nc % cy - pad;
                int out = nc * ho * wo;
                if (ch < 0 || ch >= c) {
                    Arrays.fill(ya, out, out + ho * wo, 0f);
                    continue;
                }
                int in = (i * c + ch) * h * w;
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        ya[out + oy * wo + ox] = xa[in + 2 * oy * w + 2 * ox];
                    }
                }
            }
        });
    }

    public void shortcutABackward(Tensor dy, Tensor dx) {
        int pad = KernelShapes.shortcutPadding("shortcutABackward", dx.shape(), dy.shape());
        float[] d = f(dy), o = f(dx);
        int n = dx.shape().dim(0), c = dx.shape().dim(1), h = dx.shape().dim(2), w = dx.shape().dim(3);
        int cy = dy.shape().dim(1), ho = dy.shape().dim(2), wo = dy.shape().dim(3);
        par.forRange(n * c, (long) h * w, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int i = nc / c, ch = nc % c;
                int in = nc * h * w, out = (i * cy + ch + pad) * ho * wo;
                Arrays.fill(o, in, in + h * w, 0f);
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        o[in + 2 * oy * w + 2 * ox] = d[out + oy * wo + ox];
                    }
                }
            }
        });
    }
}
