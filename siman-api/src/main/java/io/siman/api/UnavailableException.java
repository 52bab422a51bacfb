package io.siman.api;

/** Something known by name cannot run here (a backend without its device, say); the message says why. */
public class UnavailableException extends SimanException {
    public UnavailableException(String message) {
        super(message);
    }
}
