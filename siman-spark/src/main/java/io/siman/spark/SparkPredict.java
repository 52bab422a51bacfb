package io.siman.spark;

import io.siman.api.InvalidDataException;
import io.siman.api.SimanException;
import io.siman.models.data.Inputs;
import io.siman.models.inference.Predictor;
import io.siman.models.io.ModelFile;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Distributed bitwise batch inference: the packed model file is broadcast once; each executor loads it into one
 * {@link Predictor} on first use and every task on that executor reuses it; each partition is classified in
 * batches by XNOR and popcount. The result has one row per image: {@code index}, {@code name}, {@code class},
 * {@code label} and {@code probability} (the softmax of the top class).
 *
 * <p>Images come as rows of {@code index} (long), {@code name} (string) and either {@code image} (array of float:
 * already the model's input, {@code C*H*W} values) or {@code content} (binary: an encoded PNG or JPEG, decoded and
 * converted on the executor). {@link #images} reads them from the formats the project knows.
 */
public final class SparkPredict {
    /** Rows of ready images. */
    public static final StructType IMAGES = new StructType(new StructField[]{
            DataTypes.createStructField("index", DataTypes.LongType, false),
            DataTypes.createStructField("name", DataTypes.StringType, true),
            DataTypes.createStructField("image", DataTypes.createArrayType(DataTypes.FloatType, false), false)});

    /** Rows of encoded pictures. */
    public static final StructType PICTURES = new StructType(new StructField[]{
            DataTypes.createStructField("index", DataTypes.LongType, false),
            DataTypes.createStructField("name", DataTypes.StringType, true),
            DataTypes.createStructField("content", DataTypes.BinaryType, false)});

    /** The predictions. */
    public static final StructType PREDICTIONS = new StructType(new StructField[]{
            DataTypes.createStructField("index", DataTypes.LongType, false),
            DataTypes.createStructField("name", DataTypes.StringType, true),
            DataTypes.createStructField("class", DataTypes.IntegerType, false),
            DataTypes.createStructField("label", DataTypes.StringType, false),
            DataTypes.createStructField("probability", DataTypes.FloatType, false)});

    private static final int BATCH = 256;

    private SparkPredict() {
    }

    /**
     * Images from {@code input}, for a model trained on {@code dataset} with {@code channels} input channels:
     * <ul>
     *   <li>a Parquet file or folder (name ending in {@code .parquet}, or a folder holding {@code .parquet} files)
     *       with an {@code image} column (array of float, the model's input) and optional {@code index} and
     *       {@code name} columns; read by the executors;</li>
     *   <li>a folder of PNG/JPEG pictures, local or on any file system Spark reads ({@code hdfs://}, {@code s3a://}):
     *       read with Spark's {@code binaryFile} source and decoded by the executors, indexed in path order;</li>
     *   <li>a local IDX images file, CIFAR-10 batch file or single picture: read on the driver and split into
     *       {@code partitions} partitions.</li>
     * </ul>
     */
    public static Dataset<Row> images(SparkSession spark, String input, String dataset, int channels, int partitions) {
        if (partitions < 1) {
            throw new SimanException("partitions must be at least 1, got " + partitions);
        }
        boolean remote = input.contains("://");
        Path local = remote ? null : Path.of(input);
        if (local != null && !Files.exists(local)) {
            throw new InvalidDataException(input + ": no such file or folder");
        }
        if (input.toLowerCase(Locale.ROOT).endsWith(".parquet") || (local != null && Files.isDirectory(local) && holdsParquet(local))) {
            Dataset<Row> df = spark.read().parquet(input);
            List<String> cols = Arrays.asList(df.columns());
            if (!cols.contains("image")) {
                throw new InvalidDataException(input + ": Parquet input needs an 'image' column (array of float), found " + cols);
            }
            if (!cols.contains("index")) {
                df = df.withColumn("index", org.apache.spark.sql.functions.monotonically_increasing_id());
            }
            if (!cols.contains("name")) {
                df = df.withColumn("name", org.apache.spark.sql.functions.lit(null).cast(DataTypes.StringType));
            }
            return df.select(df.col("index").cast(DataTypes.LongType), df.col("name"), df.col("image").cast(DataTypes.createArrayType(DataTypes.FloatType)));
        }
        if (remote || Files.isDirectory(local)) {
            Dataset<Row> files = spark.read().format("binaryFile")
                    .option("pathGlobFilter", "*.{png,jpg,jpeg,PNG,JPG,JPEG}")
                    .load(input).select("path", "content").orderBy("path");
            JavaRDD<Row> indexed = files.javaRDD().zipWithIndex()
                    .map(t -> RowFactory.create(t._2(), t._1().getString(0), t._1().getAs("content")));
            return spark.createDataFrame(indexed, PICTURES).repartition(partitions);
        }
        List<Inputs.Image> loaded = Inputs.load(local, dataset, channels);
        List<Row> rows = new ArrayList<>(loaded.size());
        for (int i = 0; i < loaded.size(); i++) {
            rows.add(RowFactory.create((long) i, loaded.get(i).name(), boxed(loaded.get(i).values())));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(jsc.parallelize(rows, partitions), IMAGES);
    }

    private static boolean holdsParquet(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".parquet"));
        } catch (IOException e) {
            throw new InvalidDataException(dir + ": cannot list (" + e.getMessage() + ")", e);
        }
    }

    /** Classifies every row of {@code images} (see the class comment) with the model in {@code modelFile}. */
    public static Dataset<Row> predict(SparkSession spark, Path modelFile, Dataset<Row> images) {
        ModelFile model = ModelFile.read(modelFile); // validates the file on the driver, with the usual one-line errors
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(modelFile);
        } catch (IOException e) {
            throw new InvalidDataException(modelFile + ": cannot read (" + e.getMessage() + ")", e);
        }
        String sha = model.sha256();
        List<String> cols = Arrays.asList(images.columns());
        boolean encoded = cols.contains("content");
        if (!cols.contains("index") || !(encoded || cols.contains("image"))) {
            throw new InvalidDataException("images need columns 'index' and 'image' or 'content', found " + cols);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<byte[]> shared = jsc.broadcast(bytes);
        JavaRDD<Row> out = images.select("index", "name", encoded ? "content" : "image").javaRDD()
                .mapPartitions(rows -> classify(ExecutorResources.predictor(sha, shared.value()), rows, encoded));
        return spark.createDataFrame(out, PREDICTIONS);
    }

    /** Runs on an executor: one partition, in batches. */
    private static Iterator<Row> classify(Predictor predictor, Iterator<Row> rows, boolean encoded) {
        int per = predictor.imageSize(), classes = predictor.spec().classes();
        String dataset = predictor.header().get("dataset");
        int channels = predictor.spec().inChannels();
        List<Row> results = new ArrayList<>();
        List<Row> pending = new ArrayList<>(BATCH);
        float[] images = new float[BATCH * per];
        while (rows.hasNext()) {
            Row r = rows.next();
            float[] v;
            if (encoded) {
                String name = r.isNullAt(1) ? "image " + r.getLong(0) : r.getString(1);
                v = Inputs.picture(name, (byte[]) r.get(2), dataset, channels).values();
            } else {
                v = unboxed(r.getList(2));
            }
            if (v.length != per) {
                throw new InvalidDataException("image " + r.getLong(0) + " has " + v.length + " values; the model takes " + per);
            }
            System.arraycopy(v, 0, images, pending.size() * per, per);
            pending.add(r);
            if (pending.size() == BATCH || !rows.hasNext()) {
                int n = pending.size();
                float[] logits = predictor.logits(n == BATCH ? images : Arrays.copyOf(images, n * per), n);
                for (int i = 0; i < n; i++) {
                    double[] p = Predictor.softmax(logits, i * classes, classes);
                    int best = Predictor.top(logits, i * classes, classes);
                    Row in = pending.get(i);
                    results.add(RowFactory.create(in.getLong(0), in.isNullAt(1) ? null : in.getString(1), best,
                            predictor.classNames().get(best), (float) p[best]));
                }
                pending.clear();
            }
        }
        return results.iterator();
    }

    private static Float[] boxed(float[] v) {
        Float[] b = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = v[i];
        }
        return b;
    }

    private static float[] unboxed(List<Object> list) {
        float[] v = new float[list.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = ((Number) list.get(i)).floatValue();
        }
        return v;
    }
}
