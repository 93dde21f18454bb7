//! Triggers, routines and events on MariaDB through the binary: created
//! again in the session they were made in (sql_mode, time zone,
//! character sets, definer), by the real run and by a `--sql-out` script
//! the `mariadb` client replays; rows written without firing triggers,
//! also in `--data-only`; an account that cannot read them is told, and
//! the run is not called in sync.

mod common;

use common::MyDb;

fn sync(source: &MyDb, target: &MyDb, extra: &[&str]) -> (i32, String, serde_json::Value) {
    common::sync_with_report(&source.url(), &target.url(), extra)
}

/// A table, a row a trigger would have stamped, and objects made under
/// ANSI_QUOTES and another time zone: an event, a function and a
/// trigger with semicolons in their bodies.
fn objects_schema(db: &MyDb) {
    db.exec(
        "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20));
         INSERT INTO t VALUES (1, 'lower'), (2, 'x');",
    );
    for sql in [
        "SET SESSION sql_mode = 'ANSI_QUOTES', time_zone = '+05:00';
         CREATE EVENT nightly_purge ON SCHEDULE EVERY 1 DAY STARTS '2031-01-01 00:00:00' DISABLE
         DO DELETE FROM t WHERE \"v\" = 'x'",
        "SET SESSION sql_mode = 'ANSI_QUOTES';
         CREATE FUNCTION next_id(x INT) RETURNS INT DETERMINISTIC
         BEGIN DECLARE y INT; SET y = x + 1; RETURN y; END",
        "CREATE TRIGGER t_upper BEFORE INSERT ON t FOR EACH ROW
         BEGIN SET NEW.v = UPPER(NEW.v); SET NEW.v = CONCAT(NEW.v, '!'); END",
    ] {
        db.exec(sql);
    }
}

#[test]
fn objects_keep_their_session_context_in_a_run_and_in_a_replayed_script() {
    let source = MyDb::new("obj_src");
    objects_schema(&source);
    let objects = source.show_create_objects();
    assert_eq!(objects.len(), 3, "{objects:#?}");
    assert!(
        objects["EVENT nightly_purge"]
            .iter()
            .flatten()
            .any(|v| v == "+05:00"),
        "{objects:#?}"
    );

    let target = MyDb::new("obj_tgt");
    let (code, out, _) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.show_create_objects(), objects);
    source.assert_same_data(&target);

    // The same plan as a script, replayed by the client into an empty
    // database: the bodies' semicolons need DELIMITER.
    let scripted = MyDb::new("obj_script");
    let plan = std::env::temp_dir().join(format!("{}.sql", scripted.name));
    let (code, out, _) = sync(
        &source,
        &scripted,
        &["--dry-run", "--sql-out", plan.to_str().unwrap()],
    );
    assert_eq!(code, 1, "a dry run leaves the differences: {out}");
    assert!(scripted.show_create_objects().is_empty());
    scripted.load_file(&plan);
    let _ = std::fs::remove_file(&plan);
    assert_eq!(scripted.show_create_objects(), objects);
    source.assert_same_data(&scripted);
}

/// Objects whose names the user qualified with the source's database
/// (`CREATE TRIGGER shop.t … ON shop.orders` is kept as typed) are
/// created in the target's database, never in the source's, and compare
/// equal to the source's afterwards.
#[test]
fn objects_named_with_the_source_database_are_created_in_the_target() {
    let source = MyDb::new("objq_src");
    let db = source.name.clone();
    source.exec(&format!(
        "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20));
         CREATE PROCEDURE `{db}`.touch() SELECT 1;
         CREATE TRIGGER {db}.t_upper BEFORE INSERT ON `{db}`.t FOR EACH ROW SET NEW.v = UPPER(NEW.v);
         INSERT INTO t VALUES (1, 'a');"
    ));
    let before = source.show_create_objects();
    assert_eq!(before.len(), 2, "{before:#?}");

    let target = MyDb::new("objq_tgt");
    let (code, out, _) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        source.show_create_objects(),
        before,
        "the source was changed"
    );
    let created = target.show_create_objects();
    assert_eq!(
        created.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    source.assert_same_data(&target);
    let (code, out, report) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "the objects compare equal: {out}");
    assert_eq!(
        report["schema"]["changes"].as_array().map(Vec::len),
        Some(0),
        "{out}"
    );
}

/// Each schema change of a run's report: (table, its DROP or CREATE
/// statement's first word, applied).
fn change_steps(report: &serde_json::Value) -> Vec<(String, String, bool)> {
    report["schema"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let verb = c["sql"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|s| s.as_str()?.split_whitespace().next())
                .find(|w| ["DROP", "CREATE"].contains(w))
                .unwrap_or("?");
            (
                c["table"].as_str().unwrap().to_string(),
                verb.to_string(),
                c["applied"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// An equal event may write into any table, so it is out of the way
/// while rows are written, like the written table's trigger; with no row
/// to write, neither is touched.
#[test]
fn equal_events_and_triggers_are_suspended_only_while_rows_are_written() {
    let source = MyDb::new("objsus_src");
    objects_schema(&source);
    // A table empty on both sides has nothing to write either.
    source.exec(
        "CREATE TABLE empty_log (id INT PRIMARY KEY);
         CREATE TRIGGER empty_log_ins BEFORE INSERT ON empty_log FOR EACH ROW SET NEW.id = NEW.id + 1;",
    );
    let target = MyDb::new("objsus_tgt");
    let (code, out, _) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");

    let (code, out, report) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(change_steps(&report), [], "{out}");

    target.exec("UPDATE t SET v = 'changed' WHERE id = 2");
    let (code, out, report) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    let mut steps = change_steps(&report);
    steps.sort();
    let step = |table: &str, sql: &str| (table.to_string(), sql.to_string(), true);
    assert_eq!(
        steps,
        [
            step("nightly_purge", "CREATE"),
            step("nightly_purge", "DROP"),
            step("t", "CREATE"),
            step("t", "DROP"),
        ],
        "{out}"
    );
    assert_eq!(target.show_create_objects(), source.show_create_objects());
    source.assert_same_data(&target);
}

#[test]
fn data_only_writes_rows_without_firing_the_targets_triggers() {
    let source = MyDb::new("objdo_src");
    let target = MyDb::new("objdo_tgt");
    for db in [&source, &target] {
        db.exec(
            "CREATE TABLE t (id INT PRIMARY KEY, v INT);
             CREATE TABLE audit (n INT);
             CREATE TRIGGER t_audit AFTER INSERT ON t FOR EACH ROW INSERT INTO audit VALUES (NEW.id);",
        );
    }
    source.exec("SET @x = 1; DROP TRIGGER t_audit; INSERT INTO t VALUES (1, 1), (2, 2);");
    source.exec(
        "CREATE TRIGGER t_audit AFTER INSERT ON t FOR EACH ROW INSERT INTO audit VALUES (NEW.id)",
    );
    let (code, out, report) = sync(&source, &target, &["--data-only"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(report["data"]["tables_skipped"], 0, "{out}");
    assert!(target.rows("audit").is_empty(), "the trigger fired: {out}");
    source.assert_same_data(&target);
    assert_eq!(target.show_create_objects(), source.show_create_objects());
}

#[test]
fn an_account_that_cannot_read_the_objects_is_told_and_the_copy_is_not_called_identical() {
    let source = MyDb::new("objro_src");
    let target = MyDb::new("objro_tgt");
    for db in [&source, &target] {
        db.exec("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1);");
    }
    source.exec("CREATE PROCEDURE p() SELECT 1");
    // Validates as an account holding only `grants` on the source.
    let validate_as = |grants: &str| {
        let user = format!("lst_ro_{}", std::process::id());
        source.exec(&format!(
            "CREATE USER '{user}'@'%' IDENTIFIED BY 'pw';
             GRANT {grants} ON `{}`.* TO '{user}'@'%';",
            source.name
        ));
        let lockstep::url::DatabaseUrl::MySql(server) =
            lockstep::url::DatabaseUrl::parse(&source.url()).unwrap()
        else {
            panic!("a MySQL URL")
        };
        let limited = format!(
            "mysql://{user}:pw@{}:{}/{}",
            server.host, server.port, source.name
        );
        let out = common::lockstep(&[
            "validate",
            "--no-color",
            "--source",
            &limited,
            "--target",
            &target.url(),
        ]);
        source.exec(&format!("DROP USER '{user}'@'%'"));
        (out.status.code(), common::output_text(&out))
    };
    // SELECT alone sees no routine, trigger or event, and cannot tell.
    let (code, text) = validate_as("SELECT, LOCK TABLES");
    assert_eq!(code, Some(1), "{text}");
    for kind in ["procedures", "triggers", "events"] {
        assert!(
            text.contains(&format!("source's {kind}"))
                || text.contains(&format!("and {kind} were not compared")),
            "{kind}: {text}"
        );
    }
    // Every privilege on the database lists `p` but hides its text.
    let (code, text) = validate_as("ALL");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("may not read the text of procedure `p`"),
        "{text}"
    );
    assert!(!text.contains("triggers were not compared"), "{text}");
}
