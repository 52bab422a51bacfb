package io.siman.api;

/**
 * A handle to memory owned by a {@link Backend}. Data moves with {@link Backend#upload} and
 * {@link Backend#download}; kernels read and write tensors in place. Close a tensor to release it:
 * backends count live tensors, and the contract suite checks that nothing leaks.
 */
public interface Tensor extends AutoCloseable {
    Shape shape();

    DType dtype();

    /** The backend that owns this tensor; kernels accept only their own backend's tensors. */
    Backend backend();

    boolean isClosed();

    /** Releases the memory. Closing twice is harmless. */
    @Override
    void close();
}
