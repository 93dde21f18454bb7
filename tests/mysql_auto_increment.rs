//! AUTO_INCREMENT counters follow the source's through the binary: raised
//! and lowered to the source's counter after the rows are synced, also
//! when the rows were equal already, as far as the server allows; a
//! `--sql-out` script sets them the same way.

mod common;

use common::MyDb;

const SCHEMA: &str = "CREATE TABLE raised (id INT AUTO_INCREMENT PRIMARY KEY, v INT);
    CREATE TABLE lowered (id INT AUTO_INCREMENT PRIMARY KEY, v INT);
    CREATE TABLE fresh (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, v INT);
    CREATE TABLE equal_rows (id INT AUTO_INCREMENT PRIMARY KEY, v INT);
    CREATE TABLE plain (id INT PRIMARY KEY)";

/// A source whose top rows were deleted (its counters are past its rows).
fn counting_source(name: &str) -> MyDb {
    let source = MyDb::new(name);
    source.exec(SCHEMA);
    source.exec(
        "INSERT INTO raised (v) VALUES (1), (2), (3), (4), (5), (6), (7), (8);
         DELETE FROM raised WHERE id > 3;
         INSERT INTO lowered (v) VALUES (1), (2);
         INSERT INTO equal_rows (v) VALUES (1), (2), (3);
         DELETE FROM equal_rows WHERE id = 3;
         INSERT INTO plain VALUES (1)",
    );
    source
}

/// A target whose counters are behind (raised) or ahead (the others).
fn drifted_target(name: &str) -> MyDb {
    let target = MyDb::new(name);
    target.exec(SCHEMA);
    target.exec(
        "INSERT INTO raised (v) VALUES (9);
         INSERT INTO lowered (id, v) VALUES (40, 40); DELETE FROM lowered;
         INSERT INTO fresh (id, v) VALUES (70, 1); DELETE FROM fresh;
         INSERT INTO equal_rows (v) VALUES (1), (2), (3), (4), (5); DELETE FROM equal_rows WHERE id > 2",
    );
    target
}

#[test]
fn counters_follow_the_source_after_a_sync() {
    let source = counting_source("ai_src");
    let target = drifted_target("ai_tgt");
    assert_ne!(
        source.auto_increment_counters(),
        target.auto_increment_counters()
    );
    let out = common::lockstep_sync("--data-only", &source.url(), &target.url());
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    source.assert_same_data(&target);
    assert_eq!(
        source.auto_increment_counters(),
        target.auto_increment_counters()
    );
    assert_eq!(
        target.auto_increment_counters(),
        vec![
            ("equal_rows".to_string(), Some(4)),
            ("fresh".to_string(), None),
            ("lowered".to_string(), Some(3)),
            ("plain".to_string(), None),
            ("raised".to_string(), Some(9)),
        ]
    );
    // The next rows get the keys they would get on the source.
    target.exec("INSERT INTO raised (v) VALUES (10)");
    assert_eq!(
        target.query("SELECT MAX(id) FROM raised")[0][0].as_deref(),
        Some("9")
    );
}

/// A dry run's script, replayed by the `mariadb` client, leaves the
/// counters where the real run does: tables whose rows it writes and
/// tables whose rows are equal but whose counter is not.
#[test]
fn a_plan_script_sets_the_counters_as_the_real_run_does() {
    let source = counting_source("aiscr_src");
    let target = drifted_target("aiscr_tgt");
    let plan = std::env::temp_dir().join(format!("{}.sql", target.name));
    let (code, out, _) = common::sync_with_report(
        &source.url(),
        &target.url(),
        &["--dry-run", "--sql-out", plan.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{out}");
    target.load_file(&plan);
    let _ = std::fs::remove_file(&plan);
    source.assert_same_data(&target);
    assert_eq!(
        source.auto_increment_counters(),
        target.auto_increment_counters()
    );
}

#[test]
fn an_account_that_may_not_alter_keeps_the_counter_and_says_so() {
    let schema = "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)";
    let source = MyDb::new("ainoalter_src");
    let target = MyDb::new("ainoalter_tgt");
    source.exec(schema);
    target.exec(schema);
    source.exec("INSERT INTO t (v) VALUES (1), (2), (3); DELETE FROM t WHERE id = 3");
    let user = format!("lst_noalter_{}", std::process::id());
    source.exec(&format!(
        "CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY 'pw{user}';
         GRANT SELECT ON `{}`.* TO '{user}'@'127.0.0.1';
         GRANT SELECT, INSERT, UPDATE, DELETE ON `{}`.* TO '{user}'@'127.0.0.1';",
        source.name, target.name
    ));
    let target_url = common::mysql_server_url().replacen(
        "mysql://root@",
        &format!("mysql://{user}:pw{user}@"),
        1,
    );
    let (code, out, report) = common::sync_with_report(
        &source.url(),
        &format!("{target_url}/{}", target.name),
        &["--data-only"],
    );
    source.exec(&format!("DROP USER '{user}'@'127.0.0.1'"));
    // The rows are synced; the run is not called identical, since this
    // account can read neither the counter's ALTER nor the target's
    // triggers, routines and events.
    assert_eq!(code, 1, "{out}");
    source.assert_same_data(&target);
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("AUTO_INCREMENT counter of `t` stays 3, not the source's 4"),
        "{warnings}"
    );
}
