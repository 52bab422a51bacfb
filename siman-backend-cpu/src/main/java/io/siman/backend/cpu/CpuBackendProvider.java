package io.siman.backend.cpu;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendProbe;
import io.siman.api.BackendProvider;
import io.siman.api.DeviceInfo;
import io.siman.api.HostCpu;


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
        return HostCpu.current().model();
    }
}
