package io.siman.api;

/** A backend was asked for a capability group it does not implement (training on an inference-only backend, say). */
public class MissingKernelsException extends SimanException {
    public MissingKernelsException(String backend, String group) {
        super("backend '" + backend + "' does not implement " + group + "; choose a backend that does (siman backends lists them)");
    }
}
