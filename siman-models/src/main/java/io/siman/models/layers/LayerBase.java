package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.BitwiseKernels;
import io.siman.api.Kernels;
import io.siman.api.Layer;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.SimanException;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;
import io.siman.api.TrainingProgress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every layer shares: its backend, its name, the parameters it owns and the work tensors it reuses
 * from step to step (reallocated only when the batch shape changes, so a training step allocates nothing).
 */
public abstract class LayerBase implements Layer {
    protected final Backend backend;
    protected final Kernels k;
    private final String name;
    private final List<Parameter> parameters = new ArrayList<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final List<Work> work = new ArrayList<>();
    private final List<Tensor> owned = new ArrayList<>();
    private Shape lastInput, lastOutput;
    private LayerTimer timer;

    protected LayerBase(Backend backend, String name) {
        this.backend = backend;
        this.k = backend.kernels();
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /** The backend's training kernels; a one-line error when it has none (asked only when training). */
    protected final TrainingKernels training() {
        return backend.kernels(TrainingKernels.class);
    }

    /** The backend's bitwise kernels; a one-line error when it has none (asked only by binarized layers). */
    protected final BitwiseKernels bitwise() {
        return backend.kernels(BitwiseKernels.class);
    }

    /** Creates a learnable parameter with its gradient, named {@code layerName.localName}. */
    protected Parameter parameter(String localName, float[] init, Shape shape, Parameter.Role role) {
        Tensor value = own(backend.upload(init, shape));
        Tensor grad = own(backend.allocate(shape));
        Parameter p = new Parameter(name + "." + localName, value, grad, role);
        parameters.add(p);
        return p;
    }

    /** Creates a non-learnable state tensor saved in checkpoints, named {@code layerName.localName}. */
    protected Tensor buffer(String localName, float[] init, Shape shape) {
        Tensor t = own(backend.upload(init, shape));
        buffers.put(name + "." + localName, t);
        return t;
    }

    protected Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    /** A reusable work tensor. */
    protected Work work() {
        Work w = new Work();
        work.add(w);
        return w;
    }

    /** Sub-layers whose parameters and buffers this layer exposes and whose tensors it closes. */
    protected <L extends Layer> L child(L layer) {
        children.add(layer);
        return layer;
    }

    private final List<Layer> children = new ArrayList<>();

    /**
     * Adds this layer's evaluation-time computation to {@code graph} in standard operators (for ONNX export) and
     * returns the name of its output; {@code x} names its input. Layers without such a form say so in one line.
     */
    public String describe(io.siman.models.graph.InferenceGraph graph, String x) {
        throw new io.siman.api.SimanException(name + " (" + getClass().getSimpleName() + ") has no standard-operator form to export");
    }

    /** {@link #describe} of a sub-layer (every zoo layer extends this class). */
    protected static String describe(Layer layer, io.siman.models.graph.InferenceGraph graph, String x) {
        if (!(layer instanceof LayerBase l)) {
            throw new io.siman.api.SimanException(layer.name() + " (" + layer.getClass().getName() + ") has no standard-operator form to export");
        }
        return l.describe(graph, x);
    }

    /** A tensor's values on the host. */
    protected final float[] host(Tensor t) {
        return backend.downloadFloats(t);
    }

    /** Direct sub-layers, in forward order. */
    public List<Layer> children() {
        return List.copyOf(children);
    }

    /**
     * Runs the layer (see {@link #computeForward}) and remembers the shapes it saw, for summaries and
     * benchmarks; reports its time when a {@link LayerTimer} is set.
     */
    @Override
    public final Tensor forward(Tensor x, TrainingProgress progress) {
        long t0 = timer == null ? 0 : System.nanoTime();
        Tensor y = computeForward(x, progress);
        lastInput = x.shape();
        lastOutput = y.shape();
        if (timer != null) {
            timer.forward(this, System.nanoTime() - t0);
        }
        return y;
    }

    /**
     * A forward pass other than {@link #computeForward} (a fused variant a composite layer asks for), recorded and
     * timed as {@link #forward} records and times it.
     */
    protected final Tensor timedForward(Tensor x, java.util.function.Supplier<Tensor> compute) {
        long t0 = timer == null ? 0 : System.nanoTime();
        Tensor y = compute.get();
        lastInput = x.shape();
        lastOutput = y.shape();
        if (timer != null) {
            timer.forward(this, System.nanoTime() - t0);
        }
        return y;
    }

    /** Records the shapes of a forward pass another layer computed for this one (fused into its own). */
    final void fusedInto(Shape input, Shape output) {
        lastInput = input;
        lastOutput = output;
    }

    @Override
    public final Tensor backward(Tensor dy) {
        long t0 = timer == null ? 0 : System.nanoTime();
        Tensor dx = computeBackward(dy);
        if (timer != null) {
            timer.backward(this, System.nanoTime() - t0);
        }
        return dx;
    }

    /**
     * A backward pass other than {@link #computeBackward} (a fused variant a composite layer asks for), timed as
     * {@link #backward} times it.
     */
    protected final Tensor timedBackward(java.util.function.Supplier<Tensor> compute) {
        long t0 = timer == null ? 0 : System.nanoTime();
        Tensor dx = compute.get();
        if (timer != null) {
            timer.backward(this, System.nanoTime() - t0);
        }
        return dx;
    }

    /** The layer's forward pass. */
    protected abstract Tensor computeForward(Tensor x, TrainingProgress progress);

    /** The layer's backward pass: the gradient of its input, given its output's; parameters' gradients are written. */
    protected abstract Tensor computeBackward(Tensor dy);

    /** The input shape of the last forward pass, or null before the first. */
    public Shape lastInputShape() {
        return lastInput;
    }

    /** The output shape of the last forward pass, or null before the first. */
    public Shape lastOutputShape() {
        return lastOutput;
    }

    /**
     * What this layer stores and computes per image, from the shapes of the last forward pass. By default every
     * parameter and buffer is a 32-bit value and nothing is multiplied; convolutions and dense layers say more.
     */
    public Footprint footprint() {
        long n = 0;
        for (Parameter p : parameters) {
            n += p.value().shape().size();
        }
        for (Tensor t : buffers.values()) {
            n += t.shape().size();
        }
        return Footprint.floats(n);
    }

    /** Values per image of the last output (its size without the batch dimension); 0 before the first forward pass. */
    protected long outputsPerImage() {
        return lastOutput == null ? 0 : lastOutput.size() / lastOutput.dim(0);
    }

    /** Reports the time of this layer and of every layer inside it to {@code timer}; null stops reporting. */
    public void time(LayerTimer timer) {
        this.timer = timer;
        for (Layer c : children) {
            if (c instanceof LayerBase b) {
                b.time(timer);
            }
        }
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>(parameters);
        for (Layer c : children) {
            all.addAll(c.parameters());
        }
        return all;
    }

    @Override
    public Map<String, Tensor> buffers() {
        Map<String, Tensor> all = new LinkedHashMap<>(buffers);
        all.putAll(extraBuffers());
        for (Layer c : children) {
            all.putAll(c.buffers());
        }
        return all;
    }

    /** Buffers created lazily by a subclass (SiMaN's frozen bits). */
    protected Map<String, Tensor> extraBuffers() {
        return Map.of();
    }

    @Override
    public boolean restoreBuffer(String bufferName, float[] values) {
        Tensor t = buffers.get(bufferName);
        if (t != null) {
            if (t.shape().size() != values.length) {
                throw new ShapeMismatchException("buffer " + bufferName + " has " + t.shape().size() + " values, got " + values.length);
            }
            backend.write(t, values);
            return true;
        }
        for (Layer c : children) {
            if (c.restoreBuffer(bufferName, values)) {
                return true;
            }
        }
        return false;
    }

    protected static void requireRank(String layer, Shape s, int rank) {
        if (s.rank() != rank) {
            throw new ShapeMismatchException(layer + " expects a rank-" + rank + " input, got " + s);
        }
    }

    protected static void requireForward(Object saved, String layer) {
        if (saved == null) {
            throw new SimanException(layer + ": backward called before forward");
        }
    }

    @Override
    public void close() {
        for (Layer c : children) {
            c.close();
        }
        work.forEach(Work::close);
        owned.forEach(Tensor::close);
        owned.clear();
    }

    /** A tensor kept across steps and reallocated only when the requested shape changes. */
    protected final class Work {
        private Tensor t;

        protected Work() {
        }

        public Tensor get(Shape shape) {
            return get(io.siman.api.DType.FLOAT32, shape);
        }

        public Tensor get(io.siman.api.DType type, Shape shape) {
            if (t == null || !t.shape().equals(shape) || t.dtype() != type) {
                if (t != null) {
                    t.close();
                }
                t = backend.allocate(type, shape);
            }
            return t;
        }

        void close() {
            if (t != null) {
                t.close();
                t = null;
            }
        }
    }
}
