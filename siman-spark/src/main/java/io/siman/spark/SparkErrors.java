package io.siman.spark;

import io.siman.api.SimanException;

/** Spark wraps what failed in a task in its own exceptions; users get the cause in one line. */
final class SparkErrors {
    private SparkErrors() {
    }

    static SimanException oneLine(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SimanException s) {
                return s;
            }
        }
        if (e.getClass().getName().startsWith("org.apache.spark")) {
            String m = String.valueOf(e.getMessage());
            int nl = m.indexOf('\n');
            return new SimanException("spark: " + (nl > 0 ? m.substring(0, nl) : m));
        }
        if (e instanceof RuntimeException r) {
            throw r;
        }
        return new SimanException(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
}
