package io.siman.cli;

import io.siman.charts.WeightCharts;
import io.siman.models.Siman;
import io.siman.models.analysis.CheckpointInspection;
import io.siman.models.analysis.WeightStatistics;
import io.siman.models.io.Checkpoint;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code siman inspect}: the latent weights and bits of a checkpoint's binarized layers. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Reports on each binarized layer of a checkpoint: weight distributions, bits and their entropy.",
                "Per layer: the fit of its latent weights by a Laplacian and a Gaussian",
                "(log-likelihood per weight, the better one), kurtosis, the fraction of +1 bits and their entropy, the analytic",
                "k*/n of the layer's weights and its entropy; with --compare, how many bits differ from another checkpoint;",
                "a hash of all weights; with --histograms, one PNG per layer (histogram and both fitted densities)."})
final class InspectCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "A checkpoint written by 'siman train'.")
    Path checkpoint;

    @Option(names = "--compare", paramLabel = "FILE", description = "Another checkpoint of the same network: count the bits that differ.")
    Path compare;

    @Option(names = "--histograms", paramLabel = "DIR", description = "Write a histogram PNG per binarized layer into DIR.")
    Path histograms;

    @Option(names = "--json", description = "Print one JSON object (weights_sha256, layers with their statistics, means over layers).")
    boolean json;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Mixin
    BackendOption backendOption;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Checkpoint ckpt = Checkpoint.read(checkpoint);
        Checkpoint other = compare == null ? null : Checkpoint.read(compare);
        List<CheckpointInspection.Layer> layers;
        try (Siman siman = backendOption.open()) {
            layers = CheckpointInspection.inspect(siman.backend(), siman.binarizers(), ckpt, checkpoint, other, compare);
        }
        List<Path> written = new ArrayList<>();
        if (histograms != null) {
            Files.createDirectories(histograms);
            try (ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "histograms", quiet || json)) {
                for (int i = 0; i < layers.size(); i++) {
                    CheckpointInspection.Layer l = layers.get(i);
                    bar.update(i, layers.size(), l.name());
                    written.add(WeightCharts.histogram(l.name(), l.statistics(), histograms.resolve(l.name() + ".png")));
                }
            }
        }
        String hash = CheckpointInspection.weightsSha256(ckpt);
        PrintWriter o = spec.commandLine().getOut();
        Map<String, String> conf = ckpt.config();
        String bwd = conf.getOrDefault("binarized-weight-decay", "");
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("checkpoint", checkpoint.toString());
            m.put("architecture", conf.get("model"));
            m.put("binarizer", conf.get("binarizer"));
            m.put("epoch", ckpt.state().get("epoch"));
            m.put("binarized_weight_decay", bwd.isEmpty() ? null : Double.valueOf(bwd));
            m.put("weights_sha256", hash);
            List<Object> rows = new ArrayList<>();
            for (CheckpointInspection.Layer l : layers) {
                WeightStatistics s = l.statistics();
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("name", l.name());
                r.put("out_channels", l.outChannels());
                r.put("fan_in", l.fanIn());
                r.put("weights", s.count());
                r.put("mean", s.mean());
                r.put("std", s.std());
                r.put("excess_kurtosis", s.excessKurtosis());
                r.put("laplace_scale", s.laplaceScale());
                r.put("log_likelihood_laplace", s.logLikelihoodLaplace());
                r.put("log_likelihood_gauss", s.logLikelihoodGauss());
                r.put("better_fit", s.betterFit());
                r.put("ones_fraction", Double.isNaN(s.onesFraction()) ? null : s.onesFraction());
                r.put("bit_entropy", Double.isNaN(s.onesFraction()) ? null : s.bitEntropy());
                r.put("k_star_fraction", s.kStarFraction());
                r.put("k_star_entropy", s.kStarEntropy());
                if (l.bitsFlipped() >= 0) {
                    r.put("bits_flipped", l.bitsFlipped());
                }
                rows.add(r);
            }
            m.put("layers", rows);
            m.put("mean_k_star_fraction", layers.stream().mapToDouble(l -> l.statistics().kStarFraction()).average().orElse(Double.NaN));
            m.put("mean_excess_kurtosis", layers.stream().mapToDouble(l -> l.statistics().excessKurtosis()).average().orElse(Double.NaN));
            m.put("layers_fit_better_by_laplace", layers.stream().filter(l -> l.statistics().betterFit().equals("laplace")).count());
            if (!written.isEmpty()) {
                m.put("histograms", written.stream().map(Path::toString).toList());
            }
            o.println(Json.write(m));
        } else {
            o.println(String.format(Locale.ROOT, "%s: %s (%s), epoch %s, binarized weight decay %s", checkpoint, conf.get("model"),
                    conf.get("binarizer"), ckpt.state().get("epoch"), bwd.isEmpty() ? "the binarizer's default" : bwd));
            o.println("weights_sha256 " + hash);
            o.println(String.format(Locale.ROOT, "%-18s %10s %9s %8s %10s %10s %7s %8s %7s %8s%s", "layer", "weights", "kurtosis", "fit",
                    "LL laplace", "LL gauss", "ones", "entropy", "k*/n", "H(k*/n)", compare != null ? "  flipped" : ""));
            for (CheckpointInspection.Layer l : layers) {
                WeightStatistics s = l.statistics();
                o.println(String.format(Locale.ROOT, "%-18s %10d %9.3f %8s %10.4f %10.4f %7s %8s %7.4f %8.4f%s", l.name(), s.count(),
                        s.excessKurtosis(), s.betterFit(), s.logLikelihoodLaplace(), s.logLikelihoodGauss(),
                        Double.isNaN(s.onesFraction()) ? "-" : String.format(Locale.ROOT, "%.4f", s.onesFraction()),
                        Double.isNaN(s.onesFraction()) ? "-" : String.format(Locale.ROOT, "%.4f", s.bitEntropy()),
                        s.kStarFraction(), s.kStarEntropy(),
                        l.bitsFlipped() >= 0 ? String.format(Locale.ROOT, "  %7d (%.2f%%)", l.bitsFlipped(), 100.0 * l.bitsFlipped() / s.count()) : ""));
            }
            long laplace = layers.stream().filter(l -> l.statistics().betterFit().equals("laplace")).count();
            o.println(String.format(Locale.ROOT, "%d of %d layers fit a Laplacian better; mean k*/n %.4f (1/e = 0.3679 for Laplacian weights, 0.5405 for Gaussian)",
                    laplace, layers.size(), layers.stream().mapToDouble(l -> l.statistics().kStarFraction()).average().orElse(Double.NaN)));
            for (Path p : written) {
                o.println("wrote " + p);
            }
        }
        o.flush();
        return 0;
    }
}
