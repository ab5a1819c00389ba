package org.sparkgrad.jobs;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG charts of training runs, drawn with XChart and written headless (no display needed): a loss curve
 * and a scatter of points with a fitted line.
 */
public final class Charts {
    /** Width of every chart in pixels. */
    public static final int WIDTH = 800;
    /** Height of every chart in pixels. */
    public static final int HEIGHT = 600;

    static {
        // Before any AWT class loads: charts are rendered into images, never onto a screen.
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /**
     * Writes the loss curve of a training run's steps (step 1, 2, ... against loss) as a PNG, like
     * {@link #lossCurve(List, String, Path)} with the x axis "step".
     */
    public static Path lossCurve(List<Double> losses, Path file) {
        return lossCurve(losses, "step", file);
    }

    /**
     * Writes the loss curve (1, 2, ... against loss) as a PNG, the x axis titled what the losses are of
     * ({@code "step"}, {@code "epoch"}). The y axis is logarithmic when every plotted loss is positive and they
     * span more than a factor of 10. Non-finite losses (a diverged run) are left out of the line.
     *
     * @param losses the loss of each step or epoch, in order
     * @param xTitle the x axis' title
     * @param file the PNG file to write (its parent directories are created)
     * @return file
     * @throws IllegalArgumentException when there is no finite loss to draw
     */
    public static Path lossCurve(List<Double> losses, String xTitle, Path file) {
        return write(lossChart(losses, xTitle), file);
    }

    /**
     * Writes a curve of values (1, 2, ... against value) as a PNG, like {@link #lossCurve(List, String, Path)} with
     * another title and y axis, e.g. a validation metric per epoch.
     */
    public static Path lineChart(List<Double> values, String title, String xTitle, String yTitle, Path file) {
        return write(lineChart(values, title, xTitle, yTitle), file);
    }

    /** The chart {@link #lossCurve(List, String, Path)} draws. */
    static XYChart lossChart(List<Double> losses, String xTitle) {
        return lineChart(losses, "Training loss", xTitle, "loss");
    }

    private static XYChart lineChart(List<Double> losses, String title, String xTitle, String yTitle) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < losses.size(); i++) {
            Double l = losses.get(i);
            if (l != null && Double.isFinite(l)) {
                xs.add(i + 1.0);
                ys.add(l);
                min = Math.min(min, l);
                max = Math.max(max, l);
            }
        }
        if (ys.isEmpty()) {
            throw new IllegalArgumentException("lossCurve needs at least one finite loss, got " + losses.size()
                    + " losses and none finite");
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setYAxisLogarithmic(min > 0 && max / min > 10);
        XYSeries s = chart.addSeries("loss", xs, ys);
        s.setMarker(SeriesMarkers.NONE);
        return chart;
    }

    /**
     * Writes the points (x[i], y[i]) as a scatter with the line y = slope * x + intercept drawn across their
     * x range, as a PNG.
     *
     * @param title the chart's title
     * @param lineLabel the line's legend entry, e.g. {@code "fit: y = 2.50 x + 1.00"}
     * @param file the PNG file to write (its parent directories are created)
     * @return file
     * @throws IllegalArgumentException when x and y differ in length or are empty
     */
    public static Path scatterWithLine(String title, double[] x, double[] y, double slope, double intercept,
            String lineLabel, Path file) {
        if (x.length != y.length || x.length == 0) {
            throw new IllegalArgumentException("scatterWithLine needs as many x as y values, at least one, got "
                    + x.length + " x and " + y.length + " y");
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("x").yAxisTitle("y")
                .build();
        XYSeries points = chart.addSeries("points", x, y);
        points.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        points.setMarker(SeriesMarkers.CIRCLE);
        chart.getStyler().setMarkerSize(5);
        XYSeries line = chart.addSeries(lineLabel, new double[] {lo, hi},
                new double[] {slope * lo + intercept, slope * hi + intercept});
        line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        line.setMarker(SeriesMarkers.NONE);
        return write(chart, file);
    }

    /** Encodes the chart as a PNG at exactly {@code file} (XChart's file-name methods would add ".png"). */
    private static Path write(XYChart chart, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (OutputStream out = Files.newOutputStream(file)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapFormat.PNG);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the chart " + file + ": " + e.getMessage(), e);
        }
    }
}
