package io.siman.models.layers;

/** How a convolution or linear layer's weights are drawn (docs/method.md section 5). */
public enum WeightInit {
    /** Kaiming normal over fan-in: CIFAR ResNets. */
    KAIMING_FAN_IN,
    /** Kaiming normal over fan-out: ImageNet ResNets (torchvision's choice). */
    KAIMING_FAN_OUT,
    /** Normal with std sqrt(2 / (k*k*Cout)) for convs, 0.01 for linear: VGG-small. */
    VGG
}
