package io.siman.api;

/** A file or value is malformed: corrupt, truncated, out of range, NaN. The message names the file or value. */
public class InvalidDataException extends SimanException {
    public InvalidDataException(String message) {
        super(message);
    }

    public InvalidDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
