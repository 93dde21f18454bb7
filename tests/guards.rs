//! Refusals that keep the target whole: a refused destructive change
//! takes its preparatory steps with it, and a table that would lose most
//! of its rows (the wrong source, an empty staging copy) is left alone
//! unless destructive changes are allowed. Through the binary, on MariaDB.

mod common;

use common::MyDb;

fn sync(source: &MyDb, target: &MyDb, extra: &[&str]) -> (i32, String, serde_json::Value) {
    common::sync_with_report(&source.url(), &target.url(), extra)
}

/// The foreign keys of a table, by name.
fn foreign_keys(db: &MyDb, table: &str) -> Vec<String> {
    db.query(&format!(
        "SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS \
         WHERE CONSTRAINT_SCHEMA = '{}' AND TABLE_NAME = '{table}' ORDER BY 1",
        db.name
    ))
    .into_iter()
    .map(|r| r[0].clone().unwrap())
    .collect()
}

/// A source with no tables, a target with `parent` and `child`: the DROP
/// TABLEs are refused without --allow-destructive, and so is dropping
/// `child`'s foreign key, the step that only prepares them (it used to
/// run, leaving the target changed by a plan that was refused).
#[test]
fn a_refused_drop_keeps_the_foreign_keys_it_would_have_dropped_first() {
    let source = MyDb::new("prep_src");
    let target = MyDb::new("prep_tgt");
    target.exec(
        "CREATE TABLE parent (id INT PRIMARY KEY);
         CREATE TABLE child (id INT PRIMARY KEY, parent_id INT,
             CONSTRAINT child_ibfk_1 FOREIGN KEY (parent_id) REFERENCES parent (id));
         INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1);",
    );
    let before = target.show_create_tables();
    for mode in ["--schema-only", "--fix-schemas"] {
        let (code, out, report) = sync(&source, &target, &[mode]);
        assert_eq!(code, 1, "{mode}: refused changes leave differences: {out}");
        assert_eq!(target.show_create_tables(), before, "{mode}: {out}");
        assert_eq!(foreign_keys(&target, "child"), ["child_ibfk_1"], "{mode}");
        let changes = report["schema"]["changes"].as_array().unwrap();
        assert!(
            changes.iter().all(|c| c["applied"] == false),
            "{mode}: nothing applied: {changes:#?}"
        );
        let fk_drop = changes
            .iter()
            .find(|c| c["sql"][0].as_str().unwrap().contains("DROP FOREIGN KEY"))
            .expect("the plan drops the FK first");
        assert!(
            fk_drop["skipped_because"]
                .as_str()
                .unwrap()
                .contains("refused"),
            "{fk_drop:#?}"
        );
    }
    // Allowed, the whole change runs, preparation included.
    let (code, out, _) = sync(&source, &target, &["--schema-only", "--allow-destructive"]);
    assert_eq!(code, 0, "{out}");
    assert!(target.table_names().is_empty(), "{out}");
}

/// The JSON report's entry for `table` in `data.tables`.
fn table_report<'a>(report: &'a serde_json::Value, table: &str) -> &'a serde_json::Value {
    report["data"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == table)
        .unwrap_or_else(|| panic!("no `{table}` in {report:#}"))
}

fn count(db: &MyDb, table: &str) -> u64 {
    db.query(&format!("SELECT COUNT(*) FROM `{table}`"))[0][0]
        .as_deref()
        .unwrap()
        .parse()
        .unwrap()
}

/// Source and target with `orders` (the source keeps `kept` of the
/// target's 100 rows) and `customers` (one row differs).
fn shrunk_pair(prefix: &str, kept: u32) -> (MyDb, MyDb) {
    let source = MyDb::new(&format!("{prefix}_src"));
    let target = MyDb::new(&format!("{prefix}_tgt"));
    for db in [&source, &target] {
        db.exec(
            "CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(20));
             CREATE TABLE orders (id INT PRIMARY KEY, total INT);
             INSERT INTO customers SELECT seq, CONCAT('c', seq) FROM seq_1_to_20;",
        );
    }
    source.exec("UPDATE customers SET name = 'renamed' WHERE id = 7");
    target.exec("INSERT INTO orders SELECT seq, seq * 10 FROM seq_1_to_100");
    if kept > 0 {
        source.exec(&format!(
            "INSERT INTO orders SELECT seq, seq * 10 FROM seq_1_to_{kept}"
        ));
    }
    (source, target)
}

/// The wrong source (its `orders` is empty, or holds a fraction of the
/// target's): the table is left untouched and named, the others are
/// synced, exit 1; in every mode that writes or plans writes.
#[test]
fn a_table_that_would_lose_most_of_its_rows_is_left_untouched() {
    for (kept, words) in [
        (
            0,
            &[
                "all 100 of its rows would be deleted",
                "source table is empty",
            ][..],
        ),
        (
            40,
            &[
                "at least 60 of its 100 rows would be deleted",
                "max_delete_ratio = 0.5",
            ][..],
        ),
    ] {
        for mode in ["--fix-schemas", "--data-only", "--dry-run"] {
            let (source, target) = shrunk_pair("guard", kept);
            let (code, out, report) = sync(&source, &target, &[mode]);
            assert_eq!(code, 1, "{mode}, {kept} kept: {out}");
            assert_eq!(
                count(&target, "orders"),
                100,
                "{mode}: orders untouched: {out}"
            );
            let orders = table_report(&report, "orders");
            let why = orders["skipped_because"].as_str().unwrap_or_default();
            for word in words.iter().chain(&["--allow-destructive"]) {
                assert!(why.contains(word), "{mode}: `{word}` in {why}");
                assert!(out.contains(word), "{mode}: `{word}` in {out}");
            }
            assert_eq!(report["in_sync"], false);
            if mode != "--dry-run" {
                let renamed = target.query("SELECT name FROM customers WHERE id = 7");
                assert_eq!(
                    renamed[0][0].as_deref(),
                    Some("renamed"),
                    "{mode}: the others are synced"
                );
            }
        }
    }
}

/// Validating reports the differences as they are: nothing is refused.
#[test]
fn validate_counts_the_deletes_without_refusing() {
    let (source, target) = shrunk_pair("guard_val", 0);
    let (code, out, report) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        table_report(&report, "orders")["rows_deleted"],
        100,
        "{out}"
    );
}

/// Allowed (--allow-destructive, or a higher max_delete_ratio), the table
/// is synced; a table of a few rows is never guarded.
#[test]
fn the_guard_gives_way_when_allowed_and_for_small_tables() {
    let (source, target) = shrunk_pair("guard_ok", 0);
    let (code, out, _) = sync(&source, &target, &["--data-only", "--allow-destructive"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(count(&target, "orders"), 0);

    let (source, target) = shrunk_pair("guard_cfg", 40);
    let scratch = common::SqliteDb::new("guard_cfg");
    let config = scratch.dir.join("lockstep.toml");
    std::fs::write(&config, "[sync]\nmax_delete_ratio = 0.7\n").unwrap();
    let (code, out, _) = sync(
        &source,
        &target,
        &["--data-only", "-c", config.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(count(&target, "orders"), 40);

    let (source, target) = shrunk_pair("guard_small", 0);
    target.exec("DELETE FROM orders WHERE id > 5");
    let (code, out, _) = sync(&source, &target, &["--data-only"]);
    assert_eq!(code, 0, "five rows are not guarded: {out}");
    assert_eq!(count(&target, "orders"), 0);
}
