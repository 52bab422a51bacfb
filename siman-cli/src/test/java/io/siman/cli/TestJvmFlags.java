package io.siman.cli;

import java.util.Arrays;
import java.util.List;

/**
 * The extra JVM flags of this test run ({@code -Dsiman.test.flags}, e.g. {@code -XX:UseAVX=2} in the AVX2 pass of
 * {@code scripts/test.sh}), for tests that start JVMs of their own: a child must take the same CPU path as its test.
 */
final class TestJvmFlags {
    private TestJvmFlags() {
    }

    static List<String> get() {
        String flags = System.getProperty("siman.test.flags", "").strip();
        return flags.isEmpty() ? List.of() : Arrays.asList(flags.split("\\s+"));
    }
}
