package io.siman.charts;

import io.siman.api.SimanException;
import io.siman.models.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;

/** What every chart shares: size, style, and writing it as a PNG file atomically. */
final class Charts {
    static final int WIDTH = 900, HEIGHT = 560;
    /** Colours that stay apart in print and for the common colour-vision deficiencies (Okabe and Ito). */
    static final Color[] PALETTE = {new Color(0, 114, 178), new Color(213, 94, 0), new Color(0, 158, 115), new Color(204, 121, 167),
            new Color(230, 159, 0), new Color(86, 180, 233), new Color(240, 228, 66), Color.BLACK};

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    static XYChart chart(String title, String xTitle, String yTitle) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        XYStyler s = c.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotGridLinesColor(new Color(225, 225, 225));
        // below the plot: inside it, the legend hides the last epochs' points, where curves end highest
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        s.setSeriesColors(PALETTE);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        s.setAntiAlias(true);
        return c;
    }

    /** Renders {@code chart} to {@code file} as PNG, replacing it atomically. */
    static Path write(XYChart chart, Path file) {
        byte[] png;
        try {
            png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new SimanException("cannot render " + file.getFileName() + ": " + e.getMessage());
        }
        AtomicFiles.write(file, out -> out.write(png));
        return file;
    }
}
