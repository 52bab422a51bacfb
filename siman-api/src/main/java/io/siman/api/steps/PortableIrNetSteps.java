package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.KernelShapes;
import io.siman.api.Shape;
import io.siman.api.Tensor;

/** {@link IrNetSteps} on the core kernels, with the two element-wise formulas the core lacks done on the host. */
final class PortableIrNetSteps extends PortableSteps implements IrNetSteps {
    PortableIrNetSteps(Backend backend) {
        super(backend);
    }

    @Override
    public void irnetWeights(Tensor z, Tensor s, Tensor scale) {
        k.rowAbsMean(z, scale);
        float[] m = backend.downloadFloats(scale);
        for (int i = 0; i < m.length; i++) {
            // 2^round(log2(mean |z|)), rounding half to even as torch.round does
            m[i] = m[i] > 0 ? (float) Math.pow(2, Math.rint(Math.log(m[i]) / Math.log(2))) : 0f;
        }
        backend.write(scale, m);
        try (Tensor signs = temporary(z.shape())) {
            k.sign(z, signs);
            k.rowScale(signs, scale, s);
        }
    }

    @Override
    public void edeBackward(Tensor z, Tensor ds, Tensor scale, float t, float kFactor, Tensor dz) {
        int r = rows(z), n = z.shape().rowLength();
        KernelShapes.expect("edeBackward", "ds", ds, z.shape());
        KernelShapes.expect("edeBackward", "scale", scale, Shape.of(r));
        KernelShapes.expect("edeBackward", "dz", dz, z.shape());
        float[] a = backend.downloadFloats(z), d = backend.downloadFloats(ds), sc = backend.downloadFloats(scale);
        float[] o = new float[a.length];
        for (int i = 0; i < r; i++) {
            double alpha = sc[i];
            for (int j = i * n; j < (i + 1) * n; j++) {
                double th = Math.tanh(t * (double) a[j]);
                o[j] = (float) (d[j] * alpha * kFactor * t * (1 - th * th));
            }
        }
        backend.write(dz, o);
    }
}
