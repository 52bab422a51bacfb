package io.siman.backend.gpu;

import io.siman.api.Activation;
import io.siman.api.ConvGeometry;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.KernelShapes;
import io.siman.api.Kernels;
import io.siman.api.PoolGeometry;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.SimanException;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;
import io.siman.api.BitwiseKernels;
import io.siman.api.steps.BinaryActivationSteps;
import io.siman.api.steps.IrNetSteps;
import io.siman.api.steps.ShortcutSteps;
import io.siman.api.steps.SimanSteps;
import io.siman.api.steps.XnorSteps;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static io.siman.api.KernelShapes.channels;
import static io.siman.api.KernelShapes.expect;
import static io.siman.api.KernelShapes.expectSize;
import static io.siman.api.KernelShapes.plane;

/**
 * Every kernel of the contract (the core, both capability groups, every built-in step family) on an OpenCL device: the host side checks shapes (with the contract's shared rules)
 * and launches the programs of {@code kernels.cl}, built once when the backend is created. Launches are serialized
 * on this object, since an OpenCL kernel object holds its arguments.
 */
final class OpenClKernels implements Kernels, TrainingKernels, BitwiseKernels,
        SimanSteps, XnorSteps, IrNetSteps, BinaryActivationSteps, ShortcutSteps {
    /** Stands for a work-group's float scratch in local memory, in an argument list. */
    private static final Object LOCAL = new Object();
    private static final String SOURCE = "/io/siman/backend/gpu/kernels.cl";

    private final OpenClBackend backend;
    private final cl_command_queue queue;
    private final cl_program program;
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    /** Work-group size of the reductions: a power of two the device and every kernel accept. */
    private final int group;

    OpenClKernels(OpenClBackend backend, cl_context context, cl_command_queue queue, cl_device_id device) {
        this.backend = backend;
        this.queue = queue;
        this.program = build(context, device);
        long[] max = new long[1];
        CL.clGetDeviceInfo(device, CL.CL_DEVICE_MAX_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(max), null);
        long limit = Math.min(256, max[0]);
        int[] count = new int[1];
        CL.clCreateKernelsInProgram(program, 0, null, count);
        cl_kernel[] all = new cl_kernel[count[0]];
        CL.clCreateKernelsInProgram(program, count[0], all, null);
        for (cl_kernel k : all) {
            long[] size = new long[1];
            CL.clGetKernelInfo(k, CL.CL_KERNEL_FUNCTION_NAME, 0, null, size);
            byte[] name = new byte[(int) size[0]];
            CL.clGetKernelInfo(k, CL.CL_KERNEL_FUNCTION_NAME, name.length, Pointer.to(name), null);
            kernels.put(new String(name, 0, name.length - 1, StandardCharsets.US_ASCII), k);
            long[] wg = new long[1];
            CL.clGetKernelWorkGroupInfo(k, device, CL.CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(wg), null);
            limit = Math.min(limit, wg[0]);
        }
        this.group = (int) Long.highestOneBit(Math.max(1, limit));
    }

    /** Compiles the kernels' source for the device; a failure carries the compiler's log. */
    private static cl_program build(cl_context context, cl_device_id device) {
        String source;
        try (InputStream in = OpenClKernels.class.getResourceAsStream(SOURCE)) {
            if (in == null) {
                throw new SimanException("the OpenCL kernels " + SOURCE + " are missing from the backend's jar");
            }
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SimanException("cannot read the OpenCL kernels: " + e.getMessage());
        }
        cl_program p = CL.clCreateProgramWithSource(context, 1, new String[]{source}, null, null);
        try {
            CL.clBuildProgram(p, 1, new cl_device_id[]{device}, "-cl-std=CL1.2", null, null);
        } catch (CLException e) {
            long[] size = new long[1];
            CL.clGetProgramBuildInfo(p, device, CL.CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] log = new byte[(int) size[0]];
            CL.clGetProgramBuildInfo(p, device, CL.CL_PROGRAM_BUILD_LOG, log.length, Pointer.to(log), null);
            CL.clReleaseProgram(p);
            throw new SimanException("the OpenCL kernels do not compile for this device: "
                    + new String(log, StandardCharsets.UTF_8).trim());
        }
        return p;
    }

    synchronized void release() {
        kernels.values().forEach(CL::clReleaseKernel);
        kernels.clear();
        CL.clReleaseProgram(program);
    }

    /** Work-group size of the reductions. */
    int groupSize() {
        return group;
    }

    // ---------------------------------------------------------------- launching

    private cl_mem mem(Tensor t, DType type) {
        return backend.own(t, type).mem();
    }

    private cl_mem f(Tensor t) {
        return mem(t, DType.FLOAT32);
    }

    private cl_mem fOrNull(Tensor t) {
        return t == null ? null : f(t);
    }

    private void args(cl_kernel k, Object... args) {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) {
                CL.clSetKernelArg(k, i, Sizeof.cl_mem, null);
            } else if (a instanceof cl_mem m) {
                CL.clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(m));
            } else if (a instanceof Integer v) {
                CL.clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[]{v}));
            } else if (a instanceof Float v) {
                CL.clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[]{v}));
            } else if (a == LOCAL) {
                CL.clSetKernelArg(k, i, (long) group * Sizeof.cl_float, null);
            } else {
                throw new IllegalArgumentException("kernel argument " + a);
            }
        }
    }

    private cl_kernel kernel(String name) {
        cl_kernel k = kernels.get(name);
        if (k == null) {
            throw new IllegalStateException("no OpenCL kernel " + name);
        }
        return k;
    }

    /** One work-item per index of {@code [0, n)}; the kernel ignores the indices past {@code n}. */
    private synchronized void run(String name, long n, Object... args) {
        if (n <= 0) {
            return;
        }
        cl_kernel k = kernel(name);
        args(k, args);
        long global = (n + 63) / 64 * 64;
        CL.clEnqueueNDRangeKernel(queue, k, 1, null, new long[]{global}, null, 0, null, null);
    }

    /** One work-group of {@link #group} work-items per index of {@code [0, groups)}. */
    private synchronized void runGroups(String name, long groups, Object... args) {
        if (groups <= 0) {
            return;
        }
        cl_kernel k = kernel(name);
        args(k, args);
        CL.clEnqueueNDRangeKernel(queue, k, 1, null, new long[]{groups * group}, new long[]{group}, 0, null, null);
    }

    private static int size(Tensor t) {
        return t.shape().intSize();
    }

    // ---------------------------------------------------------------- element-wise

    @Override
    public void fill(Tensor x, float value) {
        run("fill_f", size(x), f(x), value, size(x));
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        KernelShapes.copy(src, dst);
        OpenClTensor s = backend.own(src, src.dtype()), d = backend.own(dst, dst.dtype());
        synchronized (this) {
            CL.clEnqueueCopyBuffer(queue, s.mem(), d.mem(), 0, 0, s.bytes(), 0, null, null);
        }
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        expectSize("add", "b", b, a.shape().size());
        expectSize("add", "out", out, a.shape().size());
        run("add_f", size(a), f(a), f(b), f(out), size(a));
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        expectSize("axpy", "y", y, x.shape().size());
        run("axpy_f", size(x), alpha, f(x), f(y), size(x));
    }

    @Override
    public void sign(Tensor x, Tensor out) {
        expectSize("sign", "out", out, x.shape().size());
        run("sign_f", size(x), f(x), f(out), size(x));
    }

    @Override
    public void mulSign(Tensor x, Tensor s, Tensor out) {
        expectSize("mulSign", "s", s, x.shape().size());
        expectSize("mulSign", "out", out, x.shape().size());
        run("mul_sign", size(x), f(x), f(s), f(out), size(x));
    }

    // ---------------------------------------------------------------- dense

    @Override
    public void linearForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        if (x.shape().rank() != 2 || w.shape().rank() != 2 || x.shape().dim(1) != w.shape().dim(1)) {
            throw new ShapeMismatchException("linearForward: x " + x.shape() + " and w " + w.shape() + " do not multiply (need [N, in] and [out, in])");
        }
        int n = x.shape().dim(0), in = x.shape().dim(1), out = w.shape().dim(0);
        expect("linearForward", "y", y, Shape.of(n, out));
        if (bias != null) {
            expect("linearForward", "bias", bias, Shape.of(out));
        }
        run("linear_forward", (long) n * out, f(x), f(w), fOrNull(bias), f(y), n, in, out);
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias) {
        if (x.shape().rank() != 2 || w.shape().rank() != 2 || x.shape().dim(1) != w.shape().dim(1)) {
            throw new ShapeMismatchException("linearBackward: x " + x.shape() + " and w " + w.shape() + " do not match");
        }
        int n = x.shape().dim(0), in = x.shape().dim(1), out = w.shape().dim(0);
        expect("linearBackward", "dy", dy, Shape.of(n, out));
        expect("linearBackward", "dw", dw, w.shape());
        if (dx != null) {
            expect("linearBackward", "dx", dx, x.shape());
            run("linear_backward_x", (long) n * in, f(dy), f(w), f(dx), n, in, out);
        }
        run("linear_backward_w", (long) out * in, f(x), f(dy), f(dw), n, in, out);
        if (dbias != null) {
            expect("linearBackward", "dbias", dbias, Shape.of(out));
            run("linear_backward_b", out, f(dy), f(dbias), n, out);
        }
    }

    // ---------------------------------------------------------------- convolution

    private static Object[] geometry(ConvGeometry g) {
        return new Object[]{g.batch(), g.inChannels(), g.inHeight(), g.inWidth(), g.outChannels(), g.kernelH(), g.kernelW(),
                g.stride(), g.padding(), g.outHeight(), g.outWidth()};
    }

    private static Object[] concat(Object[] a, Object... b) {
        Object[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static Object[] with(Object[] head, ConvGeometry g) {
        return concat(head, geometry(g));
    }

    @Override
    public void conv2dForward(ConvGeometry g, Tensor x, Tensor w, Tensor y) {
        KernelShapes.convolution("conv2dForward", g, x, w, y);
        run("conv_forward", g.outputShape().size(), with(new Object[]{f(x), f(w), f(y)}, g));
    }

    @Override
    public void conv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        KernelShapes.convolution("conv2dBackwardData", g, dx, w, dy);
        run("conv_backward_data", g.inputShape().size(), with(new Object[]{f(dy), f(w), f(dx)}, g));
    }

    @Override
    public void conv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        KernelShapes.convolution("conv2dBackwardWeights", g, x, dw, dy);
        runGroups("conv_backward_weights", g.weightShape().size(), with(new Object[]{f(x), null, f(dy), f(dw), LOCAL}, g));
    }

    @Override
    public void binaryConv2dBackwardWeights(ConvGeometry g, Tensor x, Tensor threshold, Tensor dy, Tensor dw) {
        KernelShapes.convolution("binaryConv2dBackwardWeights", g, x, dw, dy);
        expect("binaryConv2dBackwardWeights", "threshold", threshold, Shape.of(g.batch()));
        runGroups("conv_backward_weights", g.weightShape().size(), with(new Object[]{f(x), f(threshold), f(dy), f(dw), LOCAL}, g));
    }

    // ---------------------------------------------------------------- per-channel scale

    @Override
    public void channelScale(Tensor x, Tensor scale, Tensor y) {
        int c = channels("channelScale", x);
        expect("channelScale", "scale", scale, Shape.of(c));
        expect("channelScale", "y", y, x.shape());
        run("channel_scale", size(x), f(x), f(scale), f(y), size(x), c, plane(x));
    }

    @Override
    public void channelAffine(Tensor x, Tensor scale, Tensor bias, Tensor y) {
        int c = KernelShapes.channelAffine(x, scale, bias, y);
        run("channel_affine", size(x), f(x), f(scale), f(bias), f(y), size(x), c, plane(x));
    }

    @Override
    public void channelScaleBackward(Tensor x, Tensor scale, Tensor dy, Tensor dx, Tensor dscale) {
        int c = KernelShapes.channelScaleBackward(x, scale, dy, dscale);
        if (dx != null) {
            expect("channelScaleBackward", "dx", dx, x.shape());
            run("channel_scale", size(dy), f(dy), f(scale), f(dx), size(dy), c, plane(x));
        }
        runGroups("channel_dot", c, f(dy), f(x), f(dscale), LOCAL, x.shape().dim(0), c, plane(x));
    }

    @Override
    public void rowScale(Tensor x, Tensor scale, Tensor y) {
        KernelShapes.rowScale(x, scale, y);
        run("row_scale", size(x), f(x), f(scale), f(y), size(x), x.shape().rowLength());
    }

    @Override
    public void rowScaleBackward(Tensor x, Tensor dy, Tensor dscale) {
        int r = KernelShapes.rowScaleBackward(x, dy, dscale), n = x.shape().rowLength();
        // the per-channel dot product with one sample and the row as the plane
        runGroups("channel_dot", r, f(dy), f(x), f(dscale), LOCAL, 1, r, n);
    }

    // ---------------------------------------------------------------- batch normalization

    @Override
    public void batchNormTraining(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                  float momentum, float eps, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        String op = "batchNormTraining";
        int c = KernelShapes.batchNormForward(op, x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd);
        if ((long) x.shape().dim(0) * plane(x) < 2) {
            throw new ShapeMismatchException(op + ": needs more than one value per channel, got input " + x.shape());
        }
        runGroups("bn_training", c, f(x), f(gamma), f(beta), f(runningMean), f(runningVar), momentum, eps, f(y), f(saveMean),
                f(saveInvStd), LOCAL, x.shape().dim(0), c, plane(x));
    }

    @Override
    public void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps, Tensor y) {
        int c = KernelShapes.batchNormForward("batchNormInference", x, y, gamma, beta, runningMean, runningVar);
        run("bn_inference", size(x), f(x), f(gamma), f(beta), f(runningMean), f(runningVar), eps, f(y), size(x), c, plane(x));
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta) {
        int c = KernelShapes.batchNormBackward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        runGroups("bn_backward", c, f(x), f(dy), f(gamma), f(saveMean), f(saveInvStd), f(dx), f(dgamma), f(dbeta), LOCAL,
                x.shape().dim(0), c, plane(x));
    }

    // ---------------------------------------------------------------- activations

    @Override
    public void activation(Activation kind, Tensor x, Tensor y) {
        expect("activation", "y", y, x.shape());
        run("activation_f", size(x), kind.ordinal(), f(x), f(y), size(x));
    }

    @Override
    public void activationBackward(Activation kind, Tensor x, Tensor dy, Tensor dx) {
        expect("activationBackward", "dy", dy, x.shape());
        expect("activationBackward", "dx", dx, x.shape());
        run("activation_backward", size(x), kind.ordinal(), f(x), f(dy), f(dx), size(x));
    }

    @Override
    public void prelu(Tensor x, Tensor slope, Tensor y) {
        int c = channels("prelu", x);
        expect("prelu", "slope", slope, Shape.of(c));
        expect("prelu", "y", y, x.shape());
        run("prelu_f", size(x), f(x), f(slope), f(y), size(x), c, plane(x));
    }

    @Override
    public void preluBackward(Tensor x, Tensor slope, Tensor dy, Tensor dx, Tensor dslope) {
        int c = KernelShapes.preluBackward(x, slope, dy, dx, dslope);
        run("prelu_backward_x", size(x), f(x), f(slope), f(dy), f(dx), size(x), c, plane(x));
        runGroups("prelu_backward_slope", c, f(x), f(dy), f(dslope), LOCAL, x.shape().dim(0), c, plane(x));
    }

    // ---------------------------------------------------------------- pooling

    private static Object[] pool(PoolGeometry g) {
        return new Object[]{g.batch() * g.channels(), g.inHeight(), g.inWidth(), g.kernel(), g.stride(), g.padding(),
                g.outHeight(), g.outWidth()};
    }

    @Override
    public void maxPool2d(PoolGeometry g, Tensor x, Tensor y, Tensor argmax) {
        expect("maxPool2d", "x", x, g.inputShape());
        expect("maxPool2d", "y", y, g.outputShape());
        expect("maxPool2d", "argmax", argmax, g.outputShape());
        run("max_pool", size(y), concat(new Object[]{f(x), f(y), mem(argmax, DType.INT32)}, pool(g)));
    }

    @Override
    public void maxPool2dBackward(PoolGeometry g, Tensor dy, Tensor argmax, Tensor dx) {
        expect("maxPool2dBackward", "dy", dy, g.outputShape());
        expect("maxPool2dBackward", "argmax", argmax, g.outputShape());
        expect("maxPool2dBackward", "dx", dx, g.inputShape());
        run("max_pool_backward", size(dx), concat(new Object[]{f(dy), mem(argmax, DType.INT32), f(dx)}, pool(g)));
    }

    @Override
    public void avgPool2d(PoolGeometry g, Tensor x, Tensor y) {
        expect("avgPool2d", "x", x, g.inputShape());
        expect("avgPool2d", "y", y, g.outputShape());
        run("avg_pool", size(y), concat(new Object[]{f(x), f(y)}, pool(g)));
    }

    @Override
    public void avgPool2dBackward(PoolGeometry g, Tensor dy, Tensor dx) {
        expect("avgPool2dBackward", "dy", dy, g.outputShape());
        expect("avgPool2dBackward", "dx", dx, g.inputShape());
        run("avg_pool_backward", size(dx), concat(new Object[]{f(dy), f(dx)}, pool(g)));
    }

    // ---------------------------------------------------------------- option-A shortcut

    @Override
    public void shortcutA(Tensor x, Tensor y) {
        int pad = KernelShapes.shortcutPadding("shortcutA", x.shape(), y.shape());
        Shape a = x.shape(), b = y.shape();
        run("shortcut_a", size(y), f(x), f(y), a.dim(0), a.dim(1), a.dim(2), a.dim(3), b.dim(1), b.dim(2), b.dim(3), pad);
    }

    @Override
    public void shortcutABackward(Tensor dy, Tensor dx) {
        int pad = KernelShapes.shortcutPadding("shortcutABackward", dx.shape(), dy.shape());
        Shape a = dx.shape(), b = dy.shape();
        run("shortcut_a_backward", size(dx), f(dy), f(dx), a.dim(0), a.dim(1), a.dim(2), a.dim(3), b.dim(1), b.dim(2), b.dim(3), pad);
    }

    // ---------------------------------------------------------------- loss

    /** Labels are checked on the host (a few integers come down) so a bad one is the contract's clear error. */
    private void checkLabels(String op, Tensor labels, int k) {
        int[] y = backend.downloadInts(labels);
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0 || y[i] >= k) {
                throw new SimanException(op + ": label " + y[i] + " of sample " + i + " is outside [0, " + k + ")");
            }
        }
    }

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor losses) {
        String op = "softmaxCrossEntropy";
        KernelShapes.softmaxCrossEntropy(logits, labels, probs, losses);
        int n = logits.shape().dim(0), k = logits.shape().dim(1);
        checkLabels(op, labels, k);
        run("softmax_ce", n, f(logits), mem(labels, DType.INT32), f(probs), f(losses), n, k);
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, float scale, Tensor dlogits) {
        String op = "softmaxCrossEntropyBackward";
        KernelShapes.softmaxCrossEntropyBackward(probs, labels, dlogits);
        int n = probs.shape().dim(0), k = probs.shape().rowLength();
        checkLabels(op, labels, k);
        run("softmax_ce_backward", (long) n * k, f(probs), mem(labels, DType.INT32), scale, f(dlogits), n, k);
    }

    // ---------------------------------------------------------------- rows

    @Override
    public void rowMean(Tensor x, Tensor mean) {
        int r = x.shape().dim(0);
        expect("rowMean", "mean", mean, Shape.of(r));
        runGroups("row_mean", r, f(x), f(mean), LOCAL, x.shape().rowLength());
    }

    @Override
    public void rowStandardize(Tensor x, float eps, Tensor z, Tensor mean, Tensor invStd) {
        KernelShapes.rowStandardize(x, z, mean, invStd);
        int r = x.shape().dim(0), n = x.shape().rowLength();
        runGroups("row_standardize", r, f(x), eps, fOrNull(z), f(mean), f(invStd), LOCAL, n);
    }

    @Override
    public void rowStandardizeBackward(Tensor z, Tensor invStd, Tensor dz, Tensor dx) {
        String op = "rowStandardizeBackward";
        int r = z.shape().dim(0);
        expect(op, "invStd", invStd, Shape.of(r));
        expect(op, "dz", dz, z.shape());
        expect(op, "dx", dx, z.shape());
        runGroups("row_standardize_backward", r, f(z), f(invStd), f(dz), f(dx), LOCAL, z.shape().rowLength());
    }

    @Override
    public void approxSignBackward(Tensor a1, Tensor dxb, Tensor da1) {
        expect("approxSignBackward", "dxb", dxb, a1.shape());
        expect("approxSignBackward", "da1", da1, a1.shape());
        run("approx_sign_backward", size(a1), f(a1), f(dxb), f(da1), size(a1));
    }

    @Override
    public void binaryActivationBackward(Tensor x, Tensor mean, Tensor invStd, Tensor dxb, Tensor dx) {
        String op = "binaryActivationBackward";
        int r = x.shape().dim(0);
        expect(op, "mean", mean, Shape.of(r));
        expect(op, "invStd", invStd, Shape.of(r));
        expect(op, "dxb", dxb, x.shape());
        expect(op, "dx", dx, x.shape());
        runGroups("binary_activation_backward", r, f(x), f(mean), f(invStd), f(dxb), f(dx), LOCAL, x.shape().rowLength());
    }

    // ---------------------------------------------------------------- generic primitives

    @Override
    public void rowSubtract(Tensor x, Tensor values, Tensor y) {
        KernelShapes.perRow("rowSubtract", x, values, y);
        run("row_subtract", size(x), f(x), f(values), f(y), size(x), x.shape().rowLength());
    }

    @Override
    public void rowAbsMean(Tensor x, Tensor mean) {
        int r = KernelShapes.perRow("rowAbsMean", x, mean, null);
        runGroups("row_abs_mean", r, f(x), f(mean), LOCAL, x.shape().rowLength());
    }

    @Override
    public void topMagnitudes(Tensor x, Tensor counts, float high, float low, Tensor y) {
        String op = "topMagnitudes";
        int r = x.shape().dim(0), n = x.shape().rowLength();
        expect(op, "counts", counts, Shape.of(r));
        expect(op, "y", y, x.shape());
        // checked on the host (the counts are small): the one-line error must come from here, not from the device
        int[] given = backend.downloadInts(counts);
        for (int i = 0; i < r; i++) {
            int c = given[i];
            if (c < 0 || c > n) {
                throw new SimanException(op + ": count " + c + " of row " + i + " is outside [0, " + n + "]");
            }
        }
        runGroups("top_magnitudes", r, f(x), mem(counts, DType.INT32), high, low, f(y), n);
    }

    @Override
    public void magnitudePercentiles(Tensor x, float lowPercent, float highPercent, Tensor bounds) {
        KernelShapes.magnitudePercentiles(x, lowPercent, highPercent, bounds);
        int total = size(x), padded = sortLength(total);
        try (Tensor mags = backend.allocate(Shape.of(padded))) {
            if (padded > total) {
                fill(mags, Float.POSITIVE_INFINITY);
            }
            run("magnitudes", total, f(x), f(mags), total);
            sortedPercentiles(mags, total, lowPercent, highPercent, bounds);
        }
    }

    @Override
    public void clampMagnitudes(Tensor x, Tensor bounds, Tensor y) {
        KernelShapes.sameShape("clampMagnitudes", x, y, y);
        expect("clampMagnitudes", "bounds", bounds, Shape.of(2));
        run("clip_magnitudes", size(x), f(x), f(bounds), f(y), size(x));
    }

    @Override
    public void maskByMagnitude(Tensor x, float limit, Tensor a, Tensor y) {
        KernelShapes.sameShape("maskByMagnitude", x, a, y);
        run("mask_by_magnitude", size(x), f(x), limit, f(a), f(y), size(x));
    }

    @Override
    public void copyChannels(Tensor src, int srcChannel, Tensor dst, int dstChannel, int count) {
        KernelShapes.copyChannels(src, srcChannel, dst, dstChannel, count);
        int plane = plane(src), total = src.shape().dim(0) * count * plane;
        run("copy_channels", total, f(src), src.shape().dim(1), srcChannel, f(dst), dst.shape().dim(1), dstChannel, count, plane, total);
    }

    // ---------------------------------------------------------------- SiMaN weight steps

    @Override
    public void simanClip(Tensor w, float percent) {
        if (!(percent >= 0f && percent <= 50f)) {
            throw new SimanException("simanClip: percent must be in [0, 50], got " + percent);
        }
        int r = w.shape().dim(0), n = w.shape().rowLength(), total = size(w);
        if (percent == 0f) {
            runGroups("centre_rows", r, f(w), null, LOCAL, n);
            return;
        }
        int padded = sortLength(total);
        try (Tensor mags = backend.allocate(Shape.of(padded)); Tensor bounds = backend.allocate(Shape.of(2))) {
            if (padded > total) {
                fill(mags, Float.POSITIVE_INFINITY);
            }
            runGroups("centre_rows", r, f(w), f(mags), LOCAL, n);
            sortedPercentiles(mags, total, percent, 100f - percent, bounds);
            run("clip_magnitudes", total, f(w), f(bounds), f(w), total);
        }
    }

    /** The power of two the bitonic sort pads {@code total} values to. */
    private static int sortLength(int total) {
        return Integer.highestOneBit(Math.max(1, total - 1)) << (total > 1 ? 1 : 0);
    }

    /** Sorts {@code mags} (a power of two long, padded with +inf) on the device and writes two percentiles of its first {@code total}. */
    private void sortedPercentiles(Tensor mags, int total, float lo, float hi, Tensor bounds) {
        int padded = size(mags);
        for (int k = 2; k <= padded; k <<= 1) {
            for (int j = k >> 1; j > 0; j >>= 1) {
                run("bitonic_step", padded, f(mags), j, k, padded);
            }
        }
        run("percentiles", 1, f(mags), total, lo, hi, f(bounds));
    }

    @Override
    public void topHalfBits(Tensor z, Encoding encoding, Tensor s) {
        expect("topHalfBits", "s", s, z.shape());
        runGroups("top_magnitudes", z.shape().dim(0), f(z), null, 1f, encoding == Encoding.PM1 ? -1f : 0f, f(s), z.shape().rowLength());
    }

    // ---------------------------------------------------------------- sign-based baselines

    @Override
    public void xnorWeights(Tensor w, Tensor s, Tensor scale) {
        int r = w.shape().dim(0);
        expect("xnorWeights", "s", s, w.shape());
        expect("xnorWeights", "scale", scale, Shape.of(r));
        runGroups("sign_weights", r, 0, f(w), f(s), f(scale), LOCAL, w.shape().rowLength());
    }

    @Override
    public void clippedStraightThrough(Tensor w, Tensor ds, Tensor scale, float limit, Tensor dw) {
        int r = w.shape().dim(0);
        expect("clippedStraightThrough", "ds", ds, w.shape());
        expect("clippedStraightThrough", "scale", scale, Shape.of(r));
        expect("clippedStraightThrough", "dw", dw, w.shape());
        run("clipped_straight_through", size(w), f(w), f(ds), f(scale), limit, f(dw), size(w), w.shape().rowLength());
    }

    @Override
    public void irnetWeights(Tensor z, Tensor s, Tensor scale) {
        int r = z.shape().dim(0);
        expect("irnetWeights", "s", s, z.shape());
        expect("irnetWeights", "scale", scale, Shape.of(r));
        runGroups("sign_weights", r, 1, f(z), f(s), f(scale), LOCAL, z.shape().rowLength());
    }

    @Override
    public void edeBackward(Tensor z, Tensor ds, Tensor scale, float t, float k, Tensor dz) {
        int r = z.shape().dim(0);
        expect("edeBackward", "ds", ds, z.shape());
        expect("edeBackward", "scale", scale, Shape.of(r));
        expect("edeBackward", "dz", dz, z.shape());
        run("ede_backward", size(z), f(z), f(ds), f(scale), t, k, f(dz), size(z), z.shape().rowLength());
    }

    // ---------------------------------------------------------------- optimizer

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay) {
        expectSize("sgdStep", "grad", grad, param.shape().size());
        expectSize("sgdStep", "velocity", velocity, param.shape().size());
        run("sgd_step", size(param), f(param), f(grad), f(velocity), lr, momentum, weightDecay, size(param));
    }

    // ---------------------------------------------------------------- bits

    @Override
    public void packWeights(Tensor s, Tensor bits) {
        if (s.shape().rank() != 4) {
            throw new ShapeMismatchException("packWeights: weights must be [Co, Ci, kh, kw], got " + s.shape());
        }
        int co = s.shape().dim(0), ci = s.shape().dim(1), taps = s.shape().dim(2) * s.shape().dim(3), words = Shape.words(ci);
        expect("packWeights", "bits", bits, Shape.of(co, s.shape().dim(2), s.shape().dim(3), words));
        run("pack_weights", (long) co * taps * words, f(s), mem(bits, DType.INT64), co, ci, taps, words);
    }

    @Override
    public void packActivations(Tensor x, Tensor threshold, Tensor bits) {
        if (x.shape().rank() != 4) {
            throw new ShapeMismatchException("packActivations: input must be [N, C, H, W], got " + x.shape());
        }
        int n = x.shape().dim(0), c = x.shape().dim(1), h = x.shape().dim(2), w = x.shape().dim(3), words = Shape.words(c);
        expect("packActivations", "threshold", threshold, Shape.of(n));
        expect("packActivations", "bits", bits, Shape.of(n, h, w, words));
        run("pack_activations", (long) n * h * w * words, f(x), f(threshold), mem(bits, DType.INT64), n, c, h * w, words);
    }

    @Override
    public void binaryConv2d(ConvGeometry g, Encoding encoding, Tensor xBits, Tensor wBits, Tensor scale, Tensor bias, Tensor y) {
        KernelShapes.binaryConvolution(g, xBits, wBits, scale, bias, y);
        run("binary_conv", g.outputShape().size(), concat(new Object[]{encoding == Encoding.PM1 ? 1 : 0, mem(xBits, DType.INT64),
                mem(wBits, DType.INT64), fOrNull(scale), fOrNull(bias), f(y)}, concat(geometry(g), Shape.words(g.inChannels()))));
    }
}
