package io.siman.cli;

import picocli.CommandLine;

import java.util.Map;

/**
 * Prints {@code docs/cli.md}: the help of every built-in command, as picocli renders it. A test compares
 * the file with this output, so the reference cannot drift from the code.
 */
public final class CliReference {
    private CliReference() {
    }

    public static void main(String[] args) {
        System.out.print(markdown());
    }

    static String markdown() {
        CommandLine root = new CommandLine(new SimanCommand());
        root.setUsageHelpWidth(100);
        StringBuilder b = new StringBuilder("# Command-line reference\n\n");
        b.append("Generated from the commands themselves (`io.siman.cli.CliReference`); `CliReferenceTest` fails when\n");
        b.append("this file and the code disagree. Exit codes: 0 success, 1 an error with a one-line message,\n");
        b.append("2 wrong usage, 70 an internal error (details with `SIMAN_DEBUG=1`).\n\n");
        b.append("## siman\n\n```\n").append(root.getUsageMessage(CommandLine.Help.Ansi.OFF)).append("```\n");
        for (Map.Entry<String, CommandLine> e : root.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            e.getValue().setUsageHelpWidth(100);
            b.append("\n## siman ").append(e.getKey()).append("\n\n```\n")
                    .append(e.getValue().getUsageMessage(CommandLine.Help.Ansi.OFF)).append("```\n");
        }
        return b.toString();
    }
}
