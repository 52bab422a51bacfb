package io.siman.api;

/**
 * What a provider found when asked whether it can run here.
 *
 * @param available whether {@link BackendProvider#create} will succeed
 * @param priority  rank used by automatic selection, higher wins; may depend on what was found
 *                  (a GPU backend outranks the CPU backend only on a real GPU)
 * @param device    the device it would use ({@link DeviceInfo#NONE} when none)
 * @param reason    why it is unavailable; empty when available
 */
public record BackendProbe(boolean available, int priority, DeviceInfo device, String reason) {
    /** Priority of the pure-Java CPU backend; a real GPU ranks above it, a CPU OpenCL device below. */
    public static final int CPU_PRIORITY = 100;

    public static BackendProbe available(int priority, DeviceInfo device) {
        return new BackendProbe(true, priority, device, "");
    }

    public static BackendProbe unavailable(String reason) {
        return new BackendProbe(false, 0, DeviceInfo.NONE, reason);
    }
}
