package io.siman.backend.cpu;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendProbe;
import io.siman.api.BackendProvider;
import io.siman.api.DeviceInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Provider of the pure-Java backend, named {@code cpu}. Always available. */
public final class CpuBackendProvider implements BackendProvider {
    public static final String NAME = "cpu";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public BackendProbe probe() {
        return BackendProbe.available(BackendProbe.CPU_PRIORITY, device());
    }

    @Override
    public Backend create(BackendOptions options) {
        return new CpuBackend(options.resolvedThreads(), device(), options.properties());
    }

    static DeviceInfo device() {
        return new DeviceInfo(cpuModel(), "cpu", Runtime.getRuntime().maxMemory(), Runtime.getRuntime().availableProcessors());
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: the architecture name will do
        }
        return System.getProperty("os.arch", "cpu");
    }
}
