package io.siman.backend.tornado;

import io.siman.api.BackendProbe;
import io.siman.api.DeviceInfo;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoRuntime;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

import java.util.Locale;
import java.util.Map;

/** What TornadoVM finds here, and the JVM's one engine on the chosen device. Loaded only when probing. */
final class TornadoDevices {
    static final String ALLOW_CPU_PROPERTY = "siman.gpu.allowCpuDevices";
    static final String POOL_PROPERTY = "tornado.poolMiB";
    static final int DEFAULT_POOL_MIB = 3072;
    static final String NOT_INSTALLED = "TornadoVM is not installed: install it, set TORNADOVM_HOME and run ./siman (docs/tornadovm.md)";

    private static BackendProbe probe;
    private static TornadoDevice chosen;
    private static TornadoEngine engine;

    private TornadoDevices() {
    }

    static boolean cpuDevicesAllowed() {
        return Boolean.getBoolean(ALLOW_CPU_PROPERTY) || "1".equals(System.getenv("SIMAN_GPU_ALLOW_CPU"));
    }

    static synchronized BackendProbe probe() {
        if (probe == null) {
            probe = find();
        }
        return probe;
    }

    private static BackendProbe find() {
        try {
            Class.forName("uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider");
        } catch (ClassNotFoundException | LinkageError e) {
            return BackendProbe.unavailable(NOT_INSTALLED);
        }
        try {
            TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
            TornadoDevice gpu = null, other = null;
            StringBuilder seen = new StringBuilder();
            for (int b = 0; b < runtime.getNumBackends(); b++) {
                TornadoBackend backend = runtime.getBackend(b);
                for (int d = 0; d < backend.getNumDevices(); d++) {
                    TornadoDevice device = backend.getDevice(d);
                    seen.append(seen.isEmpty() ? "" : ", ").append(device.getPhysicalDevice().getDeviceName().trim());
                    if (device.getDeviceType() == TornadoDeviceType.GPU && gpu == null) {
                        gpu = device;
                    } else if (other == null) {
                        other = device;
                    }
                }
            }
            if (gpu != null) {
                chosen = gpu;
                return BackendProbe.available(TornadoBackendProvider.GPU_PRIORITY, info(gpu, "gpu"));
            }
            if (other == null) {
                return BackendProbe.unavailable("TornadoVM lists no device");
            }
            if (!cpuDevicesAllowed()) {
                return BackendProbe.unavailable("TornadoVM lists only a non-GPU device (" + seen
                        + "); allow it with SIMAN_GPU_ALLOW_CPU=1 or -D" + ALLOW_CPU_PROPERTY + "=true");
            }
            chosen = other;
            return BackendProbe.available(TornadoBackendProvider.CPU_DEVICE_PRIORITY, info(other, "cpu"));
        } catch (Throwable t) {
            // a JVM started without TornadoVM's argfile fails here (JVMCI and the module layer are missing)
            String why = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().lines().findFirst().orElse("");
            return BackendProbe.unavailable("the TornadoVM runtime did not start (is the JVM started with TornadoVM's argfile? "
                    + "./siman does it when TORNADOVM_HOME is set): " + why);
        }
    }

    private static DeviceInfo info(TornadoDevice device, String kind) {
        String name = device.getPhysicalDevice().getDeviceName().trim() + " (TornadoVM "
                + device.getTornadoVMBackend().name().toLowerCase(Locale.ROOT) + ")";
        return new DeviceInfo(name, kind, device.getPhysicalDevice().getDeviceGlobalMemorySize(), device.getPhysicalDevice().getDeviceMaxComputeUnits());
    }

    /** The JVM's engine, created on first use with the pool size of the first backend's properties. */
    static synchronized TornadoEngine engine(Map<String, String> properties) {
        if (engine == null) {
            long mib = Long.parseLong(properties.getOrDefault(POOL_PROPERTY,
                    System.getProperty("siman." + POOL_PROPERTY, Integer.toString(DEFAULT_POOL_MIB))));
            long bytes = mib << 20;
            // floats take most of it; packed bits and int tensors (labels, argmax) are small
            engine = new TornadoEngine(chosen, Math.min(Integer.MAX_VALUE - 64, bytes * 3 / 4 / 4), (int) (bytes / 32 / 4), (int) (bytes / 8 / 8));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                synchronized (TornadoDevices.class) {
                    engine.close();
                }
            }, "siman-tornado-release"));
        }
        return engine;
    }
}
