package io.siman.backend.gpu;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendProbe;
import io.siman.api.BackendProvider;
import io.siman.api.UnavailableException;

import java.util.List;

/**
 * The OpenCL backend, named {@code gpu}. Its probe finds OpenCL devices (GPUs first) and reports the device it
 * would use: name, memory and compute units. CPU OpenCL devices (PoCL) are considered only when
 * {@value #ALLOW_CPU_PROPERTY}{@code =true} or {@value #ALLOW_CPU_ENV}{@code =1}, and then rank below the CPU
 * backend; a real GPU ranks above it.
 */
public final class OpenClBackendProvider implements BackendProvider {
    public static final String NAME = "gpu";
    public static final String ALLOW_CPU_PROPERTY = "siman.gpu.allowCpuDevices";
    public static final String ALLOW_CPU_ENV = "SIMAN_GPU_ALLOW_CPU";
    /** A real GPU outranks the CPU backend; a CPU OpenCL device ranks below it. */
    static final int GPU_PRIORITY = BackendProbe.CPU_PRIORITY + 100;
    static final int CPU_DEVICE_PRIORITY = BackendProbe.CPU_PRIORITY - 50;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public BackendProbe probe() {
        List<OpenClDevices.Found> devices;
        try {
            devices = OpenClDevices.list();
        } catch (LinkageError e) {
            return BackendProbe.unavailable("no OpenCL library (install an OpenCL driver and ocl-icd-libopencl1): " + e.getMessage());
        } catch (RuntimeException e) {
            return BackendProbe.unavailable("OpenCL failed: " + e.getMessage());
        }
        OpenClDevices.Found chosen = choose(devices);
        if (chosen == null) {
            return BackendProbe.unavailable(devices.isEmpty() ? "no OpenCL device found"
                    : "no OpenCL GPU found (CPU device " + devices.get(0).info().name() + " is used only with -D"
                    + ALLOW_CPU_PROPERTY + "=true or " + ALLOW_CPU_ENV + "=1)");
        }
        return new BackendProbe(true, chosen.gpu() ? GPU_PRIORITY : CPU_DEVICE_PRIORITY, chosen.info(), "");
    }

    /** The first GPU, else (when allowed) the first other device, else null. */
    private static OpenClDevices.Found choose(List<OpenClDevices.Found> devices) {
        boolean allowCpu = Boolean.getBoolean(ALLOW_CPU_PROPERTY) || "1".equals(System.getenv(ALLOW_CPU_ENV));
        return devices.stream().filter(OpenClDevices.Found::gpu).findFirst()
                .orElse(allowCpu && !devices.isEmpty() ? devices.get(0) : null);
    }

    @Override
    public Backend create(BackendOptions options) {
        OpenClDevices.Found chosen;
        try {
            chosen = choose(OpenClDevices.list());
        } catch (LinkageError | RuntimeException e) {
            throw new UnavailableException("backend 'gpu' is unavailable: " + probe().reason());
        }
        if (chosen == null) {
            throw new UnavailableException("backend 'gpu' is unavailable: " + probe().reason());
        }
        return new OpenClBackend(chosen);
    }
}
