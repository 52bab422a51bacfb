package io.siman.examples;

// docs/embedding.md shows this file from here to the end; EmbeddingExampleTest compiles it, runs it, and checks
// that the manual shows it unchanged.
import io.siman.api.Encoding;
import io.siman.models.Siman;
import io.siman.models.data.Dataset;
import io.siman.models.data.Datasets;
import io.siman.models.inference.Predictor;
import io.siman.models.io.ModelExport;
import io.siman.models.train.Trainer;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingListener;

import java.nio.file.Path;
import java.util.Map;

/** Trains a small SiMaN ResNet-20 on Fashion-MNIST, exports it with 1-bit weights, and classifies bitwise. */
public final class EmbeddingExample {
    /** What the example measured: the trained network's test accuracy, and the bitwise one of the exported file. */
    public record Outcome(double trainedTestAccuracy, double bitwiseTestAccuracy, long modelFileBytes) {
    }

    public static Outcome run(Path dataDir, Path workDir, int trainImages, int testImages) {
        try (Siman siman = Siman.builder().backend("cpu").threads(2).build()) {
            // 1. Train: the same options as `siman train` (model, dataset, binarizer, encoding, epochs, batch,
            //    lr, momentum, weight decay, binarized weight decay (null: the method's rule), warm-up, seed,
            //    limit, validation split).
            TrainingConfig config = new TrainingConfig("resnet20", "fashion-mnist", "siman", Encoding.PM1,
                    1, 64, 0.1, 0.9, 5e-4, null, 0, 42, trainImages, 0);
            Path run = workDir.resolve("run");
            Trainer.Result trained = new Trainer(siman.backend(), siman.binarizers(), config, dataDir, run,
                    TrainingListener.NONE, Map.of()).run(false);

            // 2. Export: binarized weights packed one bit each, batch norm folded into a per-channel affine.
            ModelExport.Result exported = ModelExport.export(siman.backend(), siman.binarizers(),
                    run.resolve(Trainer.BEST), workDir.resolve("r20.siman"));

            // 3. Predict bitwise (XNOR and popcount) on preprocessed test images; a Predictor is thread-safe.
            Dataset test = Datasets.open("fashion-mnist", dataDir, Datasets.Split.TEST);
            int[] indices = new int[testImages];
            for (int i = 0; i < testImages; i++) {
                indices[i] = i;
            }
            float[] images = new float[testImages * test.imageSize()];
            int[] labels = new int[testImages];
            test.batch(indices, 0, testImages, null, images, labels);
            try (Predictor predictor = Predictor.load(siman.backend(), siman.binarizers(), exported.file())) {
                int[] predicted = predictor.classify(images, testImages);
                int correct = 0;
                for (int i = 0; i < testImages; i++) {
                    correct += predicted[i] == labels[i] ? 1 : 0;
                }
                System.out.println("first test image: " + predictor.classNames().get(predicted[0]));
                return new Outcome(trained.bestTestAcc(), (double) correct / testImages, exported.fileBytes());
            }
        }
    }

    public static void main(String[] args) {
        Outcome o = run(null, Path.of(args.length > 0 ? args[0] : "example-run"), 3000, 1000);
        System.out.printf("trained: %.4f, bitwise on 1000 test images: %.4f, model file: %d bytes%n",
                o.trainedTestAccuracy(), o.bitwiseTestAccuracy(), o.modelFileBytes());
    }
}
