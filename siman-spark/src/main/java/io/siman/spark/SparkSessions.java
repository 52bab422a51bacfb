package io.siman.spark;

import org.apache.spark.sql.SparkSession;

/** Spark sessions as the commands and tests start them. */
public final class SparkSessions {
    private static final java.util.regex.Pattern MASTER = java.util.regex.Pattern.compile(
            "local|local\\[(\\*|\\d+)(,\\d+)?]|local-cluster\\[.*]|spark://.+|yarn|k8s://.+|mesos://.+");

    private SparkSessions() {
    }

    /**
     * A session on {@code master} ({@code local[2]}, {@code local[2,2]} for retries in local mode, {@code spark://...},
     * {@code yarn}, {@code k8s://...}); null keeps the master that {@code spark-submit} set. Spark's own logging is
     * turned down to warnings (through the SLF4J binding the command line chose), and its web UI off unless asked for.
     */
    public static SparkSession start(String master, String appName) {
        if (master != null && !MASTER.matcher(master).matches()) {
            throw new io.siman.api.SimanException("unknown Spark master '" + master
                    + "'; expected local, local[N], local[N,F], local[*], spark://HOST:PORT, yarn or k8s://URL");
        }
        for (String noisy : new String[]{"org.apache.spark", "org.sparkproject", "org.apache.hadoop", "org.apache.parquet", "io.netty"}) {
            if (System.getProperty("org.slf4j.simpleLogger.log." + noisy) == null) {
                System.setProperty("org.slf4j.simpleLogger.log." + noisy, "warn");
            }
        }
        // harmless on one machine: the loopback host name (local masters) and the absent native Hadoop library
        if (master != null && master.startsWith("local")) {
            System.setProperty("org.slf4j.simpleLogger.log.org.apache.spark.util.Utils", "error");
        }
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.hadoop.util.NativeCodeLoader", "error");
        SparkSession.Builder b = SparkSession.builder().appName(appName)
                .config("spark.ui.enabled", System.getProperty("spark.ui.enabled", "false"))
                .config("spark.sql.shuffle.partitions", System.getProperty("spark.sql.shuffle.partitions", "8"));
        if (master != null) {
            b = b.master(master);
        }
        return b.getOrCreate();
    }
}
