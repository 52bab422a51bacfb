package io.siman.spark;

import io.siman.api.Encoding;
import io.siman.cli.Main;
import io.siman.models.Siman;
import io.siman.models.data.Inputs;
import io.siman.models.inference.Predictor;
import io.siman.models.inference.ModelExport;
import io.siman.models.train.Trainer;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingListener;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Distributed bitwise predictions equal single-process bitwise predictions, image by image. */
class SparkPredictTest {
    private static final Path TEST_IMAGES = Path.of("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");

    @TempDir
    static Path dir;
    private static Path model;
    private static Siman siman;

    @BeforeAll
    static void trainASmallModel() {
        siman = Siman.builder().backend("cpu").threads(2).build();
        TrainingConfig config = new TrainingConfig("resnet20", "fashion-mnist", "siman", Encoding.PM1, 1, 64, 0.1, 0.9, 5e-4,
                null, 0, 7, 4000, 0);
        new Trainer(siman.backend(), siman.binarizers(), config, null, dir.resolve("run"), TrainingListener.NONE, Map.of()).run(false);
        model = ModelExport.export(siman.backend(), siman.binarizers(), dir.resolve("run/best.ckpt"), dir.resolve("m.siman")).file();
    }

    @AfterAll
    static void close() {
        siman.close();
    }

    /** The single-process bitwise classes of {@code images}, in order. */
    private static int[] local(List<Inputs.Image> images) {
        try (Predictor p = Predictor.load(siman.backend(), siman.binarizers(), model)) {
            int per = p.imageSize(), n = images.size();
            int[] classes = new int[n];
            for (int from = 0; from < n; from += 256) {
                int count = Math.min(256, n - from);
                float[] batch = new float[count * per];
                for (int i = 0; i < count; i++) {
                    System.arraycopy(images.get(from + i).values(), 0, batch, i * per, per);
                }
                System.arraycopy(p.classify(batch, count), 0, classes, from, count);
            }
            return classes;
        }
    }

    private static int[] byIndex(Dataset<Row> predictions, int n) {
        int[] c = new int[n];
        java.util.Arrays.fill(c, -1);
        for (Row r : predictions.select("index", "class").collectAsList()) {
            int i = (int) r.getLong(0);
            assertEquals(-1, c[i], "index " + i + " predicted twice");
            c[i] = r.getInt(1);
        }
        return c;
    }

    @Test
    void everyTestImageGetsTheSingleProcessPrediction() {
        SparkSession spark = TestSpark.session();
        List<Inputs.Image> images = Inputs.load(TEST_IMAGES, "fashion-mnist", 1);
        int[] expected = local(images);
        Dataset<Row> predictions = SparkPredict.predict(spark, model, SparkPredict.images(spark, TEST_IMAGES.toString(), "fashion-mnist", 1, 4));
        int[] got = byIndex(predictions, images.size());
        assertEquals(10_000, got.length);
        int differ = 0;
        Set<Integer> classes = new HashSet<>();
        for (int i = 0; i < got.length; i++) {
            differ += got[i] != expected[i] ? 1 : 0;
            classes.add(got[i]);
        }
        assertEquals(0, differ, "images whose distributed prediction differs");
        assertTrue(classes.size() >= 5, "a trained model predicts many classes, got " + classes);
    }

    @Test
    void parquetAndPictureFolderInputsGiveTheSamePredictions() throws Exception {
        SparkSession spark = TestSpark.session();
        List<Inputs.Image> images = Inputs.load(TEST_IMAGES, "fashion-mnist", 1).subList(0, 300);
        int[] expected = local(images);
        // Parquet with an 'image' column, written by Spark itself
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            float[] v = images.get(i).values();
            Float[] boxed = new Float[v.length];
            for (int k = 0; k < v.length; k++) {
                boxed[k] = v[k];
            }
            rows.add(RowFactory.create((long) i, images.get(i).name(), boxed));
        }
        String parquet = dir.resolve("images.parquet").toString();
        spark.createDataFrame(rows, SparkPredict.IMAGES).repartition(3).write().parquet(parquet);
        int[] fromParquet = byIndex(SparkPredict.predict(spark, model, SparkPredict.images(spark, parquet, "fashion-mnist", 1, 2)), images.size());
        assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(fromParquet));

        // a folder of PNG files, decoded on the executors, against the same files decoded in this process
        Path pictures = Files.createDirectories(dir.resolve("pictures"));
        for (int i = 0; i < 40; i++) {
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            java.util.SplittableRandom r = new java.util.SplittableRandom(i);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    int g = (x - 14) * (x - 14) + (y - 14) * (y - 14) < 40 + i * 3 ? 200 + r.nextInt(50) : r.nextInt(30);
                    img.getRaster().setSample(x, y, 0, g);
                }
            }
            ImageIO.write(img, "png", pictures.resolve(String.format("img-%03d.png", i)).toFile());
        }
        List<Inputs.Image> decoded = Inputs.load(pictures, "fashion-mnist", 1);
        int[] folderExpected = local(decoded);
        int[] fromFolder = byIndex(SparkPredict.predict(spark, model, SparkPredict.images(spark, pictures.toString(), "fashion-mnist", 1, 2)), 40);
        assertEquals(java.util.Arrays.toString(folderExpected), java.util.Arrays.toString(fromFolder));
    }

    @Test
    void theCommandWritesParquetAndBadInputIsOneLine() {
        SparkSession spark = TestSpark.session();
        String out = dir.resolve("cli-predictions.parquet").toString();
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.run(new PrintWriter(o), new PrintWriter(e), "spark", "predict", "--master", "local[2,2]", "--model-file", model.toString(),
                "--input", TEST_IMAGES.toString(), "--output", out);
        assertEquals(0, code, e.toString());
        assertTrue(o.toString().startsWith("10000 predictions written to " + out), o.toString());
        SparkSession again = TestSpark.session(); // the command stopped the shared session; start it again for later tests
        assertEquals(10_000, again.read().parquet(out).count());
        assertEquals(Set.of("index", "name", "class", "label", "probability"), Set.of(again.read().parquet(out).columns()));

        StringWriter o2 = new StringWriter(), e2 = new StringWriter();
        int bad = Main.run(new PrintWriter(o2), new PrintWriter(e2), "spark", "predict", "--master", "local[2]", "--model-file",
                dir.resolve("missing.siman").toString(), "--input", TEST_IMAGES.toString(), "--output", out + "-2");
        assertEquals(1, bad);
        assertEquals("siman: " + dir.resolve("missing.siman") + ": no such model file", e2.toString().strip());

        StringWriter e3 = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(new StringWriter()), new PrintWriter(e3), "spark", "predict", "--master", "local[2]",
                "--model-file", model.toString(), "--input", TEST_IMAGES.toString(), "--output", out));
        assertEquals("siman: " + out + " exists; give --overwrite to replace it", e3.toString().strip());

        StringWriter e4 = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(new StringWriter()), new PrintWriter(e4), "spark", "train", "--master", "bogus://x",
                "--out", dir.resolve("never").toString()));
        assertTrue(e4.toString().strip().startsWith("siman: unknown Spark master 'bogus://x'; expected local"), e4.toString());
    }
}
