/**
 * The SiMaN-J contract. Backends implement {@link io.siman.api.BackendProvider}; binarizers implement
 * {@link io.siman.api.Binarizer}; both are found with {@link java.util.ServiceLoader}.
 */
module io.siman.api {
    exports io.siman.api;
    exports io.siman.api.steps;
    uses io.siman.api.BackendProvider;
    uses io.siman.api.Binarizer;
}
