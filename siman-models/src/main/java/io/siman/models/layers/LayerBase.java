package io.siman.models.layers;

import io.siman.api.Backend;
import io.siman.api.Kernels;
import io.siman.api.Layer;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.ShapeMismatchException;
import io.siman.api.SimanException;
import io.siman.api.Tensor;

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

    protected LayerBase(Backend backend, String name) {
        this.backend = backend;
        this.k = backend.kernels();
        this.name = name;
    }

    @Override
    public String name() {
        return name;
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

    /** Direct sub-layers, in forward order. */
    public List<Layer> children() {
        return List.copyOf(children);
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
