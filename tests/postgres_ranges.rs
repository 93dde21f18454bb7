//! Key-range lanes inside one table on PostgreSQL through the binary: a
//! drifted table of 6,000 rows (`range_rows = 1000`, three lanes reading
//! one exported snapshot) is synced in three key ranges side by side, with
//! a composite key cut inside a group of its first column, drift on both
//! sides of every cut, and unique values swapped between rows of the
//! first and the last range.

mod common;

use common::{PgDb, SqliteDb};

const SCHEMA: &str = "
CREATE TABLE orders (
  region int NOT NULL, seq int NOT NULL, code int NOT NULL UNIQUE, note text,
  PRIMARY KEY (region, seq));";

const FILL: &str = "
INSERT INTO orders SELECT s / 1000, s, s, 'n ' || s FROM generate_series(1, 6000) AS s;
ANALYZE orders;";

fn contents(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query("SELECT o::text FROM orders o ORDER BY region, seq")
}

#[test]
fn a_drifted_big_table_is_synced_in_key_ranges_side_by_side() {
    let source = PgDb::new("rng_pg_src");
    let target = PgDb::new("rng_pg_tgt");
    source.exec(&format!("{SCHEMA} {FILL}"));
    target.exec(&format!("{SCHEMA} {FILL}"));
    target.exec(
        "UPDATE orders SET note = 'drift' WHERE seq IN (1, 1999, 2000, 2001, 3999, 4000, 4001, 6000);
         DELETE FROM orders WHERE seq IN (5, 2002, 4002);
         UPDATE orders SET code = 0 WHERE seq = 10;
         UPDATE orders SET code = 10 WHERE seq = 5990;
         UPDATE orders SET code = 5990 WHERE seq = 10;
         INSERT INTO orders VALUES (-1, -1, 100001, 'before all'), (2, 1999, 100002, 'at a cut'),
           (9, 99999, 100003, 'after all');
         ANALYZE orders;",
    );
    let scratch = SqliteDb::new("rng_pg_cfg");
    let path = scratch.dir.join("lockstep.toml");
    std::fs::write(&path, "[sync]\nrange_rows = 1000\nparallelism = 3\n").unwrap();
    let config = path.display().to_string();
    let (code, out, report) = common::sync_with_report(
        &source.url(),
        &target.url(),
        &["-c", &config, "--data-only", "--diff-algorithm", "stream"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(contents(&source), contents(&target));
    let found = report["data"]["tables"][0]["found_by"].as_str().unwrap();
    assert!(
        found.starts_with("stream (in 3 key ranges side by side)"),
        "{found}"
    );
    let data = &report["data"];
    assert_eq!(data["rows_updated"], 10, "{data}");
    assert_eq!(data["rows_inserted"], 3, "{data}");
    assert_eq!(data["rows_deleted"], 3, "{data}");
}
