package io.siman.cli;

import io.siman.api.BackendProbe;
import io.siman.api.BackendRegistry;
import io.siman.api.DeviceInfo;
import io.siman.models.Siman;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code siman backends}: every backend found, whether it can run here, and which one is selected. */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = {"Lists the backends found on the class path and which one is selected.",
                "Per backend: name, priority, availability, device and the reason when unavailable.",
                "The row marked selected is the one 'siman train' would use with the same options and environment."})
final class BackendsCommand implements Callable<Integer> {
    @Mixin
    BackendOption backendOption;

    @Option(names = "--json", description = "Print a JSON array of objects with keys name, priority, available, selected, device, reason.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (Siman siman = backendOption.open()) {
            BackendRegistry registry = siman.backends();
            String selected = siman.selection().name();
            List<Map<String, Object>> rows = new ArrayList<>();
            for (String name : registry.names()) {
                BackendProbe p = registry.probe(name);
                DeviceInfo d = p.device();
                Map<String, Object> device = new LinkedHashMap<>();
                device.put("name", d.name());
                device.put("kind", d.kind());
                device.put("memory_bytes", d.memoryBytes());
                device.put("cores", d.cores());
                device.put("description", d.describe());
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("name", name);
                row.put("priority", p.priority());
                row.put("available", p.available());
                row.put("selected", name.equals(selected));
                row.put("device", device);
                row.put("reason", p.reason());
                rows.add(row);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(rows));
            } else {
                printTable(out, rows);
                out.println("selected: " + selected + " (by " + siman.selection().source().label() + ")");
            }
            out.flush();
        }
        return 0;
    }

    @SuppressWarnings("unchecked")
    private static void printTable(PrintWriter out, List<Map<String, Object>> rows) {
        String[] head = {"NAME", "PRIORITY", "AVAILABLE", "SELECTED", "DEVICE", "REASON"};
        List<String[]> cells = new ArrayList<>();
        cells.add(head);
        for (Map<String, Object> r : rows) {
            cells.add(new String[]{(String) r.get("name"), String.valueOf(r.get("priority")),
                    (Boolean) r.get("available") ? "yes" : "no", (Boolean) r.get("selected") ? "*" : "",
                    (String) ((Map<String, Object>) r.get("device")).get("description"), (String) r.get("reason")});
        }
        int[] width = new int[head.length];
        for (String[] c : cells) {
            for (int i = 0; i < c.length; i++) {
                width[i] = Math.max(width[i], c[i].length());
            }
        }
        for (String[] c : cells) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < c.length; i++) {
                b.append(i == c.length - 1 ? c[i] : String.format("%-" + width[i] + "s  ", c[i]));
            }
            out.println(b.toString().stripTrailing());
        }
    }
}
