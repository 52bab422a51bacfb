package io.siman.models.binarizers;

import io.siman.api.Encoding;
import io.siman.api.SimanException;

/** What the sign-based baselines share. */
final class SignBased {
    private SignBased() {
    }

    /** Sign-based binarizers produce -1/+1 weights; the zero-one encoding is SiMaN's alone. */
    static void requirePm1(String name, Encoding encoding) {
        if (encoding != Encoding.PM1) {
            throw new SimanException("binarizer '" + name + "' is sign-based: encoding '" + encoding.id()
                    + "' applies only to siman; use pm1");
        }
    }
}
