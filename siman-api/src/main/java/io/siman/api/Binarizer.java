package io.siman.api;

/**
 * A way of binarizing the weights of a convolution, found with {@link java.util.ServiceLoader} (register
 * in {@code META-INF/services/io.siman.api.Binarizer} and in {@code module-info}). Written against the core
 * {@link Kernels} and step families ({@link io.siman.api.steps}), each with a portable default, so it runs on every
 * backend. Built in: {@code siman} (default), {@code xnor}, {@code irnet}, {@code none}; the plugin
 * {@code siman-kstar} (module {@code siman-kstar}, shipped with the command line) is written as third parties write one.
 */
public interface Binarizer {
    /** Unique lower-case name used on the command line and in checkpoints. */
    String name();

    /** One line for listings. */
    String description();

    /** Whether layers using it binarize their input activations (false only for full precision). */
    boolean binarizesActivations();

    /** Whether layers using it learn a per-output-channel scale alpha. */
    boolean learnsScale();

    /** Whether the base weight decay applies to the latent weights by default (SiMaN: no). */
    boolean decaysLatentWeights();

    /** Creates the per-layer state for weights of the given shape. */
    WeightBinarization create(Backend backend, Shape weightShape, Encoding encoding);
}
