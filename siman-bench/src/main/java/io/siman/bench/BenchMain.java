package io.siman.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the JMH benchmarks of this module in one go and prints every ratio the targets are stated in, measured
 * side by side in the same run: float convolution forward and backward against ND4J, GEMM against ND4J, binary
 * convolution against our float convolution and ND4J's. The machine's load average is printed before and after,
 * since the machines are shared.
 *
 * <pre>
 * java ... io.siman.bench.BenchMain [--threads 2] [--batch 64] [--quick] [--layers R20_16X32,VGG_128X32] [--only conv|gemm] [--detail] [--json out.json]
 * </pre>
 */
public final class BenchMain {
    private BenchMain() {
    }

    /**
     * The flags of the benchmark JVMs JMH forks: the launcher's own (so {@code SIMAN_BENCH_JAVA_OPTS=-XX:UseAVX=2}
     * measures the AVX2 path there too) and the module and memory settings.
     */
    private static String[] forkFlags(int threads) {
        List<String> flags = new ArrayList<>();
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-XX:") || a.startsWith("-Dsiman.")) {
                flags.add(a);
            }
        }
        flags.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Xmx6g", "-D" + BenchSupport.THREADS_PROPERTY + "=" + threads));
        return flags.toArray(String[]::new);
    }

    public static void main(String[] args) throws RunnerException, IOException {
        int threads = 2;
        String batch = "64";
        boolean quick = false;
        String layers = null;
        Path json = null;
        String only = null;
        boolean detail = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--batch" -> batch = args[++i];
                case "--quick" -> quick = true;
                case "--layers" -> layers = args[++i];
                case "--json" -> json = Path.of(args[++i]);
                case "--only" -> only = args[++i];
                case "--detail" -> detail = true;
                default -> {
                    System.err.println("siman-bench: unknown argument '" + args[i] + "'; known: --threads N, --batch N, --quick, --layers A,B, --only conv|gemm, --detail, --json FILE");
                    System.exit(2);
                }
            }
        }
        String loadBefore = loadAverage();
        ChainedOptionsBuilder options = new OptionsBuilder();
        if (only == null || only.equals("conv")) {
            options.include(ConvolutionBenchmark.class.getName());
        }
        if (only == null || only.equals("gemm")) {
            options.include(GemmBenchmark.class.getName());
        }
        if (!detail) {
            options.exclude("simanBackward(Data|Weights)");
        }
        options
                .forks(1)
                .warmupIterations(quick ? 2 : 4)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(quick ? 3 : 6)
                .measurementTime(TimeValue.seconds(1))
                .param("batch", batch)
                .jvmArgsAppend(forkFlags(threads));
        if (layers != null) {
            options.param("layer", layers.split(","));
        }
        Collection<RunResult> results = new Runner(options.build()).run();

        Map<String, Double> ms = new LinkedHashMap<>();
        for (RunResult r : results) {
            String method = r.getParams().getBenchmark();
            method = method.substring(method.lastIndexOf('.') + 1);
            String key = r.getParams().getParam("layer") != null ? r.getParams().getParam("layer") : r.getParams().getParam("shape");
            ms.put(key + "/" + method, r.getPrimaryResult().getScore());
        }
        Map<String, Object> report = new LinkedHashMap<>();
        io.siman.api.HostCpu cpu = io.siman.api.HostCpu.current();
        System.out.println();
        System.out.println(io.siman.models.bench.MachineReport.cpuLine());
        System.out.println("java: " + Runtime.version() + ", benchmark JVM flags: " + String.join(" ", forkFlags(threads)));
        report.put("cpu", cpu.model());
        report.put("cpu_flags", cpu.kernelFlags());
        report.put("jvm_flags", String.join(" ", forkFlags(threads)));
        report.put("threads", threads);
        report.put("batch", Integer.parseInt(batch));
        report.put("load_before", loadBefore);
        List<Object> convRows = new ArrayList<>();
        System.out.println();
        System.out.printf(Locale.ROOT, "Convolution, batch %s, %d threads (ms per call; ratio > 1: ours faster)%n", batch, threads);
        System.out.printf(Locale.ROOT, "%-30s %9s %9s %6s | %9s %9s %6s | %9s %9s %7s %7s %7s%n",
                "layer", "fwd", "nd4j", "ratio", "bwd", "nd4j", "ratio", "binary", "pack+bin", "vs fwd", "vs nd4j", "p+b/fwd");
        for (LayerShapes l : LayerShapes.values()) {
            Double fwd = ms.get(l.name() + "/simanForward");
            if (fwd == null) {
                continue;
            }
            double nfwd = ms.get(l.name() + "/nd4jForward");
            double bwd = ms.get(l.name() + "/simanBackward");
            double nbwd = ms.get(l.name() + "/nd4jBackward");
            double bin = ms.get(l.name() + "/simanBinary");
            double packBin = ms.get(l.name() + "/simanPackAndBinary");
            System.out.printf(Locale.ROOT, "%-30s %9.3f %9.3f %6.2f | %9.3f %9.3f %6.2f | %9.3f %9.3f %7.1f %7.1f %7.1f%n",
                    l.label(), fwd, nfwd, nfwd / fwd, bwd, nbwd, nbwd / bwd, bin, packBin, fwd / bin, nfwd / bin, fwd / packBin);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("layer", l.name());
            row.put("forward_ms", fwd);
            row.put("nd4j_forward_ms", nfwd);
            row.put("forward_ratio_vs_nd4j", nfwd / fwd);
            row.put("backward_ms", bwd);
            row.put("nd4j_backward_ms", nbwd);
            row.put("backward_ratio_vs_nd4j", nbwd / bwd);
            row.put("binary_ms", bin);
            row.put("pack_and_binary_ms", packBin);
            row.put("binary_speedup_vs_float", fwd / bin);
            row.put("binary_speedup_vs_nd4j", nfwd / bin);
            row.put("pack_and_binary_speedup_vs_float", fwd / packBin);
            convRows.add(row);
        }
        report.put("convolution", convRows);
        List<Object> gemmRows = new ArrayList<>();
        System.out.println();
        System.out.printf(Locale.ROOT, "GEMM y = x w^T, %d threads (ms per call; ratio > 1: ours faster)%n", threads);
        for (String shape : new String[]{"512x512x512", "1024x1024x1024", "4096x1152x128"}) {
            Double ours = ms.get(shape + "/siman");
            if (ours == null) {
                continue;
            }
            double theirs = ms.get(shape + "/nd4j");
            String[] p = shape.split("x");
            double gflops = 2.0 * Double.parseDouble(p[0]) * Double.parseDouble(p[1]) * Double.parseDouble(p[2]) / 1e6;
            System.out.printf(Locale.ROOT, "%-16s ours %8.3f ms (%6.1f GFLOP/s)  nd4j %8.3f ms (%6.1f GFLOP/s)  ratio %.2f%n",
                    shape, ours, gflops / ours, theirs, gflops / theirs, theirs / ours);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("shape", shape);
            row.put("ms", ours);
            row.put("nd4j_ms", theirs);
            row.put("ratio_vs_nd4j", theirs / ours);
            gemmRows.add(row);
        }
        report.put("gemm", gemmRows);
        String loadAfter = loadAverage();
        report.put("load_after", loadAfter);
        System.out.println();
        System.out.println("load average before: " + loadBefore + "; after: " + loadAfter);
        if (json != null) {
            Files.writeString(json, toJson(report) + "\n");
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String toJson(Object o) {
        if (o instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (b.length() > 1) {
                    b.append(", ");
                }
                b.append('"').append(e.getKey()).append("\": ").append(toJson(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (o instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (Object v : l) {
                if (b.length() > 1) {
                    b.append(", ");
                }
                b.append(toJson(v));
            }
            return b.append(']').toString();
        }
        if (o instanceof Number n) {
            return n instanceof Double d ? String.format(Locale.ROOT, "%.6g", d) : n.toString();
        }
        return "\"" + o.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
