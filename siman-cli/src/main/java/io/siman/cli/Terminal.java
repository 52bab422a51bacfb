package io.siman.cli;

/** Whether output goes to an interactive terminal, where progress bars are drawn in place. */
final class Terminal {
    private Terminal() {
    }

    static boolean isInteractive() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal() && !"dumb".equals(System.getenv("TERM"));
    }
}
