package io.siman.cli;

import io.siman.api.Backend;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/** The run record stored in checkpoints: what produced them. */
final class RunInfo {
    private RunInfo() {
    }

    static String projectVersion() {
        Properties p = new Properties();
        try (InputStream in = io.siman.models.Siman.class.getResourceAsStream("/io/siman/models/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // unknown version
        }
        return p.getProperty("version", "unknown");
    }

    static Map<String, String> record(Backend backend) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("project-version", projectVersion());
        m.put("java", Runtime.version().toString());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("cpu", backend.device().kind().equals("cpu") ? backend.device().name() : "");
        m.put("device", backend.device().describe());
        m.put("backend", backend.name());
        m.put("threads", Integer.toString(backend.threads()));
        m.put("started", Instant.now().toString());
        return m;
    }
}
