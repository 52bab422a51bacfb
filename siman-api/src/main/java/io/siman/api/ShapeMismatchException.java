package io.siman.api;

/** Tensors passed to a kernel or layer do not have the shapes the operation needs. */
public class ShapeMismatchException extends SimanException {
    public ShapeMismatchException(String message) {
        super(message);
    }
}
