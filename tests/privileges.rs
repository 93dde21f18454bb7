//! The accounts' privileges, checked before the first write with real
//! MariaDB users: a target account that may not make the run's writes,
//! or a source account that cannot see every table, is refused with the
//! missing grants named (exit 2) and the target left as it was; grants
//! through roles and wildcard databases count; a write refused anyway
//! stops the run at once.

mod common;

use common::{lockstep, output_text, MyDb, MyUser};

/// A source of 30 rows and a target holding 25 of them, a changed one and
/// an extra one: a sync inserts, updates and deletes.
fn drifted_pair(prefix: &str) -> (MyDb, MyDb) {
    let source = MyDb::new(&format!("{prefix}_src"));
    let target = MyDb::new(&format!("{prefix}_tgt"));
    for db in [&source, &target] {
        db.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))");
    }
    source.exec("INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_30");
    target.exec(
        "INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_25;
         UPDATE t SET v = 'old' WHERE id = 3; INSERT INTO t VALUES (99, 'extra')",
    );
    (source, target)
}

/// The target's rows as text, to prove it untouched.
fn rows(db: &MyDb) -> Vec<Vec<Option<String>>> {
    db.query("SELECT * FROM t ORDER BY id")
}

fn sync(source: &str, target: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["sync", "--no-color", "--source", source, "--target", target];
    args.extend_from_slice(extra);
    let out = lockstep(&args);
    (out.status.code().unwrap_or(-1), output_text(&out))
}

#[track_caller]
fn assert_refused(code: i32, out: &str, words: &[&str]) {
    assert_eq!(code, 2, "{out}");
    for word in words {
        assert!(out.contains(word), "expected `{word}` in: {out}");
    }
    assert!(!out.contains("ERROR 1142"), "refused before writing: {out}");
    assert!(out.lines().count() < 12, "a paragraph, not a log: {out}");
}

/// Each row: the target account's grants and what the refusal must name.
#[test]
fn a_target_account_without_the_grants_is_refused_before_writing() {
    let cases: &[(&str, &[&str])] = &[
        // SELECT only: every row write would fail (2,097 lines of 1142).
        (
            "SELECT",
            &["INSERT, UPDATE, DELETE on", "`.`t` (to write rows)"],
        ),
        // No DELETE: the inserts and updates would run, then the deletes fail.
        (
            "SELECT, INSERT, UPDATE",
            &["DELETE on", "`.`t` (to write rows)"],
        ),
    ];
    for (grants, words) in cases {
        let (source, target) = drifted_pair("grants");
        let before = rows(&target);
        let user = MyUser::new("tgt");
        user.grant(&format!("{grants} ON `{}`.*", target.name));
        let (code, out) = sync(&source.url(), &user.url(&target), &["--fix-schemas"]);
        assert_refused(code, &out, words);
        assert!(out.contains("the target account"), "{out}");
        if *grants != "SELECT" {
            assert!(
                !out.contains("INSERT, UPDATE"),
                "only what is missing: {out}"
            );
        }
        assert_eq!(rows(&target), before, "{grants}: the target was written");
    }
}

/// A schema change the account may not make (DROP) is named with the
/// table it is for; nothing of the schema plan runs.
#[test]
fn a_schema_change_without_its_grant_is_refused_before_any_change() {
    let (source, target) = drifted_pair("ddl");
    source.exec("ALTER TABLE t ADD COLUMN w INT");
    target.exec("CREATE TABLE extra (id INT PRIMARY KEY)");
    let before = target.show_create_tables();
    let user = MyUser::new("ddl");
    user.grant(&format!(
        "SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `{}`.*",
        target.name
    ));
    let (code, out) = sync(
        &source.url(),
        &user.url(&target),
        &["--fix-schemas", "--allow-destructive", "--yes"],
    );
    assert_refused(code, &out, &["DROP on", "`.`extra` (to drop tables)"]);
    assert_eq!(target.show_create_tables(), before, "{out}");
}

/// A source account granted SELECT on some tables only cannot see the
/// others: they would look like tables the source lacks (and be dropped
/// with --allow-destructive). Refused in every mode; with `--tables`
/// naming only tables it can read, the run goes on.
#[test]
fn a_source_account_that_cannot_see_every_table_is_refused() {
    let source = MyDb::new("hid_src");
    let target = MyDb::new("hid_tgt");
    for db in [&source, &target] {
        db.exec(
            "CREATE TABLE seen (id INT PRIMARY KEY); CREATE TABLE hidden (id INT PRIMARY KEY);
             INSERT INTO hidden VALUES (1), (2)",
        );
    }
    let reader = MyUser::new("src");
    reader.grant(&format!("SELECT ON `{}`.`seen`", source.name));
    let before = target.show_create_tables();
    for mode in [
        "--fix-schemas",
        "--validate-only",
        "--dry-run",
        "--schema-only",
    ] {
        let (code, out) = sync(
            &reader.url(&source),
            &target.url(),
            &[mode, "--allow-destructive"],
        );
        assert_refused(
            code,
            &out,
            &["the source account", "SELECT on", "to read every table"],
        );
        assert_eq!(target.show_create_tables(), before, "{mode}: {out}");
    }
    let (code, out) = sync(
        &reader.url(&source),
        &target.url(),
        &["--fix-schemas", "--tables", "seen"],
    );
    // Synced; not called identical, since this account cannot read the
    // source's triggers, routines and events.
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("were not compared"), "{out}");
    assert_eq!(
        target.query("SELECT COUNT(*) FROM hidden")[0][0].as_deref(),
        Some("2")
    );
}

/// Grants that come through the account's default role, or on a database
/// pattern (`_` is a wildcard), are grants: no refusal, the sync runs.
#[test]
fn grants_through_roles_and_patterns_are_honoured() {
    let (source, target) = drifted_pair("roles");
    let mut by_role = MyUser::new("role");
    by_role.grant_by_role(&format!(
        "SELECT, INSERT, UPDATE, DELETE ON `{}`.*",
        target.name
    ));
    let (code, out) = sync(&source.url(), &by_role.url(&target), &["--data-only"]);
    // Not refused; exit 1 only because the account cannot read the
    // target's triggers, routines and events to compare them.
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("were not compared"), "{out}");
    source.assert_same_data(&target);

    let (source, target) = drifted_pair("pattern");
    let by_pattern = MyUser::new("pat");
    // `lst_pattern_tgt_...` with every `_` a wildcard.
    by_pattern.grant(&format!(
        "SELECT, INSERT, UPDATE, DELETE ON `{}`.*",
        target.name.replace("_tgt_", "_tgt%")
    ));
    let (code, out) = sync(&source.url(), &by_pattern.url(&target), &["--data-only"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("were not compared"), "{out}");
    source.assert_same_data(&target);
}

/// A write the server refuses for want of a grant the check could not see
/// (INSERT granted on one column: taken as a grant on the table) stops the
/// run at that first refusal, naming the grant, exit 2: not a refused row
/// per row.
#[test]
fn a_denied_write_stops_the_run_at_once() {
    let (source, target) = drifted_pair("denied");
    let user = MyUser::new("col");
    user.grant(&format!("SELECT, UPDATE, DELETE ON `{}`.*", target.name))
        .grant(&format!("INSERT (id) ON `{}`.`t`", target.name));
    let (code, out) = sync(&source.url(), &user.url(&target), &["--data-only"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("refused a write to `t`"), "{out}");
    assert!(out.contains("lacks a privilege"), "{out}");
    assert_eq!(
        out.matches("ERROR 114").count(),
        1,
        "one refusal, then stop: {out}"
    );
}
