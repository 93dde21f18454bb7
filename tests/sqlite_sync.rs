//! End to end on SQLite through the binary: Chinook (real schema with a
//! self-referencing FK) synced into an empty file and into a drifted one,
//! the shipped demo, and the read-only promise for the source.

mod common;

use common::{lockstep, output_text as stdout, SqliteDb};

fn chinook() -> String {
    std::fs::read_to_string(common::corpus_dir().join("sampledb/chinook/Chinook_Sqlite.sql"))
        .unwrap()
}

fn schema_of(db: &SqliteDb) -> Vec<(String, String)> {
    let c = rusqlite::Connection::open(&db.path).unwrap();
    let mut st = c
        .prepare("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    st.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        ))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

#[test]
fn chinook_graph_shows_the_employee_self_reference() {
    let source = SqliteDb::new("chinook_graph");
    source.exec(&chinook());
    let out = lockstep(&["graph", "--source", &source.url()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("self-reference: Employee -> Employee"),
        "{text}"
    );
    assert!(
        text.contains("InvoiceLine depends on: Invoice, Track"),
        "{text}"
    );
    // Parents come before children in the sync order.
    let pos = |t: &str| {
        text.find(&format!(". {t}\n"))
            .unwrap_or_else(|| panic!("{t} not in order:\n{text}"))
    };
    assert!(
        pos("Artist") < pos("Album")
            && pos("Album") < pos("Track")
            && pos("Track") < pos("InvoiceLine")
    );
}

#[test]
fn chinook_schema_into_an_empty_file_then_nothing_to_do() {
    let source = SqliteDb::new("chinook_src");
    source.exec(&chinook());
    let before = schema_of(&source);
    let target = SqliteDb::new("chinook_tgt");
    let out = lockstep(&[
        "sync",
        "--schema-only",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(schema_of(&target), before);
    assert_eq!(schema_of(&source), before, "the source must not change");
    let again = lockstep(&[
        "sync",
        "--schema-only",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
}

#[test]
fn drifted_sqlite_schema_converges_and_keeps_rows() {
    let source = SqliteDb::new("drift_src");
    source.exec(
        "CREATE TABLE auth_user (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, email TEXT, score REAL DEFAULT 0);
         CREATE TABLE job_orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES auth_user(id) ON DELETE CASCADE, title TEXT NOT NULL, player TEXT);
         CREATE INDEX job_orders_title ON job_orders(title);",
    );
    let target = SqliteDb::new("drift_tgt");
    target.exec(
        "CREATE TABLE auth_user (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, email INTEGER);
         CREATE TABLE job_orders (id INTEGER PRIMARY KEY, user_id INTEGER, title TEXT NOT NULL);
         CREATE TABLE leftovers (x);
         INSERT INTO auth_user VALUES (1, 'ann', 'a@x'), (2, 'bob', NULL);
         INSERT INTO job_orders VALUES (10, 1, 'first');",
    );
    let json = target.dir.join("report.json");
    let out = lockstep(&[
        "sync",
        "--dry-run",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
        "--report-json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["in_sync"], false);
    let kinds: Vec<&str> = report["schema"]["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "missing_column",
        "type_difference",
        "missing_index",
        "extra_table",
    ] {
        assert!(kinds.contains(&kind), "{kind} not in {kinds:?}");
    }
    assert_eq!(
        report["schema"]["fk_dependencies"][1]["depends_on"][0], "auth_user",
        "{}",
        report["schema"]["fk_dependencies"]
    );

    // Without permission: the lossy type change and the extra table are refused.
    let out = lockstep(&[
        "sync",
        "--schema-only",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("--allow-destructive"),
        "{}",
        stdout(&out)
    );
    assert!(schema_of(&target).iter().any(|(n, _)| n == "leftovers"));

    let out = lockstep(&[
        "sync",
        "--schema-only",
        "--allow-destructive",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(!schema_of(&target).iter().any(|(n, _)| n == "leftovers"));
    let c = rusqlite::Connection::open(&target.path).unwrap();
    let users: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM auth_user WHERE username IN ('ann','bob')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let title: String = c
        .query_row("SELECT title FROM job_orders WHERE id = 10", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        (users, title.as_str()),
        (2, "first"),
        "rows survive the rebuilds"
    );
    let again = lockstep(&[
        "sync",
        "--schema-only",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
}

#[test]
fn sql_out_replays_with_the_sqlite_client_to_the_same_schema_and_rows() {
    let source = SqliteDb::new("sqlout_src");
    source.exec(&chinook());
    let target = SqliteDb::new("sqlout_tgt");
    target.exec("CREATE TABLE Artist (ArtistId INTEGER NOT NULL, Name NVARCHAR(10));");
    let plan = target.dir.join("plan.sql");
    let out = lockstep(&[
        "sync",
        "--dry-run",
        "--allow-destructive",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
        "--sql-out",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    target.exec(&std::fs::read_to_string(&plan).unwrap());
    let schema = lockstep(&[
        "sync",
        "--schema-only",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
    ]);
    assert_eq!(
        schema.status.code(),
        Some(0),
        "the schema script converged: {}",
        stdout(&schema)
    );
    // The tables whose schema the script changed were reloaded whole.
    let again = lockstep(&[
        "validate",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert_eq!(all_rows(&source), all_rows(&target));
}

/// Every row of every table as (typeof, hex) text: exact, storage class
/// included.
fn all_rows(db: &SqliteDb) -> Vec<(String, Vec<String>)> {
    let c = rusqlite::Connection::open(&db.path).unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let mut out = Vec::new();
    for t in tables {
        let cols: Vec<String> = c
            .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let exprs: Vec<String> = cols
            .iter()
            .map(|c| format!("typeof(\"{c}\") || ':' || hex(\"{c}\")"))
            .collect();
        let mut rows: Vec<String> = c
            .prepare(&format!(
                "SELECT {} FROM \"{t}\"",
                exprs.join(" || '|' || ")
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        rows.sort();
        out.push((t, rows));
    }
    out
}

#[test]
fn chinook_rows_into_an_empty_file_and_into_a_drifted_one() {
    let source = SqliteDb::new("chinook_data_src");
    source.exec(&chinook());
    let target = SqliteDb::new("chinook_data_tgt");
    let out = lockstep(&["sync", "--source", &source.url(), "--target", &target.url()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(all_rows(&source), all_rows(&target));
    target.exec(
        "PRAGMA foreign_keys=OFF;
         DELETE FROM Employee WHERE EmployeeId = 1;
         UPDATE Track SET UnitPrice = 'free', Name = Name || ' (live)' WHERE TrackId % 9 = 0;
         UPDATE Invoice SET Total = CAST(Total AS TEXT) WHERE InvoiceId % 5 = 0;
         DELETE FROM InvoiceLine WHERE InvoiceLineId % 13 = 0;
         INSERT INTO Genre (GenreId, Name) VALUES (999, x'00ff');",
    );
    let json = target.dir.join("r.json");
    let out = lockstep(&[
        "sync",
        "--data-only",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
        "--report-json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(all_rows(&source), all_rows(&target));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["in_sync"], true);
    assert_eq!(report["data"]["rows_deleted"], 1, "{}", report["data"]);
    let again = lockstep(&[
        "validate",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
}

#[test]
fn the_shipped_demo_syncs_fully_and_then_has_nothing_to_do() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let scratch = SqliteDb::new("demo");
    let remote = scratch.dir.join("remote.sqlite");
    let local = scratch.dir.join("local.sqlite");
    std::fs::copy(examples.join("remote.sqlite"), &remote).unwrap();
    std::fs::copy(examples.join("local.sqlite"), &local).unwrap();
    let (source, target) = (
        format!("sqlite:{}", remote.display()),
        format!("sqlite:{}", local.display()),
    );
    let validate = lockstep(&["validate", "--source", &source, "--target", &target]);
    assert_eq!(validate.status.code(), Some(1), "{}", stdout(&validate));
    let out = lockstep(&[
        "sync",
        "--fix-schemas",
        "--source",
        &source,
        "--target",
        &target,
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for expected in [
        "Records inserted:",
        "Records updated:",
        "Records deleted:",
        "Verification: all 8 synced tables match",
    ] {
        assert!(text.contains(expected), "`{expected}` not in:\n{text}");
    }
    let again = lockstep(&["validate", "--source", &source, "--target", &target]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    let original = std::fs::read(examples.join("remote.sqlite")).unwrap();
    assert_eq!(
        std::fs::read(&remote).unwrap(),
        original,
        "the source file must not change"
    );
}

#[test]
fn the_target_schema_reads_as_the_source_wrote_it_after_added_columns_and_rebuilds() {
    let base = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
        CREATE TABLE [Customer] ([Id] INTEGER PRIMARY KEY, [Name] TEXT);
        CREATE TABLE fresh (id INTEGER PRIMARY KEY,
            body TEXT
        );
        CREATE INDEX [Customer_Name] ON [Customer] ([Name]);";
    let source = SqliteDb::new("text_src");
    source.exec(base);
    source.exec(
        // Columns the source added itself, and a table written anew.
        "ALTER TABLE notes ADD COLUMN note TEXT DEFAULT 'n/a';
         ALTER TABLE notes ADD   COLUMN [due at]  INTEGER /* epoch */ DEFAULT 0;
         DROP TABLE [Customer];
         CREATE TABLE [Customer] ([Id] INTEGER PRIMARY KEY, [Name] TEXT NOT NULL DEFAULT '');
         CREATE INDEX [Customer_Name] ON [Customer] ([Name]);
         DROP TABLE fresh;
         CREATE TABLE fresh (id INTEGER PRIMARY KEY,
            body TEXT,
            tag TEXT
        );",
    );
    let target = SqliteDb::new("text_tgt");
    target.exec(base);
    target.exec(
        "INSERT INTO notes (id, body) VALUES (1, 'kept');
         INSERT INTO [Customer] VALUES (1, 'ann'), (2, NULL);
         INSERT INTO fresh VALUES (1, 'kept')",
    );
    let out = common::lockstep_sync("--schema-only", &source.url(), &target.url());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(schema_of(&target), schema_of(&source));
    let c = rusqlite::Connection::open(&target.path).unwrap();
    let kept: (String, String, String) = c
        .query_row(
            "SELECT n.body || '/' || n.note, c.[Name], f.body FROM notes n, [Customer] c, fresh f \
             WHERE c.[Id] = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(kept, ("kept/n/a".into(), String::new(), "kept".into()));
}

#[test]
fn rows_arrive_unstamped_by_triggers_which_come_after_them() {
    let source = SqliteDb::new("trig3_src");
    let target = SqliteDb::new("trig3_tgt");
    source.exec(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, stamped TEXT);
         CREATE TABLE audit (n INTEGER);
         INSERT INTO t VALUES (1, 'a', 'source'), (2, 'b', 'source');
         CREATE TRIGGER t_stamp AFTER INSERT ON t BEGIN
           UPDATE t SET stamped = 'trigger' WHERE id = NEW.id;
           INSERT INTO audit VALUES (NEW.id);
         END;",
    );
    let rows = |db: &SqliteDb, sql: &str| -> Vec<String> {
        let c = rusqlite::Connection::open(&db.path).unwrap();
        let mut st = c.prepare(sql).unwrap();
        st.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let t = "SELECT id || v || stamped FROM t ORDER BY id";
    for round in ["empty", "drifted"] {
        let out = common::lockstep_sync("--fix-schemas", &source.url(), &target.url());
        assert_eq!(out.status.code(), Some(0), "{round}: {}", stdout(&out));
        assert_eq!(rows(&target, t), rows(&source, t), "{round}");
        assert!(
            rows(&target, "SELECT CAST(n AS TEXT) FROM audit").is_empty(),
            "{round}"
        );
        assert_eq!(schema_of(&target), schema_of(&source), "{round}");
        target.exec("DELETE FROM t WHERE id = 2");
    }
}
