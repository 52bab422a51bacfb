package io.siman.backend.tornado;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendProbe;
import io.siman.api.BackendProvider;
import io.siman.api.UnavailableException;

/**
 * The {@code tornado} backend: the kernel contract as TornadoVM tasks written in Java. Available when the JVM runs
 * TornadoVM (started with its argfile: {@code ./siman --backend tornado} does that when {@code TORNADOVM_HOME} is
 * set) and TornadoVM lists a device. A GPU ranks 190 (above {@code cpu}, below the JOCL {@code gpu} backend); an
 * OpenCL CPU device (PoCL) ranks 40 and is used only when allowed, with the switch of the {@code gpu} backend
 * ({@code -Dsiman.gpu.allowCpuDevices=true} or {@code SIMAN_GPU_ALLOW_CPU=1}). The cheap constructor touches no
 * TornadoVM class, so listing backends without TornadoVM works.
 */
public final class TornadoBackendProvider implements BackendProvider {
    public static final String NAME = "tornado";
    static final int GPU_PRIORITY = 190, CPU_DEVICE_PRIORITY = 40;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public BackendProbe probe() {
        try {
            return TornadoDevices.probe();
        } catch (LinkageError e) {
            // TornadoVM's API is not on the path: the class that uses it cannot even be loaded
            return BackendProbe.unavailable(TornadoDevices.NOT_INSTALLED);
        }
    }

    @Override
    public Backend create(BackendOptions options) {
        BackendProbe probe = probe();
        if (!probe.available()) {
            throw new UnavailableException("backend 'tornado' is unavailable: " + probe.reason());
        }
        return new TornadoBackend(TornadoDevices.engine(options.properties()), probe.device());
    }
}
