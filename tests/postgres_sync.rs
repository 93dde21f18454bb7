//! PostgreSQL end to end: a schema with every kind of value the engine
//! carries (NaN, ±Infinity and -0 floats, numeric NaN and long digits,
//! bytea, padded char, infinite and BC dates, time zones, intervals,
//! uuid, json vs jsonb, inet, arrays, an enum, bit strings), identity and
//! serial keys, a generated column, an expression index, a check, a
//! foreign key and a view, synced into an empty and a drifted target:
//! identical after (by the server's own text of every row), the second
//! run a no-op, validate finding nothing, the sequences continued. Also: source
//! readers share one exported snapshot, and server-side checksums tell
//! apart rows that differ in one bit. Chinook (identity keys) syncs into
//! an empty and a drifted target (rows, sequences and a dropped index),
//! and so does the shipped PostgreSQL demo (`examples/postgres`).

mod common;

use common::{PgDb, PgRole};
use lockstep::data::segment::KeyRange;
use lockstep::data::table::TableData;
use lockstep::engine::{ConnectOptions, SourceDb};
use lockstep::url::DatabaseUrl;

/// Only the source has it: the sync creates it before the table.
const MOOD: &str = "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')";

const SCHEMA: &str = "
CREATE TABLE parent (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE kinds (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  parent_id int REFERENCES parent (id) ON DELETE CASCADE,
  i2 smallint, r real, d double precision, n numeric(12,4), nn numeric, b boolean,
  c char(3), v varchar(20), t text, by bytea, dt date, ts timestamp(3), tz timestamptz,
  iv interval, tm time, u uuid, j json, jb jsonb, ip inet, arr int[], m mood, bits bit(4),
  g int GENERATED ALWAYS AS (i2 * 2) STORED,
  CHECK (i2 > -1000)
);
CREATE INDEX kinds_v ON kinds (lower(v)) WHERE v IS NOT NULL;
CREATE UNIQUE INDEX kinds_u ON kinds (u);
CREATE VIEW kind_names AS SELECT k.id, p.name FROM kinds k JOIN parent p ON p.id = k.parent_id;
INSERT INTO parent (name) VALUES ('a'), ('b');
INSERT INTO kinds (parent_id, i2, r, d, n, nn, b, c, v, t, by, dt, ts, tz, iv, tm, u, j, jb, ip,
    arr, m, bits) VALUES
 (1, 1, 'NaN', '-0', 1.5, 'NaN', true, 'ab', 'Hello', E'line\\nbreak\\t\\\\', '\\x00ff',
  '2020-02-29', '2020-01-01 10:00:00.123', '2020-01-01 10:00:00+05',
  '1 year 2 mons 3 days 04:05:06.7', '23:59:59.999999', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{\"a\": 1,  \"b\":2}', '{\"b\":2,\"a\":1}', '10.0.0.1/8', '{1,2,NULL}', 'happy', B'1010'),
 (2, -5, 'Infinity', 0.1, -0.0001, 12345678901234567890.123, false, NULL, NULL, '', '',
  'infinity', '-infinity', '2021-06-01 00:00:00+00', '-1 day', '00:00', NULL, 'null', '[]',
  '::1', '{}', 'sad', B'0000'),
 (NULL, NULL, '-Infinity', 'NaN', NULL, NULL, NULL, 'x  ', 'é😀', NULL, NULL, '0044-03-15 BC',
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
";

/// Every row of the two tables as the server prints it (floats with
/// every digit), and the next value of each sequence.
fn contents(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query(
        "SET extra_float_digits = 3; \
         SELECT k::text FROM kinds k ORDER BY id; \
         SELECT p::text FROM parent p ORDER BY id; \
         SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::text \
             FROM kinds_id_seq UNION ALL \
         SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::text \
             FROM parent_id_seq",
    )
}

/// Rows written by a run, from its JSON report.
fn rows_written(report: &serde_json::Value) -> u64 {
    ["rows_inserted", "rows_updated", "rows_deleted"]
        .iter()
        .map(|k| report["data"][k].as_u64().unwrap())
        .sum()
}

fn sync(source: &PgDb, target: &PgDb, extra: &[&str]) -> (i32, String, serde_json::Value) {
    common::sync_with_report(&source.url(), &target.url(), extra)
}

#[test]
fn every_kind_of_value_syncs_into_an_empty_and_a_drifted_target() {
    let source = PgDb::new("pgsync_src");
    let target = PgDb::new("pgsync_tgt");
    source.exec(MOOD);
    source.exec(SCHEMA);

    // Into an empty target: tables, index, view, then rows by COPY.
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 5, "{out}");
    assert_eq!(contents(&target), contents(&source));
    assert_eq!(
        target.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'kinds_v'"),
        source.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'kinds_v'")
    );

    // Again: nothing to do.
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 0, "{out}");

    // A drifted target: -0 became 0, a row went, one came, a name changed.
    target.exec(
        "UPDATE kinds SET d = 0 WHERE id = 1; DELETE FROM kinds WHERE id = 2; \
         INSERT INTO kinds (i2) VALUES (7); UPDATE parent SET name = 'zz' WHERE id = 2",
    );
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_ne!(code, 0, "validate found nothing:\n{out}");
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 4, "{out}");
    assert_eq!(contents(&target), contents(&source));
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
}

/// PostgreSQL prints `status IN ('new', 'done')` on a varchar column one
/// way, and that print, created again, another way: a CHECK or view copied
/// from the source's text shows different text on the target. The target
/// restates the source's text before comparing, so the copy is identical
/// and a second run changes nothing.
#[test]
fn checks_and_views_the_server_prints_differently_are_the_same_object() {
    let source = PgDb::new("pgrestate_src");
    let target = PgDb::new("pgrestate_tgt");
    source.exec(
        "CREATE TABLE job (id int PRIMARY KEY, status varchar(16) NOT NULL \
           CONSTRAINT job_status CHECK (status IN ('new', 'done'))); \
         CREATE VIEW open_jobs AS SELECT id FROM job WHERE status IN ('new', 'done'); \
         INSERT INTO job VALUES (1, 'new'), (2, 'done')",
    );
    let (code, out, _) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    // The texts do differ on the server ...
    let check = "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'job_status'";
    assert_ne!(target.query(check), source.query(check));
    let view = "SELECT pg_get_viewdef('open_jobs'::regclass, true)";
    assert_ne!(target.query(view), source.query(view));
    // ... and still the objects are the same: nothing to report or redo.
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, report) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        report["schema"]["changes"].as_array().map(Vec::len),
        Some(0),
        "{out}"
    );
    // A CHECK that really differs is still found.
    target.exec(
        "ALTER TABLE job DROP CONSTRAINT job_status; \
         ALTER TABLE job ADD CONSTRAINT job_status CHECK (status IN ('new', 'done', 'x'))",
    );
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_ne!(code, 0, "a different CHECK went unnoticed:\n{out}");
    assert!(out.contains("job_status"), "{out}");
}

/// A materialized view holds rows of its own, computed when it is
/// created: on a target it is created before the rows come, so the sync
/// computes it again once they are written (a view over a view after the
/// one it reads), and after a drift again.
#[test]
fn materialized_views_show_the_rows_after_a_sync() {
    let source = PgDb::new("pgmatview_src");
    let target = PgDb::new("pgmatview_tgt");
    source.exec(
        "CREATE TABLE sale (id int PRIMARY KEY, region text NOT NULL, amount int NOT NULL); \
         INSERT INTO sale VALUES (1, 'north', 10), (2, 'north', 5), (3, 'south', 7); \
         CREATE MATERIALIZED VIEW by_region AS \
           SELECT region, sum(amount) AS total FROM sale GROUP BY region; \
         CREATE MATERIALIZED VIEW best AS SELECT max(total) AS top FROM by_region",
    );
    let contents = |db: &PgDb| {
        db.query(
            "SELECT region || '=' || total FROM by_region ORDER BY region; \
             SELECT top::text FROM best",
        )
    };
    let (code, out, _) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(contents(&target), contents(&source), "{out}");

    source.exec(
        "UPDATE sale SET amount = 100 WHERE id = 3; \
         REFRESH MATERIALIZED VIEW by_region; REFRESH MATERIALIZED VIEW best",
    );
    let (code, out, _) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(contents(&target), contents(&source), "{out}");
    assert_eq!(
        contents(&target).last(),
        Some(&vec![Some("100".to_string())])
    );
}

fn url(db: &PgDb) -> DatabaseUrl {
    DatabaseUrl::parse(&db.url()).unwrap()
}

async fn source(db: &PgDb) -> SourceDb {
    SourceDb::open(&url(db), &ConnectOptions::default())
        .await
        .unwrap()
}

async fn table_data(source: &mut SourceDb, name: &str) -> TableData {
    let catalog = source.introspect().await.unwrap();
    TableData::new(catalog.table(name).unwrap(), None).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn source_readers_share_one_exported_snapshot() {
    let db = PgDb::new("pgsnap");
    db.exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)");
    let mut first = source(&db).await;
    let table = table_data(&mut first, "t").await;
    let (mut more, note) = first.share_snapshot(2).await.unwrap();
    assert_eq!(note, None);
    assert_eq!(more.len(), 2);
    db.exec("INSERT INTO t SELECT generate_series(11, 20)");
    assert_eq!(first.count_rows(&table).await.unwrap(), 10);
    for reader in &mut more {
        assert_eq!(reader.count_rows(&table).await.unwrap(), 10);
    }
    first.end_data_reads().await.unwrap();
    let mut later = source(&db).await;
    assert_eq!(later.count_rows(&table).await.unwrap(), 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn checksums_tell_apart_rows_that_differ_in_one_bit() {
    let rows = "CREATE TABLE t (id int PRIMARY KEY, d double precision, s text, b bytea); \
         INSERT INTO t SELECT i, i * 0.5, 'row ' || i, int4send(i) FROM generate_series(1, 1000) i; \
         INSERT INTO t VALUES (0, 0, NULL, NULL)";
    let (a, b) = (PgDb::new("pgsum_a"), PgDb::new("pgsum_b"));
    a.exec(rows);
    b.exec(rows);
    let (mut sa, mut sb) = (source(&a).await, source(&b).await);
    let table = table_data(&mut sa, "t").await;
    let all = KeyRange::all();
    let whole = std::slice::from_ref(&all);
    let sum_a = sa.range_checksums(&table, whole).await.unwrap().unwrap()[0];
    assert_eq!(sum_a.rows, 1001);
    assert_eq!(
        sb.range_checksums(&table, whole).await.unwrap(),
        Some(vec![sum_a])
    );

    // 0 and -0 are equal to PostgreSQL, not to the checksum.
    b.exec("UPDATE t SET d = '-0' WHERE id = 0");
    assert_ne!(
        sb.range_checksums(&table, whole).await.unwrap(),
        Some(vec![sum_a])
    );

    // Split points cut the range into parts whose checksums add up, and
    // only the part holding the changed row differs.
    let points = sa.split_points(&table, &all, 4).await.unwrap();
    assert_eq!(points.len(), 3, "{points:?}");
    let parts = all.split(points);
    let mut total = None::<lockstep::data::segment::Checksum>;
    let mut differing = Vec::new();
    let xs = sa.range_checksums(&table, &parts).await.unwrap().unwrap();
    let ys = sb.range_checksums(&table, &parts).await.unwrap().unwrap();
    for (i, (&x, y)) in xs.iter().zip(&ys).enumerate() {
        if x != *y {
            differing.push(i);
        }
        total = Some(total.map_or(x, |t| t.combine(x)));
    }
    assert_eq!(total, Some(sum_a));
    assert_eq!(differing, [0]);
}

const CHINOOK_TABLES: [&str; 11] = [
    "album",
    "artist",
    "customer",
    "employee",
    "genre",
    "invoice",
    "invoice_line",
    "media_type",
    "playlist",
    "playlist_track",
    "track",
];

/// Every Chinook row as the server prints it, table by table, and where
/// each identity sequence goes next.
fn chinook_contents(db: &PgDb) -> Vec<Vec<Option<String>>> {
    let mut sql = String::from("SET extra_float_digits = 3;");
    for table in CHINOOK_TABLES {
        sql.push_str(&format!(
            "SELECT '{table}', count(*)::text, md5(string_agg(t::text, '|' ORDER BY t::text)) \
             FROM {table} t;"
        ));
        // Every table but the link table has an identity key `<table>_id`.
        if table != "playlist_track" {
            sql.push_str(&format!(
                "SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::text \
                 FROM {table}_{table}_id_seq;"
            ));
        }
    }
    db.query(&sql)
}

#[test]
fn chinook_syncs_into_an_empty_and_a_drifted_target() {
    let source = PgDb::new("pgchinook_src");
    let target = PgDb::new("pgchinook_tgt");
    source.load_corpus_file(
        &common::corpus_dir().join("sampledb/chinook/Chinook_PostgreSql_AutoIncrementPKs.sql"),
        "chinook_auto_increment",
    );
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 15_607, "{out}");
    let expected = chinook_contents(&source);
    assert_eq!(expected[0][1].as_deref(), Some("347"), "{expected:?}");
    assert_eq!(chinook_contents(&target), expected);
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 0, "{out}");

    // Drift: changed, missing and extra rows, a dropped index.
    target.exec(
        "UPDATE track SET name = name || ' (live)' WHERE track_id % 97 = 0; \
         DELETE FROM playlist_track WHERE playlist_id = 1 AND track_id < 100; \
         INSERT INTO genre (name) VALUES ('Polka'); \
         DROP INDEX track_genre_id_idx",
    );
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(chinook_contents(&target), chinook_contents(&source));
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_url_with_an_unknown_parameter_or_a_missing_database_is_refused_with_what_to_do() {
    let db = PgDb::new("pgrefuse");
    let typo = format!("{}?sslmod=require", db.url());
    let out = common::lockstep_sync("--validate-only", &typo, &db.url());
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("unknown parameter `sslmod`"), "{text}");
    assert!(text.contains("sslmode and sslrootcert"), "{text}");

    let server = common::postgres_server_url();
    let (scheme, rest) = server.split_once("://").unwrap();
    let rest = rest.split_once('@').map_or(rest, |(_, host)| host);
    let missing = format!("{scheme}://postgres:hunter2secret@{rest}/lst_no_such_db");
    let out = common::lockstep_sync("--validate-only", &db.url(), &missing);
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("`lst_no_such_db` does not exist"), "{text}");
    assert!(!text.contains("hunter2secret"), "{text}");
}

#[test]
fn an_account_that_is_no_superuser_copies_and_syncs_with_checks_on() {
    let role = PgRole::new("lst_user");
    let (source, target) = (PgDb::new("pgrole_src"), PgDb::new("pgrole_tgt"));
    for db in [&source, &target] {
        db.exec(&format!("ALTER SCHEMA public OWNER TO \"{}\"", role.name));
    }
    source.exec(&format!(
        "SET ROLE {}; \
         CREATE TABLE parent (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text); \
         CREATE TABLE child (id serial PRIMARY KEY, pid int REFERENCES parent (id)); \
         INSERT INTO parent (name) SELECT 'p' || i FROM generate_series(1, 50) i; \
         INSERT INTO child (pid) SELECT 1 + i % 50 FROM generate_series(1, 200) i",
        role.name
    ));
    let as_role = |db: &PgDb| role.url(db);
    let run = || {
        common::sync_with_report(
            &as_role(&source),
            &as_role(&target),
            &["--fix-schemas", "--yes"],
        )
    };
    let (code, out, report) = run();
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 250, "{out}");
    target.exec("DELETE FROM child WHERE id > 150; UPDATE parent SET name = 'x' WHERE id = 3");
    let (code, out, report) = run();
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 51, "{out}");
    let rows = "SELECT p::text FROM parent p UNION ALL SELECT c::text FROM child c ORDER BY 1";
    assert_eq!(target.query(rows), source.query(rows));
}

/// The size estimates come with the schema: the planner's row counts (a
/// partitioned table's summed over its partitions, a table in another
/// schema by its qualified name), none for a table never analyzed; a table
/// the schema's read did not see is asked for on its own.
#[tokio::test(flavor = "multi_thread")]
async fn size_estimates_come_with_the_schema() {
    let db = PgDb::new("pgsizes");
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 500); \
         CREATE SCHEMA other; CREATE TABLE other.u (id int PRIMARY KEY); \
         INSERT INTO other.u SELECT generate_series(1, 30); \
         CREATE TABLE p (id int) PARTITION BY RANGE (id); \
         CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (100); \
         CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (100) TO (1000); \
         INSERT INTO p SELECT generate_series(1, 300); \
         CREATE TABLE never (id int); \
         ANALYZE t; ANALYZE other.u; ANALYZE p1; ANALYZE p2",
    );
    let mut source = source(&db).await;
    source.introspect().await.unwrap();
    db.exec("CREATE TABLE later (id int); INSERT INTO later VALUES (1), (2); ANALYZE later");
    let mut rows = async |table: &str| source.estimate_size(table).await.map(|s| s.rows);
    assert_eq!(rows("t").await, Some(500));
    assert_eq!(rows("other.u").await, Some(30));
    assert_eq!(rows("p").await, Some(300));
    assert_eq!(rows("p1").await, Some(99));
    assert_eq!(rows("never").await, None);
    assert_eq!(rows("later").await, Some(2));
    let bytes = source.estimate_size("t").await.map(|s| s.bytes);
    assert!(bytes.is_some_and(|b| b > 0), "{bytes:?}");
}

/// Every table of the PostgreSQL demo (`examples/postgres`), each row as
/// the server prints it, in key order.
fn demo_contents(db: &PgDb) -> Vec<Vec<Option<String>>> {
    let tables = [
        "client_accounts",
        "auth_user",
        "subscriber_accounts",
        "subscriber_subscription",
        "helpdesk_ticket",
        "job_orders",
    ];
    let sql: String = tables
        .iter()
        .map(|t| format!("SELECT string_agg(r::text, E'\\n' ORDER BY r.id) FROM {t} r;"))
        .collect();
    db.query(&sql)
}

/// Loads one of the PostgreSQL demo's SQL files into `db`.
fn load_demo_file(db: &PgDb, name: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/postgres")
        .join(name);
    let script =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if let Err(e) = db.psql(&script) {
        panic!("loading {}: {e}", path.display());
    }
}

/// The demo `examples/demo.sh --postgres URL` runs: the drifted copy
/// (a missed migration, a lost index and view, changed rows, a counter
/// behind) becomes the source's in one plain sync, and a second look
/// finds nothing.
#[test]
fn the_shipped_postgres_demo_syncs_fully_and_then_has_nothing_to_do() {
    let source = PgDb::new("pgdemo_src");
    let target = PgDb::new("pgdemo_tgt");
    load_demo_file(&source, "remote.sql");
    load_demo_file(&target, "remote.sql");
    load_demo_file(&target, "drift.sql");
    assert_ne!(demo_contents(&target), demo_contents(&source));

    let (code, out, report) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(rows_written(&report) > 0, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());
    assert_eq!(demo_contents(&target), demo_contents(&source));
    let next_user = "SELECT nextval(pg_get_serial_sequence('auth_user', 'id'))::text";
    assert_eq!(target.query(next_user), source.query(next_user));

    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
}
