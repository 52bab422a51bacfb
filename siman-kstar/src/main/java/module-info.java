/** The binarizer plugin siman-kstar: SiMaN with k* ones per output channel. */
module io.siman.kstar {
    requires io.siman.api;
    exports io.siman.kstar;
    provides io.siman.api.Binarizer with io.siman.kstar.KStarBinarizer;
}
