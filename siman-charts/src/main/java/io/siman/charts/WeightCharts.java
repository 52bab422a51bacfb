package io.siman.charts;

import io.siman.models.analysis.WeightStatistics;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.nio.file.Path;
import java.util.Locale;

/** The histogram of a binarized layer's latent weights with the fitted Laplacian and Gaussian densities over it. */
public final class WeightCharts {
    private WeightCharts() {
    }

    public static Path histogram(String layer, WeightStatistics s, Path file) {
        WeightStatistics.Histogram h = s.histogram();
        int bins = h.counts().length;
        double[] edges = new double[2 * bins], heights = new double[2 * bins], density = h.density();
        for (int i = 0; i < bins; i++) {
            edges[2 * i] = h.min() + i * h.width();
            edges[2 * i + 1] = h.min() + (i + 1) * h.width();
            heights[2 * i] = density[i];
            heights[2 * i + 1] = density[i];
        }
        int points = 400;
        double[] x = new double[points], lap = new double[points], gau = new double[points];
        for (int i = 0; i < points; i++) {
            x[i] = h.min() + (bins * h.width()) * i / (points - 1);
            lap[i] = s.laplacePdf(x[i]);
            gau[i] = s.gaussPdf(x[i]);
        }
        String title = String.format(Locale.ROOT, "%s: latent weights (kurtosis %.2f, k*/n %.3f, %s fits better)", layer,
                s.excessKurtosis(), s.kStarFraction(), s.betterFit().equals("laplace") ? "Laplacian" : "Gaussian");
        XYChart c = Charts.chart(title, "weight", "density");
        XYSeries hist = c.addSeries("weights", edges, heights);
        hist.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
        hist.setFillColor(new Color(0, 114, 178, 90));
        hist.setLineColor(new Color(0, 114, 178));
        hist.setMarker(SeriesMarkers.NONE);
        XYSeries l = c.addSeries(String.format(Locale.ROOT, "Laplacian fit (log-likelihood %.3f)", s.logLikelihoodLaplace()), x, lap);
        l.setLineColor(new Color(213, 94, 0));
        l.setMarker(SeriesMarkers.NONE);
        XYSeries g = c.addSeries(String.format(Locale.ROOT, "Gaussian fit (log-likelihood %.3f)", s.logLikelihoodGauss()), x, gau);
        g.setLineColor(Color.BLACK);
        g.setMarker(SeriesMarkers.NONE);
        return Charts.write(c, file);
    }
}
