/** The pure-Java CPU backend of SiMaN-J. */
module io.siman.backend.cpu {
    requires io.siman.api;
    // optional: the vectorized kernels are used only when the incubator module is present
    requires static jdk.incubator.vector;
    provides io.siman.api.BackendProvider with io.siman.backend.cpu.CpuBackendProvider;
}
