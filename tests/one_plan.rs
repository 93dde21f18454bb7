//! Validate, `--dry-run` and the real run come from the same decisions:
//! the same tables synced or skipped, the same counts.

mod common;

use common::{sync_with_report, MyDb};

/// (rows_inserted, rows_updated, rows_deleted) and each table's skip
/// reason, from a JSON report.
fn counts(report: &serde_json::Value) -> (u64, u64, u64, Vec<String>) {
    let data = &report["data"];
    let skipped = data["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !t["skipped_because"].is_null())
        .map(|t| t["table"].as_str().unwrap().to_string())
        .collect();
    (
        data["rows_inserted"].as_u64().unwrap(),
        data["rows_updated"].as_u64().unwrap(),
        data["rows_deleted"].as_u64().unwrap(),
        skipped,
    )
}

#[test]
fn an_index_difference_leaves_the_rows_comparable_in_every_mode() {
    let source = MyDb::new("plan_src");
    let target = MyDb::new("plan_tgt");
    let rows: Vec<String> = (1..=1000).map(|i| format!("({i}, 'n{i}')")).collect();
    for db in [&source, &target] {
        db.exec(&format!(
            "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20));
             INSERT INTO t VALUES {};",
            rows.join(",")
        ));
    }
    source.exec("CREATE INDEX by_name ON t (name); UPDATE t SET name = 'changed' WHERE id = 7;");

    let mut seen = Vec::new();
    for mode in ["--validate-only", "--dry-run", "--fix-schemas"] {
        let (code, text, report) = sync_with_report(&source.url(), &target.url(), &[mode]);
        assert_eq!(
            code,
            if mode == "--fix-schemas" { 0 } else { 1 },
            "{mode}: {text}"
        );
        seen.push((mode, counts(&report)));
    }
    for (mode, c) in &seen {
        assert_eq!(*c, (0, 1, 0, vec![]), "{mode}: {seen:?}");
    }
    source.assert_same_data(&target);
}
