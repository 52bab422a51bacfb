package io.siman.api;

/**
 * What a backend computes on.
 *
 * @param name        human-readable device name, such as the CPU model or the GPU name
 * @param kind        "cpu", "gpu" or another accelerator kind
 * @param memoryBytes memory usable by the backend, 0 when unknown
 * @param cores       cores or compute units, 0 when unknown
 */
public record DeviceInfo(String name, String kind, long memoryBytes, int cores) {
    public static final DeviceInfo NONE = new DeviceInfo("none", "none", 0, 0);

    public String describe() {
        StringBuilder b = new StringBuilder(name);
        if (cores > 0) {
            b.append(", ").append(cores).append(kind.equals("cpu") ? " cores" : " compute units");
        }
        if (memoryBytes > 0) {
            b.append(", ").append(String.format(java.util.Locale.ROOT, "%.1f GiB", memoryBytes / (double) (1L << 30)));
        }
        return b.toString();
    }
}
