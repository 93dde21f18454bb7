//! Finding differences on the servers, on PostgreSQL through the binary:
//! checksum bisection and row hashes by key, for integer, composite and
//! text keys and a keyless table with NULLs and duplicates (bisected, or
//! streamed under row hashes, which need a key), for sparse and dense
//! drift: every difference is found, a sparse drift reads only a few
//! rows, and the target ends identical, exactly as with the streaming
//! merge. A level's range checksums are sent together (one round trip a
//! level), so their answers must come back to the right ranges.

mod common;

use common::PgDb;

fn sync(source: &PgDb, target: &PgDb, algorithm: &str) -> (i32, String, serde_json::Value) {
    common::sync_with_report(
        &source.url(),
        &target.url(),
        &["--data-only", "--diff-algorithm", algorithm],
    )
}

const TABLES: [&str; 4] = ["by_int", "by_pair", "by_text", "no_key"];

/// 20,000 rows a table: enough for two levels of splitting.
const SCHEMA: &str = "
    CREATE TABLE by_int (id int PRIMARY KEY, v varchar(20), f float8);
    CREATE TABLE by_pair (a int, b varchar(10), v int, PRIMARY KEY (a, b));
    CREATE TABLE by_text (k text COLLATE \"en-x-icu\" PRIMARY KEY, v int);
    CREATE TABLE no_key (a int, b varchar(10), v int);";

const ROWS: &str = "
    INSERT INTO by_int SELECT g, 'v' || g, g / 3.0 FROM generate_series(1, 20000) g;
    INSERT INTO by_pair SELECT g % 50, CASE WHEN g % 2 = 1 THEN 'x' ELSE 'X' END || g, g
        FROM generate_series(1, 20000) g;
    INSERT INTO by_text SELECT CASE WHEN g % 3 = 0 THEN 'K' ELSE 'k' END
        || CASE WHEN g % 7 = 0 THEN 'é' ELSE '' END || lpad(g::text, 6, '0'), g
        FROM generate_series(1, 20000) g;
    INSERT INTO no_key SELECT CASE WHEN g % 5 = 0 THEN NULL ELSE g % 700 END,
        CASE WHEN g % 3 = 0 THEN NULL ELSE 'b' || g % 11 END, g % 4
        FROM generate_series(1, 20000) g;
    ANALYZE;";

const SPARSE_DRIFT: &str = "
    UPDATE by_int SET v = 'changed' WHERE id IN (1, 9000, 19999, 20000);
    UPDATE by_int SET f = -0.0 WHERE id = 3;
    DELETE FROM by_int WHERE id = 12345;
    INSERT INTO by_int VALUES (30000, 'extra', 1);
    DELETE FROM by_pair WHERE a = 7 AND b = 'x507';
    UPDATE by_text SET v = -1 WHERE k = 'k000100';
    DELETE FROM no_key WHERE ctid = (SELECT min(ctid) FROM no_key WHERE a IS NULL AND b IS NULL AND v = 0);
    INSERT INTO no_key VALUES (NULL, NULL, 3), (NULL, NULL, 3), (699, NULL, 1);";

const DENSE_DRIFT: &str = "
    UPDATE by_int SET v = 'changed' WHERE id % 40 = 0;
    DELETE FROM by_int WHERE id % 97 = 0;
    UPDATE by_pair SET v = -v WHERE v % 30 = 0;
    UPDATE by_text SET v = -1 WHERE v % 25 = 0;
    UPDATE no_key SET v = 9 WHERE a % 7 = 0;";

/// Every row of a table, as the server prints it, sorted.
fn contents(db: &PgDb, table: &str) -> Vec<Vec<Option<String>>> {
    db.query(&format!(
        "SELECT * FROM {table} AS t ORDER BY t::text COLLATE \"C\""
    ))
}

#[test]
fn bisection_finds_every_difference_for_every_key_kind() {
    finds_every_difference("bisect", |_| "bisect", 20_000);
}

#[test]
fn row_hashes_find_every_difference_for_every_key_kind() {
    let method = |table: &str| match table {
        "no_key" => "stream",
        _ => "hashes",
    };
    // A sparse drift reads its few rows by key; the keyless table whole.
    finds_every_difference("hashes", method, 100);
}

/// Syncs sparse and dense drift with `algorithm`; each table must be
/// found by `method(table)`, identical after, and a sparse drift's keyed
/// tables must read fewer than `sparse_reads` rows.
fn finds_every_difference(algorithm: &str, method: fn(&str) -> &'static str, sparse_reads: u64) {
    let source = PgDb::new("pgbis_src");
    source.exec(SCHEMA);
    source.exec(ROWS);
    for (name, drift) in [("sparse", SPARSE_DRIFT), ("dense", DENSE_DRIFT)] {
        let target = PgDb::new("pgbis_tgt");
        target.exec(SCHEMA);
        target.exec(ROWS);
        target.exec(drift);
        let (code, out, report) = sync(&source, &target, algorithm);
        assert_eq!(code, 0, "{name}: {out}");
        for table in TABLES {
            assert!(
                contents(&source, table) == contents(&target, table),
                "{name}: {table} differs after the run:\n{out}"
            );
            let found = &report["data"]["tables"]
                .as_array()
                .and_then(|t| t.iter().find(|t| t["table"] == table))
                .map(|t| t["found_by"].to_string());
            assert!(
                found
                    .as_deref()
                    .is_some_and(|f| f.starts_with(&format!("\"{}", method(table)))),
                "{name} {table}: {found:?}"
            );
            let (found, read) = common::rows_read(&report, table);
            if name == "sparse" && method(table) != "stream" {
                // A few differing rows: only they (or small ranges) are read.
                assert!(read < sparse_reads, "{name} {table}: {found}");
            }
        }
        // -0 and 0 are told apart (the float's exact text is hashed).
        assert_eq!(
            target.query("SELECT f::text FROM by_int WHERE id = 3"),
            source.query("SELECT f::text FROM by_int WHERE id = 3")
        );
        let (code, out, _) = sync(&source, &target, "stream");
        assert_eq!(
            code, 0,
            "{name}: the streaming merge finds nothing left: {out}"
        );
        assert!(
            out.contains("Records inserted: 0") && out.contains("Records updated: 0"),
            "{name}: {out}"
        );
    }
}
