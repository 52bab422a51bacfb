package io.siman.api;

import java.util.Collection;

/** A backend, binarizer, model or dataset was asked for by a name nobody registered. */
public class UnknownNameException extends SimanException {
    public UnknownNameException(String what, String name, Collection<String> known) {
        super("unknown " + what + " '" + name + "'; known: " + (known.isEmpty() ? "(none)" : String.join(", ", known)));
    }
}
