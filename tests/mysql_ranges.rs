//! Key-range lanes inside one table, on MariaDB through the binary: a
//! drifted table big enough (here `range_rows = 1000` and 6,000 rows on
//! three lanes) is cut into three key ranges synced side by side (stream
//! and bisect), with a composite key whose cut points fall inside a group
//! of its first column, drift on both sides of every cut, and unique
//! values that move between rows of different ranges. Tables stay whole
//! where ranges do not fit: an empty target table (one bulk load), a key
//! with a NULL-able column, no key at all.

mod common;

use common::{MyDb, SqliteDb};

/// 6,000 rows keyed (region, seq): region = seq DIV 1000, so a cut every
/// 2,000 rows falls at (2, 2000) and (4, 4000), inside a region.
const ORDERS: &str = "
CREATE TABLE clients (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL);
CREATE TABLE orders (
  region INT NOT NULL, seq INT NOT NULL, client_id INT NOT NULL, code INT NOT NULL,
  note TEXT NULL, amount DECIMAL(10,2) NULL,
  PRIMARY KEY (region, seq), UNIQUE KEY orders_code (code),
  CONSTRAINT orders_client FOREIGN KEY (client_id) REFERENCES clients (id)
) ENGINE=InnoDB;";

const FILL: &str = "
INSERT INTO clients SELECT seq, CONCAT('c', seq) FROM seq_1_to_50;
INSERT INTO orders SELECT seq DIV 1000, seq, 1 + seq % 50, seq,
  IF(seq % 11 = 0, NULL, CONCAT('n\\t', seq, ' é😀 \\'q\\'')), IF(seq % 13 = 0, NULL, seq / 7)
  FROM seq_1_to_6000;
ANALYZE TABLE clients, orders;";

/// A config cutting tables of 2,000 rows or more, on three lanes.
fn config() -> (SqliteDb, String) {
    let scratch = SqliteDb::new("ranges_cfg");
    let path = scratch.dir.join("lockstep.toml");
    std::fs::write(&path, "[sync]\nrange_rows = 1000\nparallelism = 3\n").unwrap();
    (scratch, path.display().to_string())
}

fn sync(source: &MyDb, target: &MyDb, extra: &[&str]) -> (i32, String, serde_json::Value) {
    let (_scratch, config) = config();
    let mut args = vec!["-c", config.as_str()];
    args.extend_from_slice(extra);
    common::sync_with_report(&source.url(), &target.url(), &args)
}

/// The report's line on how `table`'s rows were found.
fn found_by(report: &serde_json::Value, table: &str) -> String {
    report["data"]["tables"]
        .as_array()
        .expect("per-table report")
        .iter()
        .find(|t| t["table"] == table)
        .unwrap_or_else(|| panic!("no report for `{table}`: {report}"))["found_by"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn an_empty_target_table_is_bulk_loaded_whole() {
    // A second bulk load into the same empty InnoDB table waits for the
    // first one's table lock: the table is not cut.
    let source = MyDb::new("rng_copy_src");
    let target = MyDb::new("rng_copy_tgt");
    source.exec(&format!("{ORDERS} {FILL}"));
    let (code, out, report) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    source.assert_same_data(&target);
    let found = found_by(&report, "orders");
    assert!(found.starts_with("copy: 6000 rows"), "{found}");
    assert_eq!(report["data"]["rows_inserted"], 6050, "{}", report["data"]);
}

/// The target: the source's rows, drifted on both sides of every cut,
/// before the first key and after the last; rows 10 and 5990 (first and
/// last range) have swapped their unique codes, and row 4001 (last range)
/// holds the code of row 2002 (middle range), which the target lacks. Its
/// changes: 71 rows to update, 3 to insert, 4 to delete.
fn drifted_pair(prefix: &str) -> (MyDb, MyDb) {
    let source = MyDb::new(&format!("{prefix}_src"));
    let target = MyDb::new(&format!("{prefix}_tgt"));
    source.exec(&format!("{ORDERS} {FILL}"));
    target.exec(ORDERS);
    target.exec(&format!(
        "INSERT INTO clients SELECT * FROM `{src}`.clients;
         INSERT INTO orders SELECT * FROM `{src}`.orders;
         UPDATE orders SET note = 'drift'
           WHERE seq IN (1, 1999, 2000, 2001, 3999, 4000, 4001, 6000) OR seq % 97 = 0;
         DELETE FROM orders WHERE seq IN (5, 2002, 4002);
         UPDATE orders SET code = 0 WHERE seq = 10;
         UPDATE orders SET code = 10 WHERE seq = 5990;
         UPDATE orders SET code = 5990 WHERE seq = 10;
         UPDATE orders SET code = 2002 WHERE seq = 4001;
         INSERT INTO orders VALUES (-1, -1, 1, 100001, 'before all', 1),
           (2, 1999, 1, 100002, 'at a cut', 2), (3, 4000, 1, 100003, 'at a cut', 3),
           (9, 99999, 1, 100004, 'after all', 4);
         ANALYZE TABLE orders;",
        src = source.name
    ));
    (source, target)
}

#[test]
fn a_drifted_big_table_is_synced_in_key_ranges_side_by_side() {
    for algorithm in ["stream", "bisect"] {
        let (source, target) = drifted_pair(&format!("rng_{algorithm}"));
        let (code, out, report) = sync(
            &source,
            &target,
            &["--data-only", "--diff-algorithm", algorithm],
        );
        assert_eq!(code, 0, "{algorithm}: {out}");
        source.assert_same_data(&target);
        let found = found_by(&report, "orders");
        assert!(
            found.starts_with(&format!("{algorithm} (in 3 key ranges side by side)")),
            "{algorithm}: {found}"
        );
        let data = &report["data"];
        assert_eq!(data["rows_updated"], 71, "{algorithm}: {data}");
        assert_eq!(data["rows_inserted"], 3, "{algorithm}: {data}");
        assert_eq!(data["rows_deleted"], 4, "{algorithm}: {data}");
        // Nothing left: a second run finds every table equal.
        let (code, out, report) = sync(&source, &target, &["--data-only"]);
        assert_eq!(code, 0, "{algorithm}, again: {out}");
        assert_eq!(report["data"]["rows_updated"], 0, "{out}");
    }
}

#[test]
fn tables_whose_ranges_could_meet_stay_whole() {
    // `nullable`: its configured key has a NULL-able column (a range bound
    // cannot place a NULL); `keyless`: rows compared whole, and a unique
    // index whose column may be NULL is no key either.
    let schema = "
      CREATE TABLE nullable (a INT NOT NULL, b INT NULL, v VARCHAR(20), KEY (a, b));
      CREATE TABLE keyless (a INT NOT NULL, n INT NULL, v VARCHAR(20), UNIQUE KEY (n));";
    let fill = "
      INSERT INTO nullable SELECT seq DIV 3, IF(seq % 5 = 0, NULL, seq), CONCAT('v', seq) FROM seq_1_to_6000;
      INSERT INTO keyless SELECT seq % 100, IF(seq % 4 = 0, NULL, seq), CONCAT('v', seq) FROM seq_1_to_6000;
      ANALYZE TABLE nullable, keyless;";
    let source = MyDb::new("rng_whole_src");
    let target = MyDb::new("rng_whole_tgt");
    source.exec(&format!("{schema} {fill}"));
    target.exec(&format!("{schema} {fill}"));
    source.exec(
        "UPDATE nullable SET v = 'drift' WHERE a % 50 = 0 OR (b IS NULL AND a % 7 = 0);
         UPDATE keyless SET v = 'drift' WHERE a = 42;",
    );
    let scratch = SqliteDb::new("rng_whole_cfg");
    let path = scratch.dir.join("lockstep.toml");
    std::fs::write(
        &path,
        "[sync]\nrange_rows = 1000\nparallelism = 3\n[tables.nullable]\nkey = [\"a\", \"b\"]\n",
    )
    .unwrap();
    let config = path.display().to_string();
    let (code, out, report) = common::sync_with_report(
        &source.url(),
        &target.url(),
        &["-c", &config, "--data-only", "--diff-algorithm", "stream"],
    );
    assert_eq!(code, 0, "{out}");
    source.assert_same_data(&target);
    for table in ["nullable", "keyless"] {
        let found = found_by(&report, table);
        assert!(found.starts_with("stream: 12000 rows"), "{table}: {found}");
    }
}
