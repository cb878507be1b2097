//! The index schema and its migrations, applied in order and recorded in `PRAGMA
//! user_version`. To extend, append a migration; never edit one that has shipped.

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
    // 2: node telemetry. One `tel_sources` row per node process and transport (a file-sink
    // folder or an OTLP resource), tied to a run (NULL until a run fits); its spans, and the
    // latest value of each of its metric series. `run_id` is not a foreign key: re-reading a
    // run replaces its `runs` row, which must not drop telemetry that came over OTLP.
    "CREATE TABLE tel_sources (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        run_id TEXT,
        via TEXT NOT NULL,
        node TEXT,
        node_ids TEXT NOT NULL DEFAULT '[]',
        service TEXT,
        pid INTEGER,
        first_ms INTEGER,
        last_ms INTEGER,
        run_hint TEXT,
        fingerprint TEXT NOT NULL DEFAULT '',
        spans_offset INTEGER NOT NULL DEFAULT 0,
        skipped_lines INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX tel_sources_by_run ON tel_sources (run_id);
    CREATE TABLE tel_spans (
        source_id INTEGER NOT NULL REFERENCES tel_sources (id) ON DELETE CASCADE,
        trace_id TEXT NOT NULL,
        span_id TEXT NOT NULL,
        parent_span_id TEXT,
        name TEXT NOT NULL,
        start_ns INTEGER NOT NULL,
        end_ns INTEGER NOT NULL,
        attrs_json TEXT NOT NULL,
        error INTEGER NOT NULL DEFAULT 0,
        client_root INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX tel_spans_by_trace ON tel_spans (trace_id);
    CREATE INDEX tel_spans_by_source ON tel_spans (source_id, client_root);
    CREATE TABLE tel_metrics (
        source_id INTEGER NOT NULL REFERENCES tel_sources (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        labels TEXT NOT NULL,
        value REAL NOT NULL,
        time_ms INTEGER,
        PRIMARY KEY (source_id, name, labels)
    ) WITHOUT ROWID;",
    // 3: each run's test and the version its nodes named; labels given by hand. Labels live
    // in their own table keyed by run id, not tied to `runs` rows: re-reading a run, a
    // rescan or a rebuild of the run tables never drops them. Clearing the fingerprints makes
    // the next scan read every run again, filling the new columns.
    "ALTER TABLE runs ADD COLUMN test_key TEXT;
    ALTER TABLE runs ADD COLUMN test_name TEXT;
    ALTER TABLE runs ADD COLUMN test_bin TEXT;
    ALTER TABLE runs ADD COLUMN node_version TEXT;
    CREATE INDEX runs_by_test ON runs (test_key, start_ms);
    CREATE TABLE IF NOT EXISTS run_labels (
        run_id TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        set_at_ms INTEGER NOT NULL
    );
    UPDATE runs SET fingerprint = '';",
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
