package io.siman.examples;

// docs/embedding.md shows this file from here to the end; EmbeddingExampleTest compiles it, runs it, and checks
// that the manual shows it unchanged.
import io.siman.models.Classifier;
import io.siman.models.Siman;
import io.siman.models.TrainingRun;
import io.siman.models.data.InMemoryDataset;
import io.siman.models.inference.ModelExport;
import io.siman.models.train.TrainingConfig;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Trains a SiMaN ResNet-20 on Fashion-MNIST, exports it with 1-bit weights, and classifies a picture bitwise. */
public final class EmbeddingExample {
    /** What the example measured, and what it said of the picture. */
    public record Outcome(double trainedAccuracy, double bitwiseAccuracy, long modelFileBytes, Classifier.Prediction picture) {
    }

    public static Outcome run(Path workDir, Path picture) throws IOException {
        try (Siman siman = Siman.builder().backend("cpu").threads(2).build()) {
            // 1. Train: settings not given keep the command line's defaults (docs/cli.md); the data is read from
            //    the Debian package's folder (TrainingRun.dataDir(...) names another).
            TrainingConfig config = TrainingConfig.builder().model("resnet20").dataset("fashion-mnist")
                    .binarizer("siman").epochs(1).batch(64).limit(3000).build();
            TrainingRun.Result trained = siman.train(config, workDir.resolve("run"));

            // 2. Export: binarized weights packed one bit each, batch norm folded into a per-channel affine.
            ModelExport.Result exported = siman.export(trained.bestCheckpoint(), workDir.resolve("r20.siman"));

            // 3. Evaluate bitwise (XNOR and popcount) on the test set, and classify one's own picture: the
            //    classifier resizes, greys and normalizes it as the model file says.
            double bitwise = siman.evaluate(exported.file()).accuracy();
            try (Classifier classifier = siman.load(exported.file())) {
                Classifier.Prediction p = classifier.predict(ImageIO.read(picture.toFile()));
                return new Outcome(trained.bestTestAccuracy(), bitwise, exported.fileBytes(), p);
            }
        }
    }

    /** Training on images already in memory: preprocessed floats [n, channels, height, width] and their labels. */
    public static TrainingRun.Result trainInMemory(Siman siman, float[] images, int[] labels, float[] testImages,
                                                   int[] testLabels, Path out) {
        List<String> classes = List.of("no", "yes");
        InMemoryDataset train = new InMemoryDataset("mine", images, labels, 1, 32, 32, classes);
        InMemoryDataset test = new InMemoryDataset("mine-test", testImages, testLabels, 1, 32, 32, classes);
        TrainingConfig config = TrainingConfig.builder().epochs(2).batch(32).build();
        return siman.training(config).data(train, test).run(out);
    }

    public static void main(String[] args) throws IOException {
        Outcome o = run(Path.of(args.length > 0 ? args[0] : "example-run"), Path.of(args.length > 1 ? args[1] : "shirt.png"));
        System.out.printf("trained: %.4f, bitwise: %.4f, model file: %d bytes, the picture: %s (%.1f%%)%n", o.trainedAccuracy(),
                o.bitwiseAccuracy(), o.modelFileBytes(), o.picture().label(), 100 * o.picture().probability());
    }
}
