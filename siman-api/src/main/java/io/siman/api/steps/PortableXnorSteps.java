package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.Tensor;

/** {@link XnorSteps} on the core kernels. */
final class PortableXnorSteps extends PortableSteps implements XnorSteps {
    PortableXnorSteps(Backend backend) {
        super(backend);
    }

    @Override
    public void xnorWeights(Tensor w, Tensor s, Tensor scale) {
        k.rowAbsMean(w, scale);
        try (Tensor signs = temporary(w.shape())) {
            k.sign(w, signs);
            k.rowScale(signs, scale, s);
        }
    }

    @Override
    public void clippedStraightThrough(Tensor w, Tensor ds, Tensor scale, float limit, Tensor dw) {
        k.rowScale(ds, scale, dw);
        k.maskByMagnitude(w, limit, dw, dw);
    }
}
