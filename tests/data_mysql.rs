//! The data phase end to end on MariaDB through the binary: foreign-key
//! cycles and self-references, cascades, unique values that move, orphans,
//! tables without a key, scripts replayed with the `mariadb` client,
//! refused rows, target-only triggers — in both FK strategies, each ending with a full
//! comparison of the two databases.

mod common;

use common::MyDb;

/// Runs `lockstep sync` with `extra` args; returns the exit code, the
/// output and the JSON report.
fn sync(source: &MyDb, target: &MyDb, extra: &[&str]) -> (i32, String, serde_json::Value) {
    common::sync_with_report(&source.url(), &target.url(), extra)
}

const STRATEGIES: [&str; 2] = ["dependency", "disable"];

fn cycle_schema(db: &MyDb) {
    db.exec(
        "CREATE TABLE client_accounts (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, primary_contact_id INT NULL);
         CREATE TABLE auth_user (id INT PRIMARY KEY, username VARCHAR(50) NOT NULL UNIQUE, client_id INT NULL,
             manager_id INT NULL,
             CONSTRAINT user_client FOREIGN KEY (client_id) REFERENCES client_accounts (id),
             CONSTRAINT user_manager FOREIGN KEY (manager_id) REFERENCES auth_user (id));
         ALTER TABLE client_accounts ADD CONSTRAINT client_contact FOREIGN KEY (primary_contact_id) REFERENCES auth_user (id);
         CREATE TABLE job_orders (id INT PRIMARY KEY, user_id INT NOT NULL, amount DECIMAL(12,2),
             CONSTRAINT job_user FOREIGN KEY (user_id) REFERENCES auth_user (id) ON DELETE CASCADE);",
    );
}

#[test]
fn fk_cycle_and_self_reference_sync_in_both_strategies() {
    for strategy in STRATEGIES {
        let source = MyDb::new("cyc_src");
        let target = MyDb::new("cyc_tgt");
        cycle_schema(&source);
        cycle_schema(&target);
        source.exec(
            "SET FOREIGN_KEY_CHECKS=0;
             INSERT INTO client_accounts VALUES (1, 'acme', 10), (2, 'globex', 11);
             INSERT INTO auth_user VALUES (10, 'ann', 1, NULL), (11, 'bob', 2, 10), (12, 'cy', 1, 11), (13, 'di', NULL, 13);
             INSERT INTO job_orders VALUES (100, 10, 5.50), (101, 12, 7.25);
             SET FOREIGN_KEY_CHECKS=1;",
        );
        target.exec(
            "SET FOREIGN_KEY_CHECKS=0;
             INSERT INTO client_accounts VALUES (2, 'old globex', NULL), (3, 'gone', 14);
             INSERT INTO auth_user VALUES (11, 'bob', 3, NULL), (14, 'eve', 3, 11);
             INSERT INTO job_orders VALUES (101, 14, 1.00), (102, 14, 2.00);
             SET FOREIGN_KEY_CHECKS=1;",
        );
        let (code, out, report) = sync(
            &source,
            &target,
            &["--data-only", "--fk-strategy", strategy],
        );
        assert_eq!(code, 0, "{strategy}: {out}");
        assert_eq!(report["in_sync"], true, "{strategy}");
        assert!(
            report["schema"]["cycles"][0].as_array().unwrap().len() == 2,
            "{}",
            report["schema"]["cycles"]
        );
        assert_eq!(report["schema"]["self_references"][0], "auth_user");
        source.assert_same_data(&target);
        let (code, out, _) = sync(&source, &target, &["--validate-only"]);
        assert_eq!(code, 0, "second run must find nothing: {out}");
    }
}

#[test]
fn cascades_and_set_null_on_the_target_lose_no_row() {
    let schema = "CREATE TABLE parent (id INT PRIMARY KEY, v VARCHAR(10));
        CREATE TABLE child_cascade (id INT PRIMARY KEY, parent_id INT,
            FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE ON UPDATE CASCADE);
        CREATE TABLE child_null (id INT PRIMARY KEY, parent_id INT,
            FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE SET NULL);";
    // One lane, table after table; and several lanes at once.
    for (strategy, lanes) in [
        ("dependency", "1"),
        ("dependency", "3"),
        ("disable", "1"),
        ("disable", "3"),
    ] {
        let source = MyDb::new("casc_src");
        let target = MyDb::new("casc_tgt");
        source.exec(schema);
        target.exec(schema);
        // In the source the children moved to parent 1; the target still
        // has them under parent 2, which the source no longer has.
        source.exec(
            "INSERT INTO parent VALUES (1, 'one');
             INSERT INTO child_cascade VALUES (10, 1), (11, 1);
             INSERT INTO child_null VALUES (20, 1), (21, NULL);",
        );
        target.exec(
            "INSERT INTO parent VALUES (1, 'one'), (2, 'two');
             INSERT INTO child_cascade VALUES (10, 2), (11, 1);
             INSERT INTO child_null VALUES (20, 2), (21, 2);",
        );
        let (code, out, _) = sync(
            &source,
            &target,
            &[
                "--data-only",
                "--fk-strategy",
                strategy,
                "--parallelism",
                lanes,
            ],
        );
        assert_eq!(code, 0, "{strategy} on {lanes} lanes: {out}");
        source.assert_same_data(&target);
    }
}

#[test]
fn unique_values_that_move_between_rows_sync() {
    let schema = "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(50) NOT NULL UNIQUE, login VARCHAR(20) UNIQUE);";
    for strategy in STRATEGIES {
        let source = MyDb::new("uniq_src");
        let target = MyDb::new("uniq_tgt");
        source.exec(schema);
        target.exec(schema);
        // Rows 1 and 2 swap emails; 3 gives its email to new row 9; 4 and 5
        // rotate logins with 6.
        target.exec(
            "INSERT INTO users VALUES (1, 'a@x', 'l1'), (2, 'b@x', 'l2'), (3, 'c@x', 'l3'),
                 (4, 'd@x', 'r1'), (5, 'e@x', 'r2'), (6, 'f@x', 'r3');",
        );
        source.exec(
            "INSERT INTO users VALUES (1, 'b@x', 'l1'), (2, 'a@x', 'l2'), (3, 'new@x', 'l3'),
                 (4, 'd@x', 'r2'), (5, 'e@x', 'r3'), (6, 'f@x', 'r1'), (9, 'c@x', NULL);",
        );
        let (code, out, report) = sync(
            &source,
            &target,
            &["--data-only", "--fk-strategy", strategy],
        );
        assert_eq!(code, 0, "{strategy}: {out}");
        source.assert_same_data(&target);
        assert_eq!(report["data"]["rows_inserted"], 1, "{}", report["data"]);
        assert_eq!(report["data"]["rows_updated"], 6, "{}", report["data"]);
    }
}

#[test]
fn orphans_in_the_target_are_removed() {
    let schema = "CREATE TABLE parent (id INT PRIMARY KEY);
        CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL, FOREIGN KEY (parent_id) REFERENCES parent (id));";
    let source = MyDb::new("orph_src");
    let target = MyDb::new("orph_tgt");
    source.exec(schema);
    target.exec(schema);
    source.exec("INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1);");
    target.exec(
        "SET FOREIGN_KEY_CHECKS=0; INSERT INTO parent VALUES (7); INSERT INTO child VALUES (1, 99), (2, 98), (3, 7); SET FOREIGN_KEY_CHECKS=1;",
    );
    let (code, out, report) = sync(&source, &target, &["--data-only"]);
    assert_eq!(code, 0, "{out}");
    source.assert_same_data(&target);
    assert_eq!(report["data"]["rows_deleted"], 3, "{}", report["data"]);
}

#[test]
fn tables_without_a_key_compare_as_multisets() {
    let schema = "CREATE TABLE log (n INT, word VARCHAR(10), ratio FLOAT);";
    let source = MyDb::new("nokey_src");
    let target = MyDb::new("nokey_tgt");
    source.exec(schema);
    target.exec(schema);
    source.exec("INSERT INTO log VALUES (1,'a',0.1), (1,'a',0.1), (1,'a',0.1), (2,'b',NULL), (NULL,NULL,NULL);");
    target.exec("INSERT INTO log VALUES (1,'a',0.1), (3,'c',2.5), (3,'c',2.5), (NULL,NULL,NULL), (NULL,NULL,NULL);");
    let (code, out, report) = sync(&source, &target, &["--data-only"]);
    assert_eq!(code, 0, "{out}");
    source.assert_same_data(&target);
    assert_eq!(report["data"]["rows_inserted"], 3, "{}", report["data"]);
    assert_eq!(report["data"]["rows_deleted"], 3, "{}", report["data"]);
    assert!(report["data"]["tables"][0]["key"]
        .as_str()
        .unwrap()
        .starts_with("whole row"));
}

#[test]
fn dry_run_sql_replayed_with_the_mariadb_client_gives_the_same_target() {
    let source = MyDb::new("replay_src");
    let by_tool = MyDb::new("replay_tool");
    let by_script = MyDb::new("replay_script");
    cycle_schema(&source);
    source.exec(
        "ALTER TABLE auth_user ADD COLUMN note TEXT, ADD COLUMN seen DATETIME(6), ADD COLUMN raw BLOB;
         SET FOREIGN_KEY_CHECKS=0;
         INSERT INTO client_accounts VALUES (1, 'acme', 10);
         INSERT INTO auth_user VALUES (10, 'ann', 1, NULL, 'it''s \\\\ \"quoted\" 😀', '2024-02-29 23:59:59.123456', X'00FF27'),
             (11, 'bob', NULL, 10, NULL, '0000-00-00 00:00:00', X'');
         INSERT INTO job_orders VALUES (100, 10, 5.50), (101, 11, NULL);
         SET FOREIGN_KEY_CHECKS=1;",
    );
    for db in [&by_tool, &by_script] {
        cycle_schema(db);
        db.exec(
            "INSERT INTO client_accounts VALUES (5, 'x', NULL);
             INSERT INTO auth_user (id, username, client_id, manager_id) VALUES (11, 'bobby', 5, NULL), (12, 'zed', NULL, NULL);
             INSERT INTO job_orders VALUES (100, 12, 1.00);",
        );
    }
    let plan = std::env::temp_dir().join(format!("{}.sql", by_script.name));
    let (code, out, _) = sync(
        &source,
        &by_script,
        &["--dry-run", "--sql-out", plan.to_str().unwrap()],
    );
    assert_eq!(code, 1, "a dry run with differences exits 1: {out}");
    assert_eq!(
        by_script.rows("auth_user").len(),
        2,
        "a dry run writes nothing"
    );
    by_script.load_file(&plan);
    let (code, out, _) = sync(&source, &by_tool, &[]);
    assert_eq!(code, 0, "{out}");
    source.assert_same_data(&by_tool);
    by_tool.assert_same_data(&by_script);
    assert_eq!(by_tool.show_create_tables(), by_script.show_create_tables());
    let _ = std::fs::remove_file(plan);
}

#[test]
fn a_row_the_target_refuses_is_named_and_the_rest_still_syncs() {
    let schema = "CREATE TABLE parent (id INT PRIMARY KEY);
        CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL,
            CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id));
        CREATE TABLE other (id INT PRIMARY KEY, v INT);";
    let source = MyDb::new("refuse_src");
    let target = MyDb::new("refuse_tgt");
    source.exec(schema);
    target.exec(schema);
    // The source itself is inconsistent: child 2 points at a missing parent.
    source.exec(
        "SET FOREIGN_KEY_CHECKS=0; INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1), (2, 42);
         INSERT INTO other VALUES (1, 1), (2, 2); SET FOREIGN_KEY_CHECKS=1;",
    );
    let (code, out, report) = sync(&source, &target, &["--data-only"]);
    assert_eq!(
        code, 1,
        "refused rows with skip_problematic_foreign_keys: exit 1\n{out}"
    );
    let errors = report["data"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["table"], "child");
    assert_eq!(errors[0]["key"], "id=2");
    assert_eq!(errors[0]["constraint"], "child_parent");
    assert_eq!(target.rows("other").len(), 2, "other tables still sync");
    assert_eq!(target.rows("child").len(), 1);
    // The disable strategy copies exactly, dangling reference included.
    let (code, out, _) = sync(
        &source,
        &target,
        &["--data-only", "--fk-strategy", "disable"],
    );
    assert_eq!(code, 0, "{out}");
    source.assert_same_data(&target);
}

#[test]
fn a_bulk_load_the_target_refuses_falls_back_to_batches_that_name_the_row() {
    // An empty table is loaded by one streamed statement; one source row
    // whose parent is missing makes the server refuse all of it. The copy
    // starts again in batches: that row is named, the others land.
    let schema = "CREATE TABLE p (id INT PRIMARY KEY);
        CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL, pid INT NOT NULL,
            CONSTRAINT t_p FOREIGN KEY (pid) REFERENCES p (id));";
    let source = MyDb::new("bulkref_src");
    let target = MyDb::new("bulkref_tgt");
    for db in [&source, &target] {
        db.exec(schema);
    }
    let values: Vec<String> = (1..=3000)
        .map(|i| format!("({i}, 'v{i}', {})", if i == 1234 { 99 } else { 1 }))
        .collect();
    source.exec(&format!(
        "INSERT INTO p VALUES (1); SET FOREIGN_KEY_CHECKS=0; INSERT INTO t VALUES {}",
        values.join(", ")
    ));
    let (code, out, report) = sync(&source, &target, &["--data-only"]);
    assert_eq!(code, 1, "a refused row leaves a difference: {out}");
    let errors = report["data"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{out}");
    assert_eq!(errors[0]["table"], "t");
    assert_eq!(errors[0]["key"], "id=1234");
    assert_eq!(errors[0]["constraint"], "t_p", "{errors:?}");
    assert_eq!(target.rows("t").len(), 2999, "every other row is copied");
}

#[test]
fn a_trigger_only_the_target_has_keeps_its_table_unwritten_until_it_is_dropped() {
    let source = MyDb::new("trig_src");
    let target = MyDb::new("trig_tgt");
    for db in [&source, &target] {
        db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT); CREATE TABLE audit (n INT);");
    }
    target.exec(
        "CREATE TRIGGER t_audit AFTER INSERT ON t FOR EACH ROW INSERT INTO audit VALUES (NEW.id)",
    );
    source.exec("INSERT INTO t VALUES (1, 1)");
    // --data-only does not touch the schema: the trigger stays, so `t`
    // is not written (the trigger would fire on its rows).
    let (code, out, report) = sync(&source, &target, &["--data-only"]);
    assert_eq!(code, 1, "{out}");
    let skipped = report["data"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "t")
        .unwrap()
        .clone();
    assert!(skipped["skipped_because"].is_string(), "{skipped}");
    assert!(
        out.contains("trigger `t_audit` on `t` exists only in the target"),
        "{out}"
    );
    assert!(target.rows("t").is_empty());
    // Dropping it is destructive: refused without permission, the table
    // still unwritten; with it, the trigger goes first and never fires.
    let (code, out, _) = sync(&source, &target, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(target.rows("t").is_empty(), "{out}");
    let (code, out, _) = sync(&source, &target, &["--allow-destructive", "--yes"]);
    assert_eq!(code, 0, "{out}");
    source.assert_same_data(&target);
    assert!(target.rows("audit").is_empty());
}

#[test]
fn data_only_refuses_a_table_whose_schema_differs_and_names_it() {
    let source = MyDb::new("donly_src");
    let target = MyDb::new("donly_tgt");
    source.exec("CREATE TABLE a (id INT PRIMARY KEY, player VARCHAR(10)); CREATE TABLE b (id INT PRIMARY KEY); INSERT INTO a VALUES (1,'x'); INSERT INTO b VALUES (1);");
    target.exec("CREATE TABLE a (id INT PRIMARY KEY); CREATE TABLE b (id INT PRIMARY KEY);");
    let (code, out, report) = sync(&source, &target, &["--data-only"]);
    assert_eq!(code, 1, "{out}");
    let tables = report["data"]["tables"].as_array().unwrap();
    let a = tables.iter().find(|t| t["table"] == "a").unwrap();
    assert!(
        a["skipped_because"]
            .as_str()
            .unwrap()
            .contains("schema differs"),
        "{a}"
    );
    assert_eq!(target.rows("b").len(), 1, "other tables sync");
    assert!(
        !target.show_create_tables()["a"].contains("player"),
        "data-only never changes the schema"
    );
    // --fix-schemas does both.
    let (code, out, _) = sync(&source, &target, &["--fix-schemas"]);
    assert_eq!(code, 0, "{out}");
    source.assert_same_data(&target);
}

const MATRIX: &str = "CREATE TABLE matrix (
    id INT PRIMARY KEY,
    i8 TINYINT, u16 SMALLINT UNSIGNED, i24 MEDIUMINT, i32 INT, u64 BIGINT UNSIGNED, i64 BIGINT,
    f FLOAT, d DOUBLE, dec65 DECIMAL(65,30),
    b1 BIT(1), b64 BIT(64),
    latin CHAR(10) CHARACTER SET latin1, utf VARCHAR(100) CHARACTER SET utf8mb4, txt TEXT,
    bin4 BINARY(4), vbin VARBINARY(300), blb BLOB,
    dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME(6), yr YEAR,
    en ENUM('a','b','c'), st SET('x','y','z'), js JSON, pt POINT,
    gen_total DOUBLE AS (COALESCE(i32, 0) + COALESCE(d, 0)) VIRTUAL
)";

/// Edge values for every column kind (rows 1-4) and NULLs (row 5).
const MATRIX_ROWS: &str = "SET time_zone = '+05:30';
    INSERT INTO matrix (id, i8, u16, i24, i32, u64, i64, f, d, dec65, b1, b64, latin, utf, txt, bin4, vbin, blb, dt, dtm, ts, tm, yr, en, st, js, pt) VALUES
    (1, -128, 65535, -8388608, -2147483648, 18446744073709551615, -9223372036854775808, 1234567, 0.1, 99999999999999999999999999999999999.999999999999999999999999999999,
     b'1', b'1111111111111111111111111111111111111111111111111111111111111111', X'E9FFA0', 'emoji 😀 quote '' \" back \\\\ nul \\0 end', 'trailing   ',
     X'00000000', X'000102FEFF', X'00', '0000-00-00', '2024-02-29 23:59:59.999999', '2038-01-19 03:14:07.999999', '-838:59:59.000000', 0,
     'a', 'x,z', '{\"k\": \"ünï 😀\", \"n\": [1, 2.5e10]}', ST_GeomFromText('POINT(1.5 -2.25)')),
    (2, 127, 0, 8388607, 2147483647, 0, 9223372036854775807, 3.4e38, 1e308, -0.000000000000000000000000000001,
     b'0', b'0', '', '', '', X'FFFFFFFF', X'', X'', '2020-00-15', '1000-01-01 00:00:00', '1970-01-01 05:30:01', '838:59:59', 1901,
     'c', '', '[]', ST_GeomFromText('POINT(0 0)')),
    (3, 0, 1, 0, 0, 1, 0, 1.17549435e-38, 5e-324, 0, NULL, b'1000000000000000000000000000000000000000000000000000000000000000',
     'abc', 'é', REPEAT('long ', 2000), X'61000000', REPEAT(X'FF', 300), RANDOM_BYTES(1000), '9999-12-31', '0000-00-00 00:00:00', NULL, '-00:00:01.500000', 2155,
     'b', 'x,y,z', 'null', NULL),
    (4, -1, 2, -1, -1, 2, -1, -0.5, -1.7976931348623157e308, 0.000000000000000000000000000001,
     b'1', b'10', 'x', 'CaSe', 'tab\there', X'20202020', X'20', X'FF00', '2000-02-29', '2000-01-01 00:00:00.000001', '2000-01-01 00:00:00.000001', '00:00:00.000001', 2000,
     'a', 'y', '{\"a\": {\"b\": null}}', ST_GeomFromText('POINT(-180 90)')),
    (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);";

/// Rows whose stored bytes differ between the two databases, column by
/// column, compared by the server as binary (FLOAT against FLOAT, so a
/// 1-ulp difference counts).
fn matrix_differences(a: &MyDb, b: &MyDb) -> i64 {
    let cols = [
        "i8", "u16", "i24", "i32", "u64", "i64", "f", "d", "dec65", "b1", "b64", "latin", "utf",
        "txt", "bin4", "vbin", "blb", "dt", "dtm", "ts", "tm", "yr", "en", "st", "js", "pt",
    ];
    let conditions: Vec<String> = cols
        .iter()
        .map(|c| format!("NOT (x.`{c}` <=> y.`{c}`) OR NOT (CAST(x.`{c}` AS BINARY) <=> CAST(y.`{c}` AS BINARY))"))
        .collect();
    let sql = format!(
        "SELECT (SELECT COUNT(*) FROM `{a}`.matrix x LEFT JOIN `{b}`.matrix y ON x.id = y.id WHERE y.id IS NULL OR {c})
              + (SELECT COUNT(*) FROM `{b}`.matrix y LEFT JOIN `{a}`.matrix x ON x.id = y.id WHERE x.id IS NULL)",
        a = a.name,
        b = b.name,
        c = conditions.join(" OR ")
    );
    a.query(&sql)[0][0].as_deref().unwrap().parse().unwrap()
}

#[test]
fn every_type_round_trips_exactly_into_an_empty_a_diverged_and_an_all_different_target() {
    let source = MyDb::new("matrix_src");
    source.exec(MATRIX);
    source.exec(MATRIX_ROWS);
    let drifts = [
        ("empty", ""),
        (
            "diverged",
            "UPDATE matrix SET f = f + 0.0001, utf = CONCAT(utf, '!') WHERE id = 1;
             UPDATE matrix SET dec65 = 1, ts = NULL WHERE id = 3;
             DELETE FROM matrix WHERE id = 4;
             INSERT INTO matrix (id, i8) VALUES (99, 1);",
        ),
        (
            "every column different",
            "UPDATE matrix SET i8 = 7, u16 = 7, i24 = 7, i32 = 7, u64 = 7, i64 = 7, f = 7, d = 7, dec65 = 7, b1 = b'0',
                 b64 = b'111', latin = 'q', utf = 'q', txt = 'q', bin4 = X'07070707', vbin = X'07', blb = X'07',
                 dt = '2001-01-01', dtm = '2001-01-01', ts = '2001-01-01', tm = '07:00:00', yr = 2007, en = 'b',
                 st = 'y', js = '7', pt = ST_GeomFromText('POINT(7 7)');",
        ),
    ];
    for (name, drift) in drifts {
        let target = MyDb::new("matrix_tgt");
        target.exec(MATRIX);
        if !drift.is_empty() {
            target.exec(MATRIX_ROWS);
            target.exec(drift);
            assert!(
                matrix_differences(&source, &target) > 0,
                "{name}: the drift must show"
            );
        }
        let (code, out, report) = sync(&source, &target, &["--data-only"]);
        assert_eq!(code, 0, "{name}: {out}");
        assert_eq!(report["in_sync"], true, "{name}");
        assert_eq!(
            matrix_differences(&source, &target),
            0,
            "{name}: bytes differ after the sync"
        );
        source.assert_same_data(&target);
        let (code, out, _) = sync(&source, &target, &["--validate-only"]);
        assert_eq!(code, 0, "{name}: a second run finds nothing: {out}");
    }
}

#[test]
fn deletes_kept_for_the_end_beyond_what_memory_holds_go_through_a_temporary_file() {
    let schema = "CREATE TABLE parent (id INT PRIMARY KEY);
        CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL, FOREIGN KEY (parent_id) REFERENCES parent (id));";
    let rows = "INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1);";
    let source = MyDb::new("kept_src");
    source.exec(schema);
    source.exec(rows);
    // 25,000 rows in each table only the target has, every extra child
    // pointing at an extra parent: more deletes than are kept in memory,
    // and the children's must run first.
    let target = MyDb::new("kept_tgt");
    target.exec(schema);
    target.exec(rows);
    target.exec(
        "INSERT INTO parent SELECT seq FROM seq_2_to_25001;
         INSERT INTO child SELECT seq, seq FROM seq_2_to_25001;",
    );
    // A script reads the deletes in a pass of their own and keeps none.
    let plan = std::env::temp_dir().join(format!("{}.sql", target.name));
    let (code, out, report) = common::sync_with_report_env(
        &source.url(),
        &target.url(),
        &[
            "--allow-destructive",
            "--dry-run",
            "--sql-out",
            plan.to_str().unwrap(),
        ],
        &[("TMPDIR", "/nonexistent/lockstep")],
    );
    assert_eq!(code, 1, "{out}");
    assert_eq!(report["data"]["rows_deleted"], 50_000, "{}", report["data"]);
    let _ = std::fs::remove_file(plan);
    // Where no file can be made, the run says which and what to do.
    let (code, out, _) = common::sync_with_report_env(
        &source.url(),
        &target.url(),
        &["--data-only", "--allow-destructive"],
        &[("TMPDIR", "/nonexistent/lockstep")],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("temporary file /nonexistent/lockstep/") && out.contains("TMPDIR"),
        "{out}"
    );
    let tmp = std::env::temp_dir().join(&target.name);
    std::fs::create_dir(&tmp).unwrap();
    let (code, out, report) = common::sync_with_report_env(
        &source.url(),
        &target.url(),
        &["--data-only", "--allow-destructive"],
        &[("TMPDIR", tmp.to_str().unwrap())],
    );
    assert_eq!(code, 0, "{out}");
    source.assert_same_data(&target);
    assert_eq!(report["data"]["rows_deleted"], 50_000, "{}", report["data"]);
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "the temporary files are gone"
    );
    std::fs::remove_dir(&tmp).unwrap();
}

#[test]
fn a_unique_value_freed_by_a_delete_goes_to_a_new_row_in_a_referenced_table() {
    let schema = "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(50) NOT NULL UNIQUE);
        CREATE TABLE orders (id INT PRIMARY KEY, user_id INT NOT NULL, FOREIGN KEY (user_id) REFERENCES users (id));";
    let source = MyDb::new("reuse_src");
    source.exec(schema);
    source.exec("INSERT INTO users VALUES (2, 'a@x'); INSERT INTO orders VALUES (20, 2);");
    for strategy in STRATEGIES {
        let target = MyDb::new("reuse_tgt");
        target.exec(schema);
        target.exec("INSERT INTO users VALUES (1, 'a@x'); INSERT INTO orders VALUES (10, 1);");
        let (code, out, _) = sync(
            &source,
            &target,
            &["--data-only", "--fk-strategy", strategy],
        );
        assert_eq!(code, 0, "{strategy}: {out}");
        source.assert_same_data(&target);
    }
    // The same plan as a script, replayed by the mariadb client.
    let target = MyDb::new("reuse_script");
    target.exec(schema);
    target.exec("INSERT INTO users VALUES (1, 'a@x'); INSERT INTO orders VALUES (10, 1);");
    let plan = std::env::temp_dir().join(format!("{}.sql", target.name));
    let (code, out, _) = sync(
        &source,
        &target,
        &["--dry-run", "--sql-out", plan.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{out}");
    target.load_file(&plan);
    source.assert_same_data(&target);
    let _ = std::fs::remove_file(plan);
}

#[test]
fn without_the_reload_privilege_tables_sync_one_at_a_time_and_say_why() {
    let source = MyDb::new("norel_src");
    let target = MyDb::new("norel_tgt");
    for db in [&source, &target] {
        db.exec("CREATE TABLE a (id INT PRIMARY KEY); CREATE TABLE b (id INT PRIMARY KEY);");
    }
    source.exec("INSERT INTO a VALUES (1), (2); INSERT INTO b VALUES (3);");
    let user = format!("lst_norel_{}", std::process::id());
    source.exec(&format!(
        "CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY 'pw{user}';
         GRANT ALL ON `{}`.* TO '{user}'@'127.0.0.1';
         GRANT ALL ON `{}`.* TO '{user}'@'127.0.0.1';",
        source.name, target.name
    ));
    let as_user = |db: &MyDb| {
        let server = common::mysql_server_url().replacen(
            "mysql://root@",
            &format!("mysql://{user}:pw{user}@"),
            1,
        );
        format!("{server}/{}", db.name)
    };
    let (code, out, report) = common::sync_with_report(
        &as_user(&source),
        &as_user(&target),
        &["--data-only", "--parallelism", "2"],
    );
    source.exec(&format!("DROP USER '{user}'@'127.0.0.1'"));
    assert_eq!(code, 0, "{out}");
    source.assert_same_data(&target);
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("RELOAD"), "{warnings}");
    assert!(
        !out.contains(&format!("pw{user}")),
        "the password leaked: {out}"
    );
}

/// A database of more tables than one statement of the first look asks
/// about (100): each side says which are empty, and checksums the rest, a
/// group at a time. Every kind of table is told apart: equal, empty on
/// both sides, empty only on the target (copied), empty only on the
/// source (emptied), and differing.
#[test]
fn the_first_look_tells_apart_every_table_of_a_large_database() {
    let source = MyDb::new("many_src");
    let target = MyDb::new("many_tgt");
    let mut schema = String::new();
    for t in 0..130 {
        schema.push_str(&format!("CREATE TABLE t{t} (id INT PRIMARY KEY, v INT);"));
    }
    source.exec(&schema);
    target.exec(&schema);
    let mut rows = String::new();
    for t in 0..129 {
        rows.push_str(&format!("INSERT INTO t{t} VALUES (1, {t}), (2, {t});"));
    }
    source.exec(&rows);
    target.exec(&rows);
    // t129: empty on both sides. t0-t9: empty on the target;
    // t110-t114: empty on the source; t120-t124: one value differs.
    for t in 0..10 {
        target.exec(&format!("DELETE FROM t{t}"));
    }
    for t in 110..115 {
        source.exec(&format!("DELETE FROM t{t}"));
    }
    for t in 120..125 {
        target.exec(&format!("UPDATE t{t} SET v = -1 WHERE id = 2"));
    }
    let (code, out, report) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 1, "{out}");
    let tables = report["data"]["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 130);
    let mut differing = Vec::new();
    for t in tables {
        let name = t["table"].as_str().unwrap().to_string();
        let n = |k: &str| t[k].as_u64().unwrap();
        let counts = (n("rows_inserted"), n("rows_updated"), n("rows_deleted"));
        if counts == (0, 0, 0) {
            // Equal checksums, or empty on both sides: no row read.
            let found = t["found_by"].as_str().unwrap();
            assert!(found.ends_with("no row read"), "{t}");
        } else {
            differing.push((name, counts.0, counts.1, counts.2));
        }
    }
    differing.sort_by_key(|(name, ..)| name[1..].parse::<u32>().unwrap());
    let mut expected: Vec<(String, u64, u64, u64)> = Vec::new();
    expected.extend((0..10).map(|t| (format!("t{t}"), 2, 0, 0)));
    expected.extend((110..115).map(|t| (format!("t{t}"), 0, 0, 2)));
    expected.extend((120..125).map(|t| (format!("t{t}"), 0, 1, 0)));
    assert_eq!(differing, expected, "{out}");

    let (code, out, _) = sync(&source, &target, &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
    target.assert_same_data(&source);
}
