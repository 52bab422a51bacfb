package io.siman.cli.spi;

/**
 * Lets an optional module add a subcommand to {@code siman} without the CLI depending on it. Register an
 * implementation in {@code META-INF/services/io.siman.cli.spi.SubcommandProvider}; put the jar on the class
 * path (the launcher adds the jars named by {@code SIMAN_PLUGINS}).
 */
public interface SubcommandProvider {
    /** The subcommand's name, unique among all subcommands. */
    String name();

    /** A new picocli command object (a class annotated with {@code @Command}). */
    Object command();
}
