package io.siman.cli;

import io.siman.api.SimanException;
import io.siman.charts.TrainingCharts;
import io.siman.models.train.MetricsFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code siman plot}: PNG charts of one or more training runs. */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = {"Draws PNG charts of training runs from their metrics.jsonl files.",
                "Loss and accuracy per epoch (train and test), learning rate, and training images per second. Several --run options put the runs on the same charts."})
final class PlotCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "DIR", description = "A run folder written by 'siman train' (repeatable).")
    List<Path> runs;

    @Option(names = "--label", paramLabel = "NAME", description = "Labels of the runs on the charts, in order (default: the folder names).")
    List<String> labels;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for the PNG files (default: the first run's folder).")
    Path out;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (labels != null && labels.size() != runs.size()) {
            throw new SimanException("give one --label per --run (" + runs.size() + " runs, " + labels.size() + " labels)");
        }
        List<TrainingCharts.Run> data = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            Path r = runs.get(i);
            String name = labels != null ? labels.get(i) : r.toAbsolutePath().normalize().getFileName().toString();
            data.add(new TrainingCharts.Run(name, MetricsFile.read(r)));
        }
        Path dir = out != null ? out : (Files.isDirectory(runs.get(0)) ? runs.get(0) : runs.get(0).toAbsolutePath().getParent());
        Files.createDirectories(dir);
        PrintWriter o = spec.commandLine().getOut();
        for (Path f : TrainingCharts.write(data, dir)) {
            o.println(f);
        }
        o.flush();
        return 0;
    }
}
