/** The pure-Java CPU backend of SiMaN-J. */
module io.siman.backend.cpu {
    requires io.siman.api;
    provides io.siman.api.BackendProvider with io.siman.backend.cpu.CpuBackendProvider;
}
