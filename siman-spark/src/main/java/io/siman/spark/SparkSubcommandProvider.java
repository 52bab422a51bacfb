package io.siman.spark;

import io.siman.cli.spi.SubcommandProvider;

/** Contributes {@code siman spark} to the command line when this module's jar is on the class path. */
public final class SparkSubcommandProvider implements SubcommandProvider {
    @Override
    public String name() {
        return "spark";
    }

    @Override
    public Object command() {
        return new SparkCommand();
    }
}
