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
