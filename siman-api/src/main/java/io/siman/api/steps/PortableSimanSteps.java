package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.Encoding;
import io.siman.api.KernelShapes;
import io.siman.api.Shape;
import io.siman.api.SimanException;
import io.siman.api.Tensor;

import java.util.Arrays;

/** {@link SimanSteps} on the core kernels. */
final class PortableSimanSteps extends PortableSteps implements SimanSteps {
    PortableSimanSteps(Backend backend) {
        super(backend);
    }

    @Override
    public void simanClip(Tensor w, float percent) {
        if (!(percent >= 0f && percent <= 50f)) {
            throw new SimanException("simanClip: percent must be in [0, 50], got " + percent);
        }
        try (Tensor mean = temporary(Shape.of(rows(w)))) {
            k.rowMean(w, mean);
            k.rowSubtract(w, mean, w);
        }
        if (percent == 0f) {
            return;
        }
        try (Tensor bounds = temporary(Shape.of(2))) {
            k.magnitudePercentiles(w, percent, 100f - percent, bounds);
            k.clampMagnitudes(w, bounds, w);
        }
    }

    @Override
    public void topHalfBits(Tensor z, Encoding encoding, Tensor s) {
        KernelShapes.expect("topHalfBits", "s", s, z.shape());
        int[] half = new int[rows(z)];
        Arrays.fill(half, z.shape().rowLength() / 2);
        try (Tensor counts = backend.upload(half, Shape.of(half.length))) {
            k.topMagnitudes(z, counts, 1f, encoding == Encoding.PM1 ? -1f : 0f, s);
        }
    }
}
