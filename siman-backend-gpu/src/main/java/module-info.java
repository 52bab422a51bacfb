/** The OpenCL (JOCL) backend of SiMaN-J. */
module io.siman.backend.gpu {
    requires io.siman.api;
    requires jocl;
    provides io.siman.api.BackendProvider with io.siman.backend.gpu.OpenClBackendProvider;
}
