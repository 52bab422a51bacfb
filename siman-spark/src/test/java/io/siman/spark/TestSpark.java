package io.siman.spark;

import org.apache.spark.sql.SparkSession;

/**
 * One local Spark session for all tests of this module: two worker threads, and two attempts per task
 * ({@code local[2,2]}), since local mode otherwise never retries a failed task.
 */
final class TestSpark {
    private static SparkSession session;

    private TestSpark() {
    }

    static synchronized SparkSession session() {
        if (session == null || session.sparkContext().isStopped()) {
            // the CLI commands stop the session they ran in: then the next test starts a new one
            session = SparkSessions.start("local[2,2]", "siman-spark tests");
        }
        return session;
    }
}
