//! Foreign key cycles on PostgreSQL: two tables that reference each
//! other (with plain and with DEFERRABLE constraints, NOT NULL both
//! ways), a table that references itself with ON DELETE CASCADE, and a
//! keyless table holding duplicate rows. Synced into an empty target and
//! into a drifted one, by a superuser and by an account that is not one
//! (it may not turn checks off): identical after, validate finds nothing.

mod common;

use common::{PgDb, PgRole};

/// The cycles. `pa`/`pb` reference each other through nullable columns
/// with plain constraints; `da`/`db` through NOT NULL columns, which
/// only deferred constraints let anyone fill.
const SCHEMA: &str = "
CREATE TABLE pa (id int PRIMARY KEY, b_id int, note text);
CREATE TABLE pb (id int PRIMARY KEY, a_id int REFERENCES pa (id), note text);
ALTER TABLE pa ADD CONSTRAINT pa_b FOREIGN KEY (b_id) REFERENCES pb (id);
CREATE TABLE da (id int PRIMARY KEY, b_id int NOT NULL, note text);
CREATE TABLE db (id int PRIMARY KEY,
  a_id int NOT NULL REFERENCES da (id) DEFERRABLE INITIALLY DEFERRED, note text);
ALTER TABLE da ADD CONSTRAINT da_b FOREIGN KEY (b_id) REFERENCES db (id)
  DEFERRABLE INITIALLY IMMEDIATE;
CREATE TABLE node (id int PRIMARY KEY,
  parent_id int REFERENCES node (id) ON DELETE CASCADE, name text);
CREATE TABLE bag (v text, n int);
";

const ROWS: &str = "
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO pa VALUES (1, NULL, 'a1'), (2, NULL, 'a2'), (3, NULL, 'a3');
INSERT INTO pb VALUES (1, 2, 'b1'), (2, 1, 'b2'), (3, NULL, 'b3');
UPDATE pa SET b_id = 1 WHERE id = 1;
UPDATE pa SET b_id = 3 WHERE id = 2;
INSERT INTO da VALUES (1, 2, 'x'), (2, 1, 'y');
INSERT INTO db VALUES (1, 2, 'p'), (2, 1, 'q');
INSERT INTO node VALUES (5, NULL, 'root'), (4, 5, 'l1'), (3, 4, 'l2'), (2, 3, 'l3'),
  (1, 2, 'l4'), (6, 1, 'l5');
INSERT INTO bag VALUES ('x', 1), ('x', 1), ('x', 1), ('y', NULL), ('y', NULL), (NULL, 2);
COMMIT;
";

/// The target's drift: rows changed, gone and added in every table, a
/// cycle turned around, a subtree cut off by the cascade.
const DRIFT: &str = "
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
UPDATE pa SET b_id = 2, note = 'changed' WHERE id = 1;
UPDATE pb SET a_id = 3 WHERE id = 2;
INSERT INTO pa VALUES (9, 1, 'extra');
INSERT INTO pb VALUES (9, 9, 'extra');
UPDATE pa SET b_id = 9 WHERE id = 3;
DELETE FROM db WHERE id = 1;
UPDATE da SET b_id = 3 WHERE id = 2;
INSERT INTO db VALUES (3, 2, 'r');
UPDATE db SET a_id = 2 WHERE id = 2;
DELETE FROM da WHERE id = 1;
DELETE FROM node WHERE id = 3;
INSERT INTO node VALUES (7, 5, 'new'), (3, 7, 'moved');
DELETE FROM bag WHERE v = 'y';
INSERT INTO bag VALUES ('x', 1), ('z', 3);
COMMIT;
";

const TABLES: [&str; 6] = ["pa", "pb", "da", "db", "node", "bag"];

/// Every row of every table, as the server prints it, sorted.
fn contents(db: &PgDb) -> Vec<Vec<Option<String>>> {
    let sql: Vec<String> = TABLES
        .iter()
        .map(|t| format!("SELECT '{t}', x::text FROM {t} x"))
        .collect();
    db.query(&format!("{} ORDER BY 1, 2", sql.join(" UNION ALL ")))
}

fn rows_written(report: &serde_json::Value) -> u64 {
    ["rows_inserted", "rows_updated", "rows_deleted"]
        .iter()
        .map(|k| report["data"][k].as_u64().unwrap())
        .sum()
}

/// Syncs into an empty target and into a drifted one, with `url` giving
/// each database's URL for the account that runs lockstep.
fn sync_cycles(source: &PgDb, target: &PgDb, url: &dyn Fn(&PgDb) -> String) {
    let run = || common::sync_with_report(&url(source), &url(target), &["--fix-schemas", "--yes"]);
    let (code, out, report) = run();
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 22, "{out}");
    assert_eq!(contents(target), contents(source));
    assert_eq!(target.schema_dump(), source.schema_dump());

    let (code, out, report) = run();
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        rows_written(&report),
        0,
        "a second run writes nothing: {out}"
    );

    target.exec(DRIFT);
    assert_ne!(contents(target), contents(source));
    let (code, out, _) = run();
    assert_eq!(code, 0, "{out}");
    assert_eq!(contents(target), contents(source));
    let (code, out, _) = common::sync_with_report(&url(source), &url(target), &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn cycles_self_references_and_duplicates_sync_as_a_superuser() {
    let (source, target) = (PgDb::new("pgcycle_src"), PgDb::new("pgcycle_tgt"));
    source.exec(SCHEMA);
    source.exec(ROWS);
    sync_cycles(&source, &target, &|db| db.url());
}

#[test]
fn cycles_sync_for_an_account_that_may_not_turn_checks_off() {
    let role = PgRole::new("lst_cycle");
    let (source, target) = (PgDb::new("pgcyclu_src"), PgDb::new("pgcyclu_tgt"));
    for db in [&source, &target] {
        db.exec(&format!("ALTER SCHEMA public OWNER TO \"{}\"", role.name));
    }
    source.exec(&format!("SET ROLE \"{}\"; {SCHEMA} {ROWS}", role.name));
    sync_cycles(&source, &target, &|db| role.url(db));
}
