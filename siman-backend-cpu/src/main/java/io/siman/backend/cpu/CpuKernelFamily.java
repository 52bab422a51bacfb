package io.siman.backend.cpu;

import io.siman.api.DType;
import io.siman.api.Tensor;

/**
 * What every kernel family of the CPU backend shares: the backend whose tensors it reads, the worker threads, and
 * typed access to a tensor's array (checked: the tensor is this backend's, open, of the type).
 */
abstract class CpuKernelFamily {
    final CpuBackend backend;
    final Parallel par;

    CpuKernelFamily(CpuBackend backend, Parallel par) {
        this.backend = backend;
        this.par = par;
    }

    final float[] f(Tensor t) {
        return backend.own(t, DType.FLOAT32).f;
    }

    final int[] ints(Tensor t) {
        return backend.own(t, DType.INT32).i;
    }

    final long[] longs(Tensor t) {
        return backend.own(t, DType.INT64).l;
    }

    /** An INT64 tensor about to be written: marked changed, so nothing derived from its old bits is reused. */
    final long[] longsOut(Tensor t) {
        CpuTensor c = backend.own(t, DType.INT64);
        c.changed();
        return c.l;
    }
}
