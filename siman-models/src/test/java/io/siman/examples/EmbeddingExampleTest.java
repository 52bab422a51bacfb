package io.siman.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The manual's embedding example compiles (it is this module's test source), runs, and is shown unchanged. */
class EmbeddingExampleTest {
    @Test
    void theExampleTrainsExportsAndClassifiesBitwise(@TempDir Path dir) {
        EmbeddingExample.Outcome o = EmbeddingExample.run(null, dir, 3000, 500);
        // One epoch on 3,000 images: well above chance (0.10) for both, and a 1-bit ResNet-20 file of about 50 KB.
        assertTrue(o.trainedTestAccuracy() > 0.35, "trained accuracy " + o.trainedTestAccuracy());
        assertTrue(o.bitwiseTestAccuracy() > 0.35, "bitwise accuracy " + o.bitwiseTestAccuracy());
        assertTrue(o.modelFileBytes() > 30_000 && o.modelFileBytes() < 80_000, "model file of " + o.modelFileBytes() + " bytes");
        assertTrue(Files.exists(dir.resolve("run/best.ckpt")) && Files.exists(dir.resolve("r20.siman")));
    }

    @Test
    void theManualShowsTheExampleAsCompiled() throws IOException {
        String source = Files.readString(Path.of("src/test/java/io/siman/examples/EmbeddingExample.java"));
        String shown = source.substring(source.indexOf("import "));
        String manual = Files.readString(Path.of("../docs/embedding.md"));
        Matcher m = Pattern.compile("```java\n(import io\\.siman\\.api\\.Encoding;.*?)```", Pattern.DOTALL).matcher(manual);
        assertTrue(m.find(), "docs/embedding.md has no code block starting with the example's imports");
        assertEquals(shown, m.group(1), "docs/embedding.md must show EmbeddingExample.java from its first import to its end");
    }
}
