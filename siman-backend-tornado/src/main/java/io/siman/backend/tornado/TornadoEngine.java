package io.siman.backend.tornado;

import io.siman.api.SimanException;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.common.TornadoFunctions.Task6;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.LongArray;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The device state of the {@code tornado} backend: three pools (float, int, long) resident on the device, and one
 * TornadoVM execution plan holding a task graph per kernel, built once. Every graph consumes the pools from the
 * first one and persists them, so tensors (offsets into the pools) never travel between kernels; a launch sends
 * only the small parameter blocks. Why pools: TornadoVM binds a task graph to its argument objects and keeps device
 * buffers per execution plan (a buffer persisted by one plan is not visible to another), so tensors as separate
 * arrays would need a graph, and a copy, per tensor combination.
 */
final class TornadoEngine implements AutoCloseable {
    /** Values moved per upload or download launch. */
    static final int STAGING = 1 << 16;
    static final int PARAMS = 32;

    /** A kernel with the common signature (a method reference TornadoVM can compile). */
    private interface Kernel extends Task6<KernelContext, FloatArray, IntArray, LongArray, IntArray, FloatArray> {
    }

    final FloatArray floats;
    final IntArray ints;
    final LongArray longs;
    final PoolAllocator floatPool, intPool, longPool;
    private final IntArray p = new IntArray(PARAMS);
    private final FloatArray q = new FloatArray(PARAMS);
    private final FloatArray stageF = new FloatArray(STAGING);
    private final IntArray stageI = new IntArray(STAGING);
    private final LongArray stageL = new LongArray(STAGING);
    private final WorkerGrid grid = new WorkerGrid1D(1);
    private final TornadoExecutionPlan plan;
    private final Map<String, Integer> graphs = new HashMap<>();
    private final TornadoDevice device;

    TornadoEngine(TornadoDevice device, long floatCount, int intCount, int longCount) {
        this.device = device;
        this.floats = new FloatArray(Math.toIntExact(floatCount));
        this.ints = new IntArray(intCount);
        this.longs = new LongArray(longCount);
        this.floatPool = new PoolAllocator("float", floatCount);
        this.intPool = new PoolAllocator("int", intCount);
        this.longPool = new PoolAllocator("long", longCount);
        KernelContext ctx = new KernelContext();
        List<ImmutableTaskGraph> list = new ArrayList<>();
        GridScheduler scheduler = new GridScheduler();
        // the first graph moves the (zeroed) pools to the device once and persists them; every other consumes them
        // (its task, a fill of nothing: an empty kernel body is compiled away and its OpenCL kernel then missing)
        TaskGraph init = new TaskGraph("init").transferToDevice(DataTransferMode.FIRST_EXECUTION, floats, ints, longs)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, p, q)
                .task("t", DeviceKernels::fill, ctx, floats, ints, longs, p, q).persistOnDevice(floats, ints, longs);
        add(list, scheduler, init);
        for (Map.Entry<String, Kernel> e : kernels().entrySet()) {
            Kernel k = e.getValue();
            TaskGraph g = new TaskGraph(e.getKey()).consumeFromDevice("init", floats, ints, longs)
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, p, q)
                    .task("t", k, ctx, floats, ints, longs, p, q).persistOnDevice(floats, ints, longs);
            add(list, scheduler, g);
        }
        add(list, scheduler, new TaskGraph("upload").consumeFromDevice("init", floats, ints, longs)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, p, stageF, stageI, stageL)
                .task("t", DeviceKernels::upload, ctx, floats, ints, longs, p, stageF, stageI, stageL).persistOnDevice(floats, ints, longs));
        add(list, scheduler, new TaskGraph("download").consumeFromDevice("init", floats, ints, longs)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, p)
                .task("t", DeviceKernels::download, ctx, floats, ints, longs, p, stageF, stageI, stageL)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, stageF, stageI, stageL).persistOnDevice(floats, ints, longs));
        this.plan = new TornadoExecutionPlan(list.toArray(new ImmutableTaskGraph[0]));
        plan.withDevice(device).withGridScheduler(scheduler);
        launch("init", 1);
    }

    private void add(List<ImmutableTaskGraph> list, GridScheduler scheduler, TaskGraph g) {
        graphs.put(g.getTaskGraphName(), list.size());
        scheduler.addWorkerGrid(g.getTaskGraphName() + ".t", grid);
        list.add(g.snapshot());
    }

    /** The kernels by graph name; method references so TornadoVM finds and compiles their bodies. */
    private static Map<String, Kernel> kernels() {
        Map<String, Kernel> m = new LinkedHashMap<>();
        m.put("fill", DeviceKernels::fill);
        m.put("copy", DeviceKernels::copy);
        m.put("add", DeviceKernels::add);
        m.put("axpy", DeviceKernels::axpy);
        m.put("signs", DeviceKernels::signs);
        m.put("linear", DeviceKernels::linear);
        m.put("conv", DeviceKernels::conv);
        m.put("affine", DeviceKernels::affine);
        m.put("batchNormInference", DeviceKernels::batchNormInference);
        m.put("activation", DeviceKernels::activation);
        m.put("pool", DeviceKernels::pool);
        m.put("softmaxCrossEntropy", DeviceKernels::softmaxCrossEntropy);
        m.put("rowStatistics", DeviceKernels::rowStatistics);
        m.put("rowSubtract", DeviceKernels::rowSubtract);
        m.put("topMagnitudes", DeviceKernels::topMagnitudes);
        m.put("magnitudeSelect", DeviceKernels::magnitudeSelect);
        m.put("copyChannels", DeviceKernels::copyChannels);
        m.put("pack", DeviceKernels::pack);
        m.put("binaryConv", DeviceKernels::binaryConv);
        m.put("linearBackwardData", DeviceKernels::linearBackwardData);
        m.put("linearBackwardWeights", DeviceKernels::linearBackwardWeights);
        m.put("linearBackwardBias", DeviceKernels::linearBackwardBias);
        m.put("convBackwardData", DeviceKernels::convBackwardData);
        m.put("convBackwardWeights", DeviceKernels::convBackwardWeights);
        m.put("channelDot", DeviceKernels::channelDot);
        m.put("rowDot", DeviceKernels::rowDot);
        m.put("batchNormStatistics", DeviceKernels::batchNormStatistics);
        m.put("batchNormApply", DeviceKernels::batchNormApply);
        m.put("batchNormBackwardSums", DeviceKernels::batchNormBackwardSums);
        m.put("batchNormBackwardApply", DeviceKernels::batchNormBackwardApply);
        m.put("activationBackward", DeviceKernels::activationBackward);
        m.put("poolBackward", DeviceKernels::poolBackward);
        m.put("softmaxCrossEntropyBackward", DeviceKernels::softmaxCrossEntropyBackward);
        m.put("rowStandardizeBackward", DeviceKernels::rowStandardizeBackward);
        m.put("sgdStep", DeviceKernels::sgdStep);
        return m;
    }

    String deviceName() {
        return device.getPhysicalDevice().getDeviceName();
    }

    /** Runs kernel {@code name} on {@code work} work-items with int parameters {@code ints} and float parameters {@code fs}. */
    synchronized void run(String name, long work, int[] intParams, float... floatParams) {
        if (work <= 0) {
            return;
        }
        for (int k = 0; k < intParams.length; k++) {
            p.set(k, intParams[k]);
        }
        for (int k = 0; k < floatParams.length; k++) {
            q.set(k, floatParams[k]);
        }
        launch(name, work);
    }

    private void launch(String name, long work) {
        Integer index = graphs.get(name);
        if (index == null) {
            throw new IllegalStateException("no TornadoVM graph " + name);
        }
        grid.setGlobalWork(Math.toIntExact(work), 1, 1);
        plan.withGraph(index).execute();
    }

    /** Copies host values into a pool range, in staging-sized chunks. type: 0 float, 1 int, 2 long. */
    synchronized void write(int type, int offset, Object data, int length) {
        for (int at = 0; at < length; at += STAGING) {
            int n = Math.min(STAGING, length - at);
            for (int k = 0; k < n; k++) {
                switch (type) {
                    case 0 -> stageF.set(k, ((float[]) data)[at + k]);
                    case 1 -> stageI.set(k, ((int[]) data)[at + k]);
                    default -> stageL.set(k, ((long[]) data)[at + k]);
                }
            }
            p.set(0, offset + at);
            p.set(1, n);
            p.set(2, type);
            launch("upload", n);
        }
    }

    /** Copies a pool range back to the host. */
    synchronized void read(int type, int offset, Object into, int length) {
        for (int at = 0; at < length; at += STAGING) {
            int n = Math.min(STAGING, length - at);
            p.set(0, offset + at);
            p.set(1, n);
            p.set(2, type);
            launch("download", n);
            for (int k = 0; k < n; k++) {
                switch (type) {
                    case 0 -> ((float[]) into)[at + k] = stageF.get(k);
                    case 1 -> ((int[]) into)[at + k] = stageI.get(k);
                    default -> ((long[]) into)[at + k] = stageL.get(k);
                }
            }
        }
    }

    @Override
    public synchronized void close() {
        try {
            plan.freeDeviceMemory();
            plan.close();
        } catch (Exception e) {
            throw new SimanException("tornado: releasing the device failed: " + e.getMessage(), e);
        }
    }
}
