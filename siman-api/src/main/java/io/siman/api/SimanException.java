package io.siman.api;

/**
 * Base of every error SiMaN-J reports on purpose. The message is one line a user can act on; the CLI
 * prints it as it is, without a stack trace.
 */
public class SimanException extends RuntimeException {
    public SimanException(String message) {
        super(message);
    }

    public SimanException(String message, Throwable cause) {
        super(message, cause);
    }
}
