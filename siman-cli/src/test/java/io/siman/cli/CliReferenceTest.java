package io.siman.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CliReferenceTest {
    @Test
    void docsCliMdMatchesTheCommands() throws IOException {
        Path doc = Path.of("..", "docs", "cli.md");
        String expected = CliReference.markdown();
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "cli.md"), expected);
        assertEquals(expected, Files.readString(doc),
                "docs/cli.md is out of date: copy siman-cli/target/cli.md over it (or run io.siman.cli.CliReference)");
    }
}
