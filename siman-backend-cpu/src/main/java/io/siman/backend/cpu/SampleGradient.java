package io.siman.backend.cpu;

/**
 * Takes an input gradient over sample by sample: sample {@code n}'s values ({@code [C][H][W]}) start at
 * {@code gradient[from]}. Lets a kernel that makes the gradient one sample per task hand it on while it is in the
 * task's cache, instead of writing a whole float tensor to memory for the next kernel to read back.
 */
@FunctionalInterface
interface SampleGradient {
    void accept(int n, float[] gradient, int from);
}
