package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.DType;
import io.siman.api.Kernels;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;

/**
 * What the portable step defaults share: the backend, its core kernels, and temporaries allocated per call and
 * closed with it (simple and leak-free; a backend that cares about the allocation accelerates the family).
 */
abstract class PortableSteps {
    final Backend backend;
    final Kernels k;

    PortableSteps(Backend backend) {
        this.backend = backend;
        this.k = backend.kernels();
    }

    /** The training group, or the one-line error naming the backend. */
    final TrainingKernels training() {
        return backend.kernels(TrainingKernels.class);
    }

    final Tensor temporary(Shape shape) {
        return backend.allocate(DType.FLOAT32, shape);
    }

    static int rows(Tensor t) {
        return t.shape().dim(0);
    }
}
