package io.siman.backend.gpu;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendProbe;
import io.siman.api.BackendProvider;
import io.siman.api.UnavailableException;

import java.util.List;

/**
 * The OpenCL backend, named {@code gpu}. Its probe finds OpenCL devices (GPUs first) and reports what it
 * found. CPU OpenCL devices (PoCL) are considered only when {@value #ALLOW_CPU_PROPERTY}{@code =true} or
 * {@value #ALLOW_CPU_ENV}{@code =1}. The OpenCL kernels are not written yet, so the backend reports itself
 * unavailable with that reason, after naming the device it would use.
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
        boolean allowCpu = Boolean.getBoolean(ALLOW_CPU_PROPERTY) || "1".equals(System.getenv(ALLOW_CPU_ENV));
        OpenClDevices.Found chosen = devices.stream().filter(OpenClDevices.Found::gpu).findFirst()
                .orElse(allowCpu && !devices.isEmpty() ? devices.get(0) : null);
        if (chosen == null) {
            return BackendProbe.unavailable(devices.isEmpty() ? "no OpenCL device found"
                    : "no OpenCL GPU found (CPU device " + devices.get(0).info().name() + " is used only with -D"
                    + ALLOW_CPU_PROPERTY + "=true or " + ALLOW_CPU_ENV + "=1)");
        }
        return new BackendProbe(false, chosen.gpu() ? GPU_PRIORITY : CPU_DEVICE_PRIORITY, chosen.info(),
                "found " + chosen.info().describe() + ", but the OpenCL kernels are not implemented yet");
    }

    @Override
    public Backend create(BackendOptions options) {
        throw new UnavailableException("backend 'gpu' is unavailable: " + probe().reason());
    }
}
