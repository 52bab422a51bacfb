package io.siman.backend.cpu;

import io.siman.api.KernelShapes;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.Tensor;

import static io.siman.api.KernelShapes.channels;
import static io.siman.api.KernelShapes.expect;
import static io.siman.api.KernelShapes.plane;

/** Per-channel and per-row scales and batch normalization. */
final class ChannelKernels extends CpuKernelFamily {
    /** The reductions of this path (fixed summation order on every path). */
    private final Reductions red;
    private final Pointwise pointwise;

    ChannelKernels(CpuBackend backend, Parallel par, Reductions red, Pointwise pointwise) {
        super(backend, par);
        this.red = red;
        this.pointwise = pointwise;
    }

    public void channelScale(Tensor x, Tensor scale, Tensor y) {
        int c = channels("channelScale", x);
        expect("channelScale", "scale", scale, Shape.of(c));
        expect("channelScale", "y", y, x.shape());
        float[] xa = f(x), s = f(scale), ya = f(y);
        int hw = plane(x);
        par.forRange(x.shape().dim(0) * c, hw, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                float sc = s[nc % c];
                int o = nc * hw;
                for (int i = 0; i < hw; i++) {
                    ya[o + i] = xa[o + i] * sc;
                }
            }
        });
    }

    public void channelAffine(Tensor x, Tensor scale, Tensor bias, Tensor y) {
        int c = KernelShapes.channelAffine(x, scale, bias, y);
        float[] xa = f(x), s = f(scale), b = f(bias), ya = f(y);
        int hw = plane(x);
        par.forRange(x.shape().dim(0) * c, hw, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                float sc = s[nc % c], bi = b[nc % c];
                int o = nc * hw;
                for (int i = 0; i < hw; i++) {
                    ya[o + i] = Math.fma(xa[o + i], sc, bi);
                }
            }
        });
    }

    public void rowScale(Tensor x, Tensor scale, Tensor y) {
        int r = KernelShapes.rowScale(x, scale, y), n = x.shape().rowLength();
        float[] xa = f(x), s = f(scale), ya = f(y);
        par.forRange(r, n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float sc = s[i];
                for (int j = i * n; j < (i + 1) * n; j++) {
                    ya[j] = xa[j] * sc;
                }
            }
        });
    }

    public void rowScaleBackward(Tensor x, Tensor dy, Tensor dscale) {
        int r = KernelShapes.rowScaleBackward(x, dy, dscale), n = x.shape().rowLength();
        float[] xa = f(x), d = f(dy), ds = f(dscale);
        par.forRange(r, n, (from, to) -> {
            for (int i = from; i < to; i++) {
                ds[i] = (float) red.dot(xa, i * n, d, i * n, n);
            }
        });
    }

    public void channelScaleBackward(Tensor x, Tensor scale, Tensor dy, Tensor dx, Tensor dscale) {
        int c = KernelShapes.channelScaleBackward(x, scale, dy, dscale);
        float[] xa = f(x), s = f(scale), dya = f(dy), ds = f(dscale);
        float[] dxa = dx == null ? null : f(dx);
        if (dx != null) {
            expect("channelScaleBackward", "dx", dx, x.shape());
        }
        int n = x.shape().dim(0), hw = plane(x);
        par.forRange(c, (long) n * hw, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double acc = 0;
                float sc = s[ch];
                for (int i = 0; i < n; i++) {
                    int o = (i * c + ch) * hw;
                    acc += red.dot(dya, o, xa, o, hw);
                    if (dxa != null) {
                        for (int j = 0; j < hw; j++) {
                            dxa[o + j] = dya[o + j] * sc;
                        }
                    }
                }
                ds[ch] = (float) acc;
            }
        });
    }

    public void batchNormTraining(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                  float momentum, float eps, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        batchNormTraining("batchNormTraining", x, gamma, beta, runningMean, runningVar, momentum, eps, null, null, null, y,
                saveMean, saveInvStd);
    }

    /** {@code ResidualTrainingSteps}: the batch norm's planes go straight through the residual add and the PReLU. */
    public void batchNormAddPrelu(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float momentum,
                                  float eps, Tensor residual, Tensor slope, Tensor sum, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        String op = "batchNormAddPrelu";
        expect(op, "residual", residual, x.shape());
        expect(op, "sum", sum, x.shape());
        expect(op, "slope", slope, Shape.of(channels(op, x)));
        batchNormTraining(op, x, gamma, beta, runningMean, runningVar, momentum, eps, residual, slope, sum, y, saveMean, saveInvStd);
    }

    /** Batch norm's training pass; with a residual, each normalized value is added to it and then goes through PReLU. */
    private void batchNormTraining(String op, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                   float momentum, float eps, Tensor residual, Tensor slope, Tensor sum, Tensor y,
                                   Tensor saveMean, Tensor saveInvStd) {
        int c = KernelShapes.batchNormForward(op, x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd);
        int n = x.shape().dim(0), hw = plane(x);
        long count = (long) n * hw;
        if (count < 2) {
            throw new ShapeMismatchException(op + ": needs more than one value per channel, got input " + x.shape());
        }
        float[] xa = f(x), g = f(gamma), b = f(beta), rm = f(runningMean), rv = f(runningVar), ya = f(y),
                sm = f(saveMean), si = f(saveInvStd);
        float[] ra = residual == null ? null : f(residual), sl = residual == null ? null : f(slope),
                sa = residual == null ? null : f(sum);
        par.forRange(c, count * 3, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double total = red.sumPlanes(xa, ch * hw, c * hw, n, hw);
                double mean = total / count;
                double sq = red.squaresPlanes(xa, ch * hw, c * hw, n, hw, mean);
                double biased = sq / count;
                double inv = 1.0 / Math.sqrt(biased + eps);
                float scale = (float) (g[ch] * inv);
                float shift = (float) (b[ch] - mean * g[ch] * inv);
                for (int i = 0; i < n; i++) {
                    int o = (i * c + ch) * hw;
                    if (ra == null) {
                        for (int j = 0; j < hw; j++) {
                            ya[o + j] = Math.fma(xa[o + j], scale, shift);
                        }
                    } else {
                        pointwise.normalizeAddPrelu(xa, ra, o, hw, scale, shift, sl[ch], sa, ya);
                    }
                }
                sm[ch] = (float) mean;
                si[ch] = (float) inv;
                rm[ch] = (float) ((1 - momentum) * rm[ch] + momentum * mean);
                rv[ch] = (float) ((1 - momentum) * rv[ch] + momentum * sq / (count - 1));
            }
        });
    }

    public void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                   float eps, Tensor y) {
        int c = KernelShapes.batchNormForward("batchNormInference", x, y, gamma, beta, runningMean, runningVar);
        float[] xa = f(x), g = f(gamma), b = f(beta), rm = f(runningMean), rv = f(runningVar), ya = f(y);
        int hw = plane(x);
        par.forRange(x.shape().dim(0) * c, hw, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int ch = nc % c;
                double inv = 1.0 / Math.sqrt((double) rv[ch] + eps);
                float scale = (float) (g[ch] * inv);
                float shift = (float) (b[ch] - rm[ch] * g[ch] * inv);
                int o = nc * hw;
                for (int j = 0; j < hw; j++) {
                    ya[o + j] = Math.fma(xa[o + j], scale, shift);
                }
            }
        });
    }

    public void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta) {
        int c = KernelShapes.batchNormBackward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        int n = x.shape().dim(0), hw = plane(x);
        long count = (long) n * hw;
        float[] xa = f(x), dya = f(dy), g = f(gamma), sm = f(saveMean), si = f(saveInvStd), dxa = f(dx),
                dg = f(dgamma), db = f(dbeta);
        par.forRange(c, count * 3, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double mean = sm[ch], inv = si[ch];
                double sumDy = red.sumPlanes(dya, ch * hw, c * hw, n, hw);
                double sumDyCentred = red.dotCentredPlanes(dya, xa, ch * hw, c * hw, n, hw, mean);
                double sumDyXhat = sumDyCentred * inv;
                dg[ch] = (float) sumDyXhat;
                db[ch] = (float) sumDy;
                // dx = k * (dy - mean(dy) - xhat * mean(dy * xhat)) = a * dy + b * x + c, per channel
                double k = g[ch] * inv;
                double meanDy = sumDy / count, meanDyXhat = sumDyXhat / count;
                float a = (float) k, bx = (float) (-k * inv * meanDyXhat), c0 = (float) (-k * meanDy + k * inv * meanDyXhat * mean);
                for (int i = 0; i < n; i++) {
                    int o = (i * c + ch) * hw;
                    for (int j = 0; j < hw; j++) {
                        dxa[o + j] = Math.fma(a, dya[o + j], Math.fma(bx, xa[o + j], c0));
                    }
                }
            }
        });
    }
}
