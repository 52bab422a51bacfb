package io.siman.cli;

import io.siman.api.SimanException;
import io.siman.cli.spi.SubcommandProvider;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Entry point of {@code siman}. The one place where exceptions become exit codes and one-line messages:
 * 0 success, 1 an error the user can act on ({@link SimanException}), 2 bad command-line usage,
 * 70 an internal error (stack trace only with {@code SIMAN_DEBUG=1}).
 */
public final class Main {
    public static final int USER_ERROR = 1;
    public static final int USAGE_ERROR = 2;
    public static final int INTERNAL_ERROR = 70;

    private Main() {
    }

    public static void main(String[] args) {
        configureLogging();
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(run(out, err, args));
    }

    /**
     * The command line's logging: SLF4J's simple binding (the library and the backends log through System.Logger,
     * routed to it by slf4j-jdk-platform-logging; Spark logs through SLF4J), to standard error, warnings only unless SIMAN_LOG_LEVEL says
     * otherwise (trace, debug, info, warn, error, off). System properties given with SIMAN_JAVA_OPTS win.
     */
    static void configureLogging() {
        String level = System.getenv("SIMAN_LOG_LEVEL");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", level == null || level.isBlank() ? "warn" : level.trim().toLowerCase(java.util.Locale.ROOT));
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        setIfAbsent("org.slf4j.simpleLogger.levelInBrackets", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** Runs the CLI with the given streams; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl;
        try {
            cl = commandLine();
        } catch (SimanException | ServiceConfigurationError | CommandLine.InitializationException e) {
            err.println("siman: " + oneLine(e.getMessage()));
            err.flush();
            return USER_ERROR;
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("siman: " + oneLine(ex.getMessage()));
            ex.getCommandLine().getErr().println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more.");
            return USAGE_ERROR;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> report(ex, commandLine.getErr()));
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The command tree: built-in subcommands and those contributed by plugins. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new SimanCommand());
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        for (SubcommandProvider p : ServiceLoader.load(SubcommandProvider.class, loader != null ? loader : Main.class.getClassLoader())) {
            if (cl.getSubcommands().containsKey(p.name())) {
                throw new SimanException("plugin " + p.getClass().getName() + " adds subcommand '" + p.name() + "', which exists already");
            }
            cl.addSubcommand(p.name(), p.command());
        }
        return cl;
    }

    static int report(Throwable ex, PrintWriter err) {
        if (ex instanceof SimanException) {
            err.println("siman: " + oneLine(ex.getMessage()));
            err.flush();
            return USER_ERROR;
        }
        if (ex instanceof OutOfMemoryError) {
            err.println("siman: out of memory; give the JVM more with SIMAN_JAVA_OPTS=-Xmx16g, or use a smaller --batch");
            err.flush();
            return USER_ERROR;
        }
        err.println("siman: internal error: " + oneLine(String.valueOf(ex)) + " (rerun with SIMAN_DEBUG=1 for details)");
        if ("1".equals(System.getenv("SIMAN_DEBUG"))) {
            ex.printStackTrace(err);
        }
        err.flush();
        return INTERNAL_ERROR;
    }

    private static String oneLine(String message) {
        return message == null ? "(no message)" : message.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
