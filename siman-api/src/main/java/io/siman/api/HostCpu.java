package io.siman.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The processor this JVM runs on, as the operating system reports it (Linux's {@code /proc/cpuinfo}): its model
 * and feature flags. Backends name the device with it and say which kernels they chose from it; benchmarks print it
 * beside their numbers. Elsewhere the model is the architecture's name and the flags are empty.
 */
public record HostCpu(String model, Set<String> flags) {
    /** The flags that decide the CPU backend's kernels: vector width, FMA and the popcount instructions. */
    public static final List<String> KERNEL_FLAGS = List.of("popcnt", "fma", "avx2", "avx512f", "avx512bw", "avx512_vpopcntdq");

    private static final HostCpu THIS = read(Path.of("/proc/cpuinfo"));

    public HostCpu {
        flags = Set.copyOf(flags);
    }

    /** This machine's CPU, read once. */
    public static HostCpu current() {
        return THIS;
    }

    /** Parses a {@code /proc/cpuinfo}-style file: the first processor's "model name" and "flags". */
    public static HostCpu read(Path cpuinfo) {
        String model = System.getProperty("os.arch", "cpu");
        Set<String> flags = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
                if (key.equals("model name") && flags.isEmpty()) {
                    model = value;
                } else if (key.equals("flags") && flags.isEmpty()) {
                    flags.addAll(Arrays.asList(value.split("\\s+")));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: the architecture's name and no flags
        }
        return new HostCpu(model, flags);
    }

    public boolean has(String flag) {
        return flags.contains(flag);
    }

    /** The {@link #KERNEL_FLAGS} this CPU has, for reports: "avx2 avx512f ...", or "none of ..." where it has none. */
    public String kernelFlags() {
        String present = String.join(" ", KERNEL_FLAGS.stream().filter(this::has).toList());
        return present.isEmpty() ? "none of " + String.join(", ", KERNEL_FLAGS) : present;
    }
}
