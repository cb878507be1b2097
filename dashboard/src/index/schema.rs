//! The index schema and its migrations, applied in order and recorded in `PRAGMA
//! user_version`. To extend (telemetry spans and metric points per run come next), append a
//! migration; never edit one that has shipped.

use rusqlite::Connection;

/// Migrations; entry `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: runs, their op counts by :f and their history analyses.
    "CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        workload TEXT NOT NULL,
        dir_name TEXT NOT NULL,
        path TEXT NOT NULL,
        start TEXT,
        start_ms INTEGER,
        node_count INTEGER,
        nemesis TEXT,
        command_line TEXT,
        verdict TEXT NOT NULL,
        msgs_per_op_servers REAL,
        msgs_per_op_all REAL,
        stable_p50 REAL,
        stable_p99 REAL,
        stable_max REAL,
        op_p50 REAL,
        op_p99 REAL,
        op_max REAL,
        key_figure TEXT,
        op_count INTEGER,
        ok_count INTEGER,
        fail_count INTEGER,
        info_count INTEGER,
        availability REAL,
        problems INTEGER NOT NULL DEFAULT 0,
        present INTEGER NOT NULL DEFAULT 1,
        fingerprint TEXT NOT NULL,
        ingested_at_ms INTEGER NOT NULL,
        ingest_ms REAL NOT NULL DEFAULT 0,
        summary_json TEXT NOT NULL
    );
    CREATE INDEX runs_by_workload ON runs (workload, start_ms);
    CREATE TABLE run_ops (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        f TEXT NOT NULL,
        count INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        fail INTEGER NOT NULL,
        info INTEGER NOT NULL,
        PRIMARY KEY (run_id, f)
    );
    CREATE TABLE run_history (
        run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
        analysis_json TEXT NOT NULL
    );",
    // Telemetry (a later session) goes here as migration 2, e.g. tables `spans` and
    // `metric_points` keyed by `run_id`, filled from OTLP/HTTP and the file sink.
];

/// Brings the schema up to date.
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let version: usize =
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        conn.execute_batch(&format!(
            "BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;",
            i + 1
        ))?;
    }
    Ok(())
}
