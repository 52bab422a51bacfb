package io.siman.spark;

import io.siman.api.SimanException;
import io.siman.cli.BackendOption;
import io.siman.cli.TrainingOptions;
import io.siman.cli.TrainingRunOptions;
import io.siman.models.Siman;
import io.siman.models.train.EpochMetrics;
import io.siman.models.train.Trainer;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingListener;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code siman spark}: the distributed commands, on any Spark master. */
@Command(name = "spark", mixinStandardHelpOptions = true,
        description = {"Runs SiMaN-J on Apache Spark: bitwise batch inference and data-parallel training.",
                "--master takes local[N] (N worker threads), local[N,F] (F attempts per task), spark://HOST:PORT, yarn or k8s://URL;",
                "without it, the master spark-submit set."},
        subcommands = {SparkCommand.Predict.class, SparkCommand.Train.class})
public final class SparkCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** Options every spark subcommand takes. */
    static final class MasterOption {
        @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: the one spark-submit set, else local[*]).")
        String master;

        String resolved() {
            if (master != null) {
                return master;
            }
            return System.getProperty("spark.master") != null ? null : "local[*]";
        }
    }

    @Command(name = "predict", mixinStandardHelpOptions = true,
            description = {"Classifies images with a 1-bit model file, bitwise, in parallel: the model is broadcast once and",
                    "loaded once per executor. Writes Parquet rows (index, name, class, label, probability)."})
    static final class Predict implements Callable<Integer> {
        @Mixin
        MasterOption master;

        @Option(names = "--model-file", required = true, paramLabel = "FILE", description = "A model file written by 'siman export'.")
        Path modelFile;

        @Option(names = "--input", required = true, paramLabel = "PATH",
                description = "An IDX images file, a CIFAR-10 batch file, a folder (or hdfs://, s3a://... URL) of PNG/JPEG images, or Parquet with an 'image' column.")
        String input;

        @Option(names = "--output", required = true, paramLabel = "PATH", description = "Where to write the predictions as Parquet.")
        String output;

        @Option(names = "--partitions", defaultValue = "8", paramLabel = "N", description = "Partitions of inputs read on the driver (default: ${DEFAULT-VALUE}).")
        int partitions;

        @Option(names = "--overwrite", description = "Replace --output if it exists.")
        boolean overwrite;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter o = spec.commandLine().getOut();
            if (!overwrite && !output.contains("://") && java.nio.file.Files.exists(Path.of(output))) {
                throw new SimanException(output + " exists; give --overwrite to replace it");
            }
            io.siman.models.io.ModelFile model = io.siman.models.io.ModelFile.read(modelFile);
            String dataset = model.header().get("dataset");
            int channels = io.siman.models.inference.ModelExport.spec(model, modelFile).inChannels();
            SparkSession spark = SparkSessions.start(master.resolved(), "siman spark predict");
            try {
                long t0 = System.nanoTime();
                Dataset<Row> images = SparkPredict.images(spark, input, dataset, channels, partitions);
                Dataset<Row> predictions = SparkPredict.predict(spark, modelFile, images);
                predictions.write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(output);
                long count = spark.read().parquet(output).count();
                o.println(String.format(Locale.ROOT, "%d predictions written to %s in %.1f s (master %s)", count, output,
                        (System.nanoTime() - t0) / 1e9, spark.sparkContext().master()));
            } catch (Exception e) {
                throw SparkErrors.oneLine(e);
            } finally {
                spark.stop();
            }
            return 0;
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Trains like 'siman train', data-parallel on Spark, with every option of 'siman train'.",
                    "--workers Spark tasks each train --sync-steps steps on their shard from the same weights, then the driver",
                    "averages weights, alphas, batch-norm statistics and velocities. --backend and --threads choose each worker's",
                    "backend (default: cpu) and threads (default: -Dsiman.spark.threads, else 1); the driver evaluates on the same backend.",
                    "The dataset folder must be readable at the same path on every executor."})
    static final class Train implements Callable<Integer> {
        @Mixin
        MasterOption master;

        @Mixin
        TrainingOptions training;

        @Option(names = "--workers", defaultValue = "2", paramLabel = "N", description = "Parallel workers (shards) (default: ${DEFAULT-VALUE}).")
        int workers;

        @Option(names = "--sync-steps", defaultValue = "4", paramLabel = "K", description = "Steps per worker between two averagings (default: ${DEFAULT-VALUE}).")
        int syncSteps;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for checkpoints and metrics.")
        Path out;

        @Mixin
        TrainingRunOptions runOptions;

        @Mixin
        BackendOption backendOption;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter o = spec.commandLine().getOut();
            runOptions.checkOutput(out);
            TrainingConfig config = runOptions.resume ? TrainingRunOptions.storedConfig(out, training, spec.commandLine().getParseResult())
                    : training.config();
            String workerBackend = backendOption.backend != null ? backendOption.backend : "cpu";
            SparkTraining.Options options = new SparkTraining.Options(config,
                    training.dataDir == null ? null : training.dataDir.toAbsolutePath().toString(), out, workers, syncSteps,
                    runOptions.resume, workerBackend, backendOption.threads, runOptions.init);
            SparkSession spark = SparkSessions.start(master.resolved(), "siman spark train");
            try (Siman driver = Siman.builder().backend(workerBackend).threads(backendOption.threads).build()) {
                if (!runOptions.quiet) {
                    o.println(String.format(Locale.ROOT, "%s %s: %s on %s, %d epochs, batch %d (%d per worker), %d workers averaging every %d steps, master %s -> %s",
                            runOptions.resume ? "resuming" : "training", config.model(), config.binarizer(), config.dataset(), config.epochs(),
                            config.batch(), config.batch() / workers, workers, syncSteps, spark.sparkContext().master(), out));
                    o.flush();
                }
                Map<String, String> run = new LinkedHashMap<>();
                run.put("command", "siman spark train");
                SparkTraining.Result r = SparkTraining.run(spark, driver, options, runOptions.quiet ? TrainingListener.NONE : new TrainingListener() {
                    @Override
                    public void epochFinished(EpochMetrics m) {
                        o.println(String.format(Locale.ROOT, "epoch %d/%d: train loss %.4f, train acc %.4f, test acc %.4f, %.0f images/s",
                                m.epoch() + 1, config.epochs(), m.trainLoss(), m.trainAcc(), m.testAcc(), m.imagesPerSecond()));
                        o.flush();
                    }
                }, run);
                o.println(String.format(Locale.ROOT, "best test accuracy %.2f%% (epoch %d), final %.2f%%; %d rounds; checkpoints in %s",
                        100 * r.bestTestAcc(), r.bestEpoch() + 1, 100 * r.finalTestAcc(), r.rounds(), out));
            } catch (Exception e) {
                throw SparkErrors.oneLine(e);
            } finally {
                spark.stop();
            }
            return 0;
        }
    }
}
