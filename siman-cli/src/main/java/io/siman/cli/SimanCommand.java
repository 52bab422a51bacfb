package io.siman.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The top-level {@code siman} command; subcommands do the work. */
@Command(name = "siman", mixinStandardHelpOptions = true, versionProvider = SimanCommand.Version.class,
        subcommands = {TrainCommand.class, EvalCommand.class, ExportCommand.class, ImportCommand.class, PredictCommand.class, BenchCommand.class, SummaryCommand.class,
                PlotCommand.class, InspectCommand.class,
                BackendsCommand.class, CommandLine.HelpCommand.class},
        description = {"SiMaN-J: train and run binary neural networks with SiMaN (sign-to-magnitude binarization).", ""},
        footer = {"", "Environment: SIMAN_BACKEND picks a backend; SIMAN_JAVA_OPTS passes JVM options (e.g. -Dsiman.backend=cpu);",
                "SIMAN_PLUGINS adds plugin jars; SIMAN_DEBUG=1 prints stack traces of internal errors."})
final class SimanCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The project version, from the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            Properties p = new Properties();
            try (InputStream in = SimanCommand.class.getResourceAsStream("/siman-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                // fall through to "unknown"
            }
            return new String[]{"siman " + p.getProperty("version", "unknown"),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
