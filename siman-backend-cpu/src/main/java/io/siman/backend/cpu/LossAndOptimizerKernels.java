package io.siman.backend.cpu;

import io.siman.api.KernelShapes;
import io.siman.api.SimanException;
import io.siman.api.Tensor;

import static io.siman.api.KernelShapes.expectSize;

/** The softmax cross-entropy and the SGD step. */
final class LossAndOptimizerKernels extends CpuKernelFamily {
    LossAndOptimizerKernels(CpuBackend backend, Parallel par) {
        super(backend, par);
    }

    public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor losses) {
        String op = "softmaxCrossEntropy";
        KernelShapes.softmaxCrossEntropy(logits, labels, probs, losses);
        int n = logits.shape().dim(0), k = logits.shape().dim(1);
        float[] z = f(logits), p = f(probs), l = f(losses);
        int[] y = ints(labels);
        par.forRange(n, k * 4L, (from, to) -> {
            for (int i = from; i < to; i++) {
                int label = y[i];
                if (label < 0 || label >= k) {
                    throw new SimanException(op + ": label " + label + " of sample " + i + " is outside [0, " + k + ")");
                }
                int o = i * k;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < k; j++) {
                    max = Math.max(max, z[o + j]);
                }
                double sum = 0;
                for (int j = 0; j < k; j++) {
                    sum += Math.exp(z[o + j] - max);
                }
                double logSum = Math.log(sum);
                for (int j = 0; j < k; j++) {
                    p[o + j] = (float) Math.exp(z[o + j] - max - logSum);
                }
                l[i] = (float) (logSum - (z[o + label] - max));
            }
        });
    }

    public void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, float scale, Tensor dlogits) {
        String op = "softmaxCrossEntropyBackward";
        KernelShapes.softmaxCrossEntropyBackward(probs, labels, dlogits);
        int n = probs.shape().dim(0), k = probs.shape().rowLength();
        float[] p = f(probs), d = f(dlogits);
        int[] y = ints(labels);
        for (int i = 0; i < n; i++) {
            if (y[i] < 0 || y[i] >= k) {
                throw new SimanException(op + ": label " + y[i] + " of sample " + i + " is outside [0, " + k + ")");
            }
            for (int j = 0; j < k; j++) {
                d[i * k + j] = scale * (p[i * k + j] - (j == y[i] ? 1f : 0f));
            }
        }
    }

    public void sgdStep(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay) {
        float[] p = f(param), g = f(grad), v = f(velocity);
        expectSize("sgdStep", "grad", grad, p.length);
        expectSize("sgdStep", "velocity", velocity, p.length);
        par.forRange(p.length, 2, (from, to) -> {
            for (int i = from; i < to; i++) {
                float d = Math.fma(weightDecay, p[i], g[i]);
                float vel = Math.fma(momentum, v[i], d);
                v[i] = vel;
                p[i] = Math.fma(-lr, vel, p[i]);
            }
        });
    }
}
