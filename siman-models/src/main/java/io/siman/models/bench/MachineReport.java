package io.siman.models.bench;

import io.siman.api.Backend;
import io.siman.api.HostCpu;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a benchmark's numbers were measured on, printed beside them: the CPU model and the flags that decide the
 * kernels (AVX2, AVX-512, VPOPCNTQ...), the JVM's version and flags ({@code -XX:UseAVX=2} makes an AVX-512 machine take
 * the AVX2 path), and which kernels the backend chose.
 */
public record MachineReport(String cpu, String cpuFlags, String java, String jvmFlags, String backend, String kernelPath) {

    public static MachineReport of(Backend backend) {
        HostCpu cpu = HostCpu.current();
        String flags = String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments());
        return new MachineReport(cpu.model(), cpu.kernelFlags(), Runtime.version().toString(), flags.isEmpty() ? "(none)" : flags,
                backend.name(), backend.kernelPath().isEmpty() ? backend.device().name() : backend.kernelPath());
    }

    /** Three lines for a console. */
    public String text() {
        return cpuLine() + "\njava: " + java + ", flags: " + jvmFlags + "\nbackend: " + backend + " (" + kernelPath + ")";
    }

    /** The first line of {@link #text}: this machine's CPU model and kernel flags (for reports without a backend). */
    public static String cpuLine() {
        HostCpu cpu = HostCpu.current();
        return "cpu: " + cpu.model() + " [" + cpu.kernelFlags() + "]";
    }

    /** For JSON reports. */
    public Map<String, Object> map() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpu);
        m.put("cpu_flags", cpuFlags);
        m.put("java", java);
        m.put("jvm_flags", jvmFlags);
        m.put("backend", backend);
        m.put("kernel_path", kernelPath);
        return m;
    }
}
