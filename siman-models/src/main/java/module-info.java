/**
 * SiMaN-J's library: the {@link io.siman.models.Siman} facade and what it works with. Exported: the facade
 * ({@code io.siman.models}), training ({@code train}), data ({@code data}), checkpoint and model files ({@code io}),
 * inference and export ({@code inference}), the zoo and its layers ({@code nets}, {@code layers}: a network's
 * parts are public types), progress callbacks, and the reports the command line prints ({@code summary},
 * {@code analysis}, {@code bench}). The built-in binarizers are internal: they are services, reached by name
 * through {@link io.siman.api.BinarizerRegistry}.
 */
module io.siman.models {
    requires transitive io.siman.api;
    requires transitive java.desktop; // BufferedImage in the Classifier's API; ImageIO reads pictures
    requires java.management; // the training benchmark's allocation and memory figures
    requires static jdk.management; // HotSpot's per-thread allocation counter, when present

    exports io.siman.models;
    exports io.siman.models.analysis;
    exports io.siman.models.bench;
    exports io.siman.models.data;
    exports io.siman.models.inference;
    exports io.siman.models.io;
    exports io.siman.models.layers;
    exports io.siman.models.nets;
    exports io.siman.models.progress;
    exports io.siman.models.summary;
    exports io.siman.models.train;

    uses io.siman.api.BackendProvider;
    uses io.siman.api.Binarizer;
    provides io.siman.api.Binarizer with io.siman.models.binarizers.SimanBinarizer, io.siman.models.binarizers.XnorBinarizer,
            io.siman.models.binarizers.IrNetBinarizer, io.siman.models.binarizers.FullPrecisionBinarizer;
}
