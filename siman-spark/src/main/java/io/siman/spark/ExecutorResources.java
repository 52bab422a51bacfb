package io.siman.spark;

import io.siman.api.SimanException;
import io.siman.models.Siman;
import io.siman.models.data.Dataset;
import io.siman.models.data.Datasets;
import io.siman.models.inference.Predictor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What an executor JVM keeps between tasks: one CPU backend for inference, one {@link Predictor} per broadcast model
 * (loaded on first use, reused by every later task and thread; a predictor is thread-safe), and the training sets
 * workers read their shards from. Nothing here is serialized: each executor builds its own.
 */
final class ExecutorResources {
    /** Worker threads of each executor's backend: Spark runs one task per core, so tasks do not share cores. */
    static final String THREADS_PROPERTY = "siman.spark.threads";

    private static volatile Siman inference;
    private static final Map<String, Predictor> PREDICTORS = new ConcurrentHashMap<>();
    private static final Map<String, Dataset> DATASETS = new ConcurrentHashMap<>();

    private ExecutorResources() {
    }

    static int threads() {
        return Integer.getInteger(THREADS_PROPERTY, 1);
    }

    private static Siman inference() {
        Siman s = inference;
        if (s == null) {
            synchronized (ExecutorResources.class) {
                s = inference;
                if (s == null) {
                    s = Siman.builder().backend("cpu").threads(threads()).build();
                    inference = s;
                }
            }
        }
        return s;
    }

    /** The predictor of the model whose file's bytes are {@code model}, keyed by its checksum. */
    static Predictor predictor(String sha256, byte[] model) {
        return PREDICTORS.computeIfAbsent(sha256, key -> {
            Siman s = inference();
            Path tmp = null;
            try {
                tmp = Files.createTempFile("siman-model-", ".siman");
                Files.write(tmp, model);
                return Predictor.load(s.backend(), s.binarizers(), tmp);
            } catch (IOException e) {
                throw new SimanException("executor: cannot stage the broadcast model (" + e.getMessage() + ")");
            } finally {
                if (tmp != null) {
                    try {
                        Files.deleteIfExists(tmp);
                    } catch (IOException ignored) {
                        // a temporary file left behind is harmless
                    }
                }
            }
        });
    }

    /** A dataset's training split, read once per executor. */
    static Dataset trainingSet(String dataset, String dataDir) {
        return DATASETS.computeIfAbsent(dataset + "|" + dataDir,
                key -> Datasets.open(dataset, dataDir == null ? null : Path.of(dataDir), Datasets.Split.TRAIN));
    }
}
