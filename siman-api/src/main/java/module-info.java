/**
 * The SiMaN-J contract. Backends implement {@link io.siman.api.BackendProvider}; binarizers implement
 * {@link io.siman.api.Binarizer}; both are found with {@link java.util.ServiceLoader}.
 */
module io.siman.api {
    exports io.siman.api;
    uses io.siman.api.BackendProvider;
    uses io.siman.api.Binarizer;
}
