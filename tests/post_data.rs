//! Changes the target's old rows would refuse wait until the rows match
//! the source (pre-data / data / post-data, as pg_dump splits a restore):
//! a new UNIQUE index over rows that hold duplicates, a CHECK they break,
//! NOT NULL over NULLs, a narrower type and a shorter ENUM, a new FOREIGN
//! KEY they would orphan. `--fix-schemas` converges in one run; the plan
//! script places them after the rows.

mod common;

use common::{lockstep_sync, output_text, strip_auto_increment, MyDb};

/// A Django-style app table the source migrated: a UNIQUE (client,
/// reference), a CHECK, a NOT NULL and narrower columns, a shorter ENUM,
/// and a new FK. The target still has the old schema and rows that break
/// every new rule; the source's rows keep them.
fn migrated_pair() -> (MyDb, MyDb) {
    let source = MyDb::new("post_src");
    let target = MyDb::new("post_tgt");
    source.exec(
        "CREATE TABLE clients (id INT PRIMARY KEY, name VARCHAR(20));
         INSERT INTO clients VALUES (93, 'acme'), (94, 'globex');
         CREATE TABLE job_orders (
           id INT PRIMARY KEY,
           client INT NOT NULL,
           reference VARCHAR(20) NOT NULL,
           qty SMALLINT NOT NULL,
           state ENUM('open','done') NOT NULL,
           note VARCHAR(10) NULL,
           UNIQUE KEY client_ref (client, reference),
           CONSTRAINT qty_positive CHECK (qty > 0),
           CONSTRAINT fk_client FOREIGN KEY (client) REFERENCES clients (id));
         INSERT INTO job_orders VALUES
           (1, 93, 'JO-001309', 5, 'open', 'a'),
           (2, 93, 'JO-001310', 7, 'done', NULL),
           (3, 94, 'JO-001309', 1, 'open', 'b');",
    );
    target.exec(
        "CREATE TABLE clients (id INT PRIMARY KEY, name VARCHAR(20));
         INSERT INTO clients VALUES (93, 'acme');
         CREATE TABLE job_orders (
           id INT PRIMARY KEY,
           client INT NOT NULL,
           reference VARCHAR(20) NULL,
           qty INT NOT NULL,
           state ENUM('open','done','lost') NOT NULL,
           note VARCHAR(200) NULL);
         INSERT INTO job_orders VALUES
           (1, 93, 'JO-001309', 5, 'open', 'a'),
           (2, 93, 'JO-001309', -3, 'lost', REPEAT('x', 150)),
           (4, 95, NULL, 100000, 'open', NULL);",
    );
    (source, target)
}

#[test]
fn constraints_the_old_rows_break_are_added_after_the_rows() {
    let (source, target) = migrated_pair();
    let out = lockstep_sync("--fix-schemas", &source.url(), &target.url());
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_same_copy(&source, &target);

    // A second run finds nothing to do.
    let again = lockstep_sync("--fix-schemas", &source.url(), &target.url());
    assert_eq!(again.status.code(), Some(0), "{}", output_text(&again));
}

#[test]
fn the_plan_script_adds_them_after_the_rows() {
    let (source, target) = migrated_pair();
    let plan = std::env::temp_dir().join(format!("lst_post_{}.sql", target.name));
    let out = common::lockstep(&[
        "sync",
        "--dry-run",
        "--allow-destructive",
        "--no-color",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
        "--sql-out",
        &plan.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let script = std::fs::read_to_string(&plan).unwrap();
    let _ = std::fs::remove_file(&plan);
    let rows_at = script.find("-- rows").expect("a rows section");
    let unique_at = script.find("ADD UNIQUE KEY").expect("the unique index");
    let fk_at = script.find("ADD CONSTRAINT `fk_client`").expect("the FK");
    assert!(rows_at < unique_at && rows_at < fk_at, "{script}");

    // Replayed by the server's own client, it reaches the real run's result.
    target.load_file(&write_temp(&script, &target.name));
    assert_same_copy(&source, &target);
}

/// The same tables by SHOW CREATE TABLE (AUTO_INCREMENT counters aside)
/// and the same rows.
fn assert_same_copy(source: &MyDb, target: &MyDb) {
    let strip = |m: std::collections::BTreeMap<String, String>| -> Vec<String> {
        m.values().map(|c| strip_auto_increment(c)).collect()
    };
    assert_eq!(
        strip(target.show_create_tables()),
        strip(source.show_create_tables())
    );
    source.assert_same_data(target);
}

fn write_temp(text: &str, name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("lst_replay_{name}.sql"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn schema_only_refuses_what_the_old_rows_break_before_writing_anything() {
    let (source, target) = migrated_pair();
    let before = target.show_create_tables();
    let rows_before = target.rows("job_orders");
    let out = lockstep_sync("--schema-only", &source.url(), &target.url());
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    for words in [
        "nothing was changed",
        "`job_orders`",
        "client_ref",
        "('93', 'JO-001309') x2",
        "qty_positive",
        "NOT NULL on `reference` meets NULLs in rows: ('4')",
        "smallint(6) on `qty` cannot hold the values in rows: ('4')",
        "enum('open','done') on `state` cannot hold the values in rows: ('2')",
        "varchar(10) on `note` cannot hold the values in rows: ('2')",
        "fk_client",
        "('95')",
        "--fix-schemas",
    ] {
        assert!(text.contains(words), "missing {words:?} in:\n{text}");
    }
    assert_eq!(target.show_create_tables(), before);
    assert_eq!(target.rows("job_orders"), rows_before);
}
