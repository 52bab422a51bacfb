package io.siman.models.layers;

/**
 * Receives the time of each layer's forward and backward pass (a composite layer's time includes its
 * children's). Set with {@link LayerBase#time}; called on the thread that runs the network.
 */
public interface LayerTimer {
    void forward(LayerBase layer, long nanos);

    void backward(LayerBase layer, long nanos);
}
