//! Sakila, a real schema with an FK cycle (store <-> staff), views,
//! triggers that stamp rows, procedures and functions: `graph` names the
//! cycle, a schema sync into an empty database reproduces every table and
//! view, and a full sync into an empty, a drifted and an equal copy
//! reproduces every trigger and routine (`SHOW CREATE …`, definer
//! included) and every row, none stamped by a trigger on the way.

mod common;

use common::MyDb;

fn sakila_schema() -> std::path::PathBuf {
    common::corpus_dir().join("sampledb/sakila/mysql/sakila-schema.sql")
}

fn load_sakila(db: &MyDb) {
    db.load_corpus_file(&sakila_schema(), "sakila");
}

#[test]
fn graph_names_the_store_staff_cycle() {
    let source = MyDb::new("sakila_graph");
    load_sakila(&source);
    let out = common::lockstep(&["graph", "--source", &source.url()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cycle_line = text
        .lines()
        .find(|l| l.contains("cycle:"))
        .unwrap_or_else(|| panic!("no cycle in:\n{text}"));
    assert!(
        cycle_line.contains("staff") && cycle_line.contains("store"),
        "{cycle_line}"
    );
    assert!(
        text.contains("film_actor depends on: actor, film"),
        "{text}"
    );

    let dot = common::lockstep(&["graph", "--format", "dot", "--source", &source.url()]);
    let dot = String::from_utf8_lossy(&dot.stdout);
    assert!(dot.contains("\"staff\" -> \"store\" [color=red]"), "{dot}");
}

#[test]
fn schema_sync_from_sakila_into_an_empty_database() {
    let source = MyDb::new("sakila_src");
    load_sakila(&source);
    let target = MyDb::new("sakila_tgt");
    let run = |mode: &str| {
        common::lockstep(&[
            "sync",
            mode,
            "--no-color",
            "--source",
            &source.url(),
            "--target",
            &target.url(),
        ])
    };
    let out = run("--schema-only");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(source.show_create_tables(), target.show_create_tables());
    let views = |db: &MyDb| {
        db.query(&format!(
            "SELECT table_name FROM information_schema.views WHERE table_schema='{}' ORDER BY 1",
            db.name
        ))
    };
    assert_eq!(views(&source).len(), 7);
    assert_eq!(views(&source), views(&target));
    let again = run("--validate-only");
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}

fn load_sakila_with_data(db: &MyDb) {
    load_sakila(db);
    db.load_corpus_file(
        &common::corpus_dir().join("sampledb/sakila/mysql/sakila-data.sql"),
        "sakila",
    );
}

fn sync(source: &MyDb, target: &MyDb, extra: &[&str]) -> (i32, String, serde_json::Value) {
    common::sync_with_report(&source.url(), &target.url(), extra)
}

/// Rows written by a run, from its JSON report.
fn rows_written(report: &serde_json::Value) -> u64 {
    ["rows_inserted", "rows_updated", "rows_deleted"]
        .iter()
        .map(|k| report["data"][k].as_u64().unwrap())
        .sum()
}

#[test]
fn sakila_triggers_routines_and_rows_arrive_whole_in_empty_equal_and_drifted_targets() {
    let source = MyDb::new("sakobj_src");
    load_sakila_with_data(&source);
    let objects = source.show_create_objects();
    assert_eq!(objects.len(), 12, "{objects:#?}");

    // Empty: the triggers come after the rows, so `customer.create_date`
    // and `rental.rental_date` keep the source's values, not NOW().
    let target = MyDb::new("sakobj_tgt");
    let (code, out, _) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.show_create_objects(), objects);
    source.assert_same_data(&target);
    assert_eq!(source.show_create_tables(), target.show_create_tables());

    // Again: nothing to write, still in sync.
    let (code, out, report) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 0, "{out}");
    assert_eq!(
        report["schema"]["mismatches"],
        serde_json::json!([]),
        "{out}"
    );

    // Drifted: rows the triggers would stamp come back exact, a dropped
    // trigger and procedure come back, a changed function is replaced, a
    // trigger the source lacks goes.
    target.exec(
        "SET FOREIGN_KEY_CHECKS=0;
         DELETE FROM customer WHERE customer_id IN (5, 6);
         UPDATE customer SET email = 'x@y', create_date = '2001-01-01' WHERE customer_id % 7 = 0;
         DELETE FROM rental WHERE rental_id % 50 = 0;
         DELETE FROM payment WHERE payment_id % 9 = 0;
         SET FOREIGN_KEY_CHECKS=1;
         DROP TRIGGER rental_date;
         DROP PROCEDURE film_in_stock;
         DROP FUNCTION inventory_held_by_customer;
         CREATE FUNCTION inventory_held_by_customer(p_inventory_id INT) RETURNS INT READS SQL DATA RETURN 0;
         CREATE TRIGGER actor_extra BEFORE UPDATE ON actor FOR EACH ROW SET NEW.last_update = NOW();",
    );
    let (code, out, report) = sync(&source, &target, &["--allow-destructive", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(rows_written(&report) > 0, "{out}");
    assert_eq!(target.show_create_objects(), objects);
    source.assert_same_data(&target);

    // validate notices a missing procedure.
    target.exec("DROP PROCEDURE film_in_stock");
    let out = common::lockstep(&[
        "validate",
        "--no-color",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
    ]);
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("procedure `film_in_stock` is missing"),
        "{text}"
    );

    // Equal (a copy loaded from the same dump): its tables have triggers,
    // and are verified, not skipped.
    let copy = MyDb::new("sakobj_copy");
    load_sakila_with_data(&copy);
    let (code, out, report) = sync(&source, &copy, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(report["data"]["tables_skipped"], 0, "{out}");
    assert_eq!(rows_written(&report), 0, "{out}");
}

/// Per table: (inserted, updated, deleted, skipped) from a JSON report.
fn table_counts(report: &serde_json::Value) -> Vec<(String, u64, u64, u64, bool)> {
    report["data"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_string(),
                t["rows_inserted"].as_u64().unwrap(),
                t["rows_updated"].as_u64().unwrap(),
                t["rows_deleted"].as_u64().unwrap(),
                !t["skipped_because"].is_null(),
            )
        })
        .collect()
}

/// Validate, a dry run and the real run tell one story about a drifted
/// Sakila (rows, a trigger, a procedure), and the dry run's plan.sql,
/// replayed by the server's own client, reaches the real run's target.
#[test]
fn validate_dry_run_and_the_real_run_agree_on_a_drifted_sakila() {
    let source = MyDb::new("sakplan_src");
    load_sakila_with_data(&source);
    let drift = "SET FOREIGN_KEY_CHECKS=0;
         DELETE FROM customer WHERE customer_id IN (5, 6);
         UPDATE customer SET email = 'x@y', create_date = '2001-01-01' WHERE customer_id % 7 = 0;
         DELETE FROM rental WHERE rental_id % 50 = 0;
         DELETE FROM payment WHERE payment_id % 9 = 0;
         INSERT INTO actor (actor_id, first_name, last_name) VALUES (9001, 'EXTRA', 'ROW');
         SET FOREIGN_KEY_CHECKS=1;
         DROP TRIGGER rental_date;
         DROP PROCEDURE film_in_stock;";
    let target = MyDb::new("sakplan_tgt");
    let replayed = MyDb::new("sakplan_rep");
    for db in [&target, &replayed] {
        load_sakila_with_data(db);
        db.exec(drift);
    }

    let (code, out, validate) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 1, "{out}");
    let plan = std::env::temp_dir().join(format!("{}.sql", target.name));
    let plan_arg = plan.display().to_string();
    let (code, out, dry) = sync(&source, &target, &["--dry-run", "--sql-out", &plan_arg]);
    assert_eq!(code, 1, "{out}");
    let (code, out, real) = sync(&source, &target, &["--allow-destructive", "--yes"]);
    assert_eq!(code, 0, "{out}");

    let counts = table_counts(&real);
    assert!(counts.iter().any(|c| c.1 + c.2 + c.3 > 0), "{out}");
    assert_eq!(
        table_counts(&validate),
        counts,
        "validate against the real run"
    );
    assert_eq!(table_counts(&dry), counts, "dry run against the real run");

    replayed.load_file(&plan);
    let _ = std::fs::remove_file(&plan);
    assert_eq!(replayed.show_create_objects(), target.show_create_objects());
    assert_eq!(replayed.show_create_tables(), target.show_create_tables());
    target.assert_same_data(&replayed);
}

/// Each trigger's name and creation time (to the centisecond): a trigger
/// dropped and created again gets a new one.
fn trigger_births(db: &MyDb) -> Vec<Vec<Option<String>>> {
    db.query(&format!(
        "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, DATE_FORMAT(CREATED, '%Y-%m-%d %H:%i:%s.%f') \
         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{}' ORDER BY 1",
        db.name
    ))
}

/// The tables of a run's schema changes, as reported.
fn changed_tables(report: &serde_json::Value) -> Vec<String> {
    report["schema"]["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no schema changes in {report}"))
        .iter()
        .map(|c| c["table"].as_str().unwrap().to_string())
        .collect()
}

/// A rerun with nothing to do changes nothing, triggers included; a run
/// with one changed `customer` row takes only customer's trigger out of
/// the rows' way (and puts it back), and `create_date` stays the source's.
#[test]
fn a_rerun_is_a_no_op_and_one_changed_row_suspends_only_its_tables_triggers() {
    let source = MyDb::new("sakrerun_src");
    load_sakila_with_data(&source);
    let target = MyDb::new("sakrerun_tgt");
    let (code, out, _) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    // CREATED has centiseconds: a trigger created again must differ.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let born = trigger_births(&target);
    assert_eq!(born.len(), 6, "{born:?}");

    let (code, out, report) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 0, "{out}");
    assert_eq!(changed_tables(&report), Vec::<String>::new(), "{out}");
    assert_eq!(trigger_births(&target), born, "a trigger was re-created");

    let stamp = "SELECT customer_id, create_date FROM customer WHERE customer_id = 7";
    target.exec("UPDATE customer SET email = 'changed@example.com' WHERE customer_id = 7");
    let (code, out, report) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 1, "{out}");
    assert_eq!(
        changed_tables(&report),
        ["customer", "customer"],
        "only customer's trigger is dropped and created again: {out}"
    );
    assert_eq!(target.query(stamp), source.query(stamp));
    source.assert_same_data(&target);
    assert_eq!(target.show_create_objects(), source.show_create_objects());
    let after = trigger_births(&target);
    for (before, now) in born.iter().zip(&after) {
        let customer = before[1].as_deref() == Some("customer");
        assert_eq!(before == now, !customer, "{before:?} -> {now:?}");
    }
}
