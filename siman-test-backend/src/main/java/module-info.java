/** A tiny inference-only backend for tests: the core kernels and the bitwise group. */
module io.siman.testbackend {
    requires io.siman.api;
    provides io.siman.api.BackendProvider with io.siman.testbackend.InferenceOnlyProvider;
}
