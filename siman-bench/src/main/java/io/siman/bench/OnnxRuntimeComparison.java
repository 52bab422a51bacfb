package io.siman.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendRegistry;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.models.bench.MachineReport;
import io.siman.models.data.Datasets;
import io.siman.models.inference.ModelExport;
import io.siman.models.inference.Predictor;
import io.siman.onnx.OnnxExport;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The bitwise engine against what a Java user would deploy instead: ONNX Runtime running the same architecture in
 * full precision (FP32 ONNX written by {@link OnnxExport} from a full-precision model). Side by side in one JVM, the
 * same inputs, intra-op threads = our worker threads, after warm-up; rounds alternate between the two engines and the
 * best round of each counts (the machines are shared). Prints the machine, images per second and the ratios.
 *
 * <pre>
 * java ... io.siman.bench.OnnxRuntimeComparison [--models resnet20,vgg-small] [--batches 1,64] [--threads 1,2] [--seconds 2] [--rounds 3] [--ort-no-spinning]
 * </pre>
 */
public final class OnnxRuntimeComparison {
    private OnnxRuntimeComparison() {
    }

    /** One measurement: a model, a batch size and a thread count. */
    public record Row(String model, int batch, int threads, double onnxRuntime, double bitwise) {
        double ratio() {
            return bitwise / onnxRuntime;
        }
    }

    public static void main(String[] args) throws Exception {
        List<String> models = List.of("resnet20", "vgg-small");
        int[] batches = {1, 64}, threads = {1, 2};
        double seconds = 2;
        int rounds = 3;
        boolean ortSpins = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--models" -> models = List.of(args[++i].split(","));
                case "--batches" -> batches = ints(args[++i]);
                case "--threads" -> threads = ints(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--ort-no-spinning" -> ortSpins = false;
                default -> {
                    System.err.println("siman-bench: unknown argument '" + args[i]
                            + "'; known: --models A,B, --batches N,M, --threads N,M, --seconds S, --rounds R, --ort-no-spinning");
                    System.exit(2);
                }
            }
        }
        BinarizerRegistry binarizers = BinarizerRegistry.discover();
        OrtEnvironment ort = OrtEnvironment.getEnvironment();
        Path dir = Files.createTempDirectory("siman-ort");
        List<Row> rows = new ArrayList<>();
        boolean printed = false;
        try {
            for (String model : models) {
                String dataset = model.equals("vgg-small") || model.equals("resnet18") ? "cifar10" : "fashion-mnist";
                for (int t : threads) {
                    try (Backend backend = BackendRegistry.discover().provider("cpu").create(new BackendOptions(t, Map.of()))) {
                        if (!printed) {
                            System.out.println(MachineReport.of(backend).text());
                            System.out.println("onnx runtime: " + ort.getVersion() + ", graph optimizations ALL, sequential execution, "
                                    + (ortSpins ? "workers spinning between calls (its default)" : "workers not spinning between calls"));
                            printed = true;
                        }
                        Path fp = Files.createDirectories(dir.resolve(model + "-fp32"));
                        Path floatModel = ModelExport.randomModel(backend, binarizers, model, "none", Encoding.PM1, dataset, 1, fp);
                        Path onnx = fp.resolve(model + ".onnx");
                        OnnxExport.fromModelFile(backend, binarizers, floatModel, onnx);
                        Path bin = Files.createDirectories(dir.resolve(model + "-siman"));
                        Path bitModel = ModelExport.randomModel(backend, binarizers, model, "siman", Encoding.PM1, dataset, 1, bin);
                        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                            options.setIntraOpNumThreads(t);
                            options.setInterOpNumThreads(1);
                            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                            if (!ortSpins) {
                                // ONNX Runtime's workers spin between calls by default, which helps it at batch 1 with
                                // 2 threads (3360 against 1936 images/s measured) and can take cores from the engine
                                // measured next; this measures it without
                                options.addConfigEntry("session.intra_op.allow_spinning", "0");
                            }
                            try (OrtSession session = ort.createSession(onnx.toString(), options);
                                 Predictor predictor = Predictor.load(backend, binarizers, bitModel)) {
                                int[] shape = Datasets.inputShape(dataset);
                                for (int b : batches) {
                                    float[] x = random(b * shape[0] * shape[1] * shape[2]);
                                    long[] dims = {b, shape[0], shape[1], shape[2]};
                                    double bestOrt = 0, bestOurs = 0;
                                    for (int r = 0; r < rounds + 1; r++) {
                                        double o = rate(seconds, b, () -> runOrt(ort, session, x, dims));
                                        double s = rate(seconds, b, () -> predictor.logits(x, b));
                                        if (r > 0) { // the first round warms both up
                                            bestOrt = Math.max(bestOrt, o);
                                            bestOurs = Math.max(bestOurs, s);
                                        }
                                    }
                                    Row row = new Row(model, b, t, bestOrt, bestOurs);
                                    rows.add(row);
                                    System.out.println(String.format(Locale.ROOT,
                                            "%-10s batch %3d, %d thread%s: ONNX Runtime FP32 %8.1f images/s, bitwise 1-bit %8.1f images/s, ratio %.2fx",
                                            model, b, t, t == 1 ? " " : "s", bestOrt, bestOurs, row.ratio()));
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void runOrt(OrtEnvironment ort, OrtSession session, float[] x, long[] dims) {
        try (OnnxTensor in = OnnxTensor.createTensor(ort, FloatBuffer.wrap(x), dims);
             OrtSession.Result r = session.run(Map.of("input", in))) {
            if (((float[][]) r.get(0).getValue()).length != dims[0]) {
                throw new IllegalStateException("wrong output");
            }
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Images per second of {@code call} (one batch of {@code batch} images) over about {@code seconds}. */
    private static double rate(double seconds, int batch, Runnable call) {
        long start = System.nanoTime(), end = start + (long) (seconds * 1e9);
        long calls = 0, now;
        do {
            call.run();
            calls++;
            now = System.nanoTime();
        } while (now < end);
        return calls * batch / ((now - start) / 1e9);
    }

    private static float[] random(int n) {
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private static int[] ints(String csv) {
        String[] p = csv.split(",");
        int[] v = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            v[i] = Integer.parseInt(p[i].trim());
        }
        return v;
    }
}
