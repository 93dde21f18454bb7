//! The SQLite row engine against real files: streams read every storage
//! class exactly and in `Value::key_cmp` order, rendered writes put back
//! exactly what was read (compared by storage class and bytes), and the
//! write path classifies failures, splits statements and lets a second
//! connection read while it writes (WAL).

mod common;

use common::{assert_rows_exact, SqliteDb};
use lockstep::data::table::TableData;
use lockstep::data::value::{Row, Value};
use lockstep::engine::sqlite::write::literal;
use lockstep::engine::sqlite::SqliteConnection;
use lockstep::engine::{
    ConnectOptions, DataSession, Role, SourceDb, TargetDb, WriteErrorKind, WriteOp,
};
use lockstep::url::DatabaseUrl;
use tokio::sync::mpsc;

fn url(db: &SqliteDb) -> DatabaseUrl {
    DatabaseUrl::parse(&db.url()).unwrap()
}

async fn source(db: &SqliteDb) -> SourceDb {
    let mut s = SourceDb::open(&url(db), &ConnectOptions::default())
        .await
        .unwrap();
    s.begin_data_reads().await.unwrap();
    s
}

async fn target(db: &SqliteDb) -> TargetDb {
    TargetDb::open(&url(db), &ConnectOptions::default())
        .await
        .unwrap()
}

async fn table_data(db: &SqliteDb, name: &str) -> TableData {
    let mut s = SourceDb::open(&url(db), &ConnectOptions::default())
        .await
        .unwrap();
    let catalog = s.introspect().await.unwrap();
    TableData::new(catalog.table(name).unwrap(), None).unwrap()
}

/// Every row of `table` in `db`, as its stream delivers them.
async fn read(db: &SqliteDb, table: &TableData) -> Vec<Row> {
    let mut s = source(db).await;
    common::collect_rows(&mut s, table).await
}

/// Renders `op` for the target and runs it.
async fn write(db: &SqliteDb, table: &TableData, op: WriteOp<'_>) {
    let mut t = target(db).await;
    let statements = t.dialect().render_write(table, op, t.max_statement_bytes());
    t.execute_write(&statements)
        .await
        .unwrap_or_else(|e| panic!("{}\n{statements:#?}", e.message));
}

/// Every value of `table` as `typeof:hex`, rows in rowid order.
fn dump(db: &SqliteDb, table: &str) -> Vec<String> {
    let c = rusqlite::Connection::open(&db.path).unwrap();
    let columns = strings(
        &c,
        &format!("SELECT name FROM pragma_table_info('{table}')"),
    );
    let exprs: Vec<String> = columns
        .iter()
        .map(|c| format!("typeof(\"{c}\") || ':' || hex(\"{c}\")"))
        .collect();
    let sql = format!(
        "SELECT {} FROM \"{table}\" ORDER BY 1",
        exprs.join(" || ' ' || ")
    );
    strings(&c, &sql)
}

/// The first column of every row of `sql`, as text.
fn strings(c: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut stmt = c.prepare(sql).unwrap();
    let rows = stmt.query_map([], |r| r.get(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

fn count(db: &SqliteDb, table: &str) -> i64 {
    let c = rusqlite::Connection::open(&db.path).unwrap();
    c.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
        r.get(0)
    })
    .unwrap()
}

const MATRIX_SCHEMA: &str = "
    CREATE TABLE m (id INTEGER PRIMARY KEY, v, i INTEGER, r REAL, s TEXT, b BLOB, d DECIMAL(12,2));
";

/// One row per interesting value in the untyped column `v`, plus typed
/// columns that apply their affinity.
const MATRIX_ROWS: &str = "
    INSERT INTO m (id, v) VALUES
      (1, NULL), (2, 1), (3, 1.0), (4, '1'), (5, x'31'),
      (6, -9223372036854775808), (7, 9223372036854775807),
      (8, 0.1), (9, -0.0), (10, 1e308), (11, 5e-324), (12, 9e999), (13, -9e999),
      (14, 'emoji 😀 and é'), (15, 'it''s \"quoted\" \\ back'), (16, CAST(x'610062' AS TEXT)),
      (17, CAST(x'ff' AS TEXT)), (18, ''), (19, x''), (20, 'line
break'), (21, 1.5e300), (22, -2.2250738585072014e-308), (23, 123456789012345678);
    INSERT INTO m (id, v) VALUES (24, (WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 255)
      SELECT unhex(group_concat(printf('%02X', x), '')) FROM n));
    INSERT INTO m (id, i, r, s, b, d) VALUES
      (30, 42, 2.5, 'text', x'00ff', 10.50),
      (31, '7', 3, 12, 'not a blob', '10.50'),
      (32, 'x', 'y', 'z', NULL, 'abc'),
      (33, 1.5, 1e-5, -0.0, x'', 1.0);
";

#[tokio::test(flavor = "multi_thread")]
async fn every_storage_class_round_trips_exactly() {
    let src = SqliteDb::new("rows_matrix_src");
    src.exec(MATRIX_SCHEMA);
    src.exec(MATRIX_ROWS);
    let tgt = SqliteDb::new("rows_matrix_tgt");
    tgt.exec(MATRIX_SCHEMA);

    let table = table_data(&src, "m").await;
    let rows = read(&src, &table).await;
    assert_eq!(rows.len() as i64, count(&src, "m"));
    // Storage classes stay apart: the integer 1, the real 1.0, the text
    // '1' and the blob x'31'.
    assert_eq!(rows[1][1], Value::Int(1));
    assert_eq!(rows[2][1], Value::Double(1.0));
    assert_eq!(rows[3][1], Value::Text(b"1".to_vec()));
    assert_eq!(rows[4][1], Value::Bytes(b"1".to_vec()));
    assert_eq!(rows[16][1], Value::Text(vec![0xff]));
    assert_eq!(rows[15][1], Value::Text(b"a\0b".to_vec()));
    assert_eq!(rows[23][1], Value::Bytes((0..=255).collect()));

    write(&tgt, &table, WriteOp::Insert(&rows)).await;
    assert_eq!(dump(&tgt, "m"), dump(&src, "m"));
    assert_rows_exact(&read(&tgt, &table).await, &rows);
}

#[tokio::test(flavor = "multi_thread")]
async fn update_changes_every_column_and_delete_removes_by_key() {
    let src = SqliteDb::new("rows_update_src");
    src.exec(MATRIX_SCHEMA);
    src.exec(MATRIX_ROWS);
    let tgt = SqliteDb::new("rows_update_tgt");
    tgt.exec(MATRIX_SCHEMA);
    // Same keys, every other value different; plus rows the source lacks.
    tgt.exec(
        "INSERT INTO m (id, v, i, r, s, b, d) SELECT id, 'old', 0, 0.5, 'old', x'01', 1 FROM (
           SELECT value AS id FROM json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,30,31,32,33,40,41,42]'));",
    );
    let table = table_data(&src, "m").await;
    let rows = read(&src, &table).await;
    write(&tgt, &table, WriteOp::Update(&rows)).await;

    let keyed: Vec<Row> = [40, 41, 42]
        .into_iter()
        .map(|id| {
            let mut row = vec![Value::Null; table.columns.len()];
            row[0] = Value::Int(id);
            row
        })
        .collect();
    write(&tgt, &table, WriteOp::Delete(&keyed)).await;
    assert_eq!(dump(&tgt, "m"), dump(&src, "m"));
    assert_rows_exact(&read(&tgt, &table).await, &rows);
}

#[tokio::test(flavor = "multi_thread")]
async fn keyless_delete_removes_exactly_one_copy() {
    let db = SqliteDb::new("rows_keyless");
    db.exec(
        "CREATE TABLE bag (a, b TEXT COLLATE NOCASE);
         INSERT INTO bag VALUES (1, 'x'), (1, 'x'), (1, 'x'), (1.0, 'x'), ('1', 'x'), (1, 'X'),
                                (NULL, NULL), (NULL, NULL), (x'31', CAST(x'ff' AS TEXT));",
    );
    let table = table_data(&db, "bag").await;
    assert!(table.key.is_empty());
    let doomed = vec![
        vec![Value::Int(1), Value::Text(b"x".to_vec())],
        vec![Value::Int(1), Value::Text(b"x".to_vec())],
        vec![Value::Null, Value::Null],
        vec![Value::Bytes(b"1".to_vec()), Value::Text(vec![0xff])],
    ];
    write(&db, &table, WriteOp::Delete(&doomed)).await;
    let c = rusqlite::Connection::open(&db.path).unwrap();
    let left = strings(
        &c,
        "SELECT typeof(a) || ':' || quote(a) || ' ' || quote(b) FROM bag ORDER BY 1",
    );
    // One of three (1, 'x') copies stays; 1.0, '1' and 'X' are other rows.
    assert_eq!(
        left,
        [
            "integer:1 'X'",
            "integer:1 'x'",
            "null:NULL NULL",
            "real:1.0 'x'",
            "text:'1' 'x'",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_stream_in_key_cmp_order() {
    let db = SqliteDb::new("rows_order");
    db.exec(
        "CREATE TABLE words (w TEXT COLLATE NOCASE PRIMARY KEY, n INTEGER);
         INSERT INTO words VALUES ('a', 1), ('B', 2), ('é', 3), ('E', 4);
         CREATE TABLE mixed (k PRIMARY KEY, n);
         INSERT INTO mixed VALUES (NULL, 0), ('b', 1), (x'00', 2), (2, 3), (1.5, 4), (-3, 5),
           ('B', 6), (x'', 7), ('', 8), (10, 9), (2.5, 10), (-9e999, 11), (9223372036854775807, 12),
           (9.3e18, 13), ('a', 14), (x'ff', 15);",
    );
    let words = table_data(&db, "words").await;
    let keys: Vec<Value> = read(&db, &words)
        .await
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let text = |s: &str| Value::Text(s.as_bytes().to_vec());
    assert_eq!(keys, [text("B"), text("E"), text("a"), text("é")]);

    let mixed = table_data(&db, "mixed").await;
    let rows = read(&db, &mixed).await;
    assert_eq!(rows.len(), 16);
    for pair in rows.windows(2) {
        assert_eq!(
            pair[0][0].key_cmp(&pair[1][0]),
            std::cmp::Ordering::Less,
            "{:?} then {:?}",
            pair[0][0],
            pair[1][0]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn composite_keys_update_and_delete() {
    let src = SqliteDb::new("rows_composite_src");
    let schema = "CREATE TABLE c (a TEXT, b INTEGER, v, PRIMARY KEY (a, b)) WITHOUT ROWID;";
    src.exec(schema);
    src.exec("INSERT INTO c VALUES ('x', 1, 'one'), ('x', 2, 2.5), ('y', 1, x'00');");
    let tgt = SqliteDb::new("rows_composite_tgt");
    tgt.exec(schema);
    tgt.exec(
        "INSERT INTO c VALUES ('x', 1, 'old'), ('x', 2, 'old'), ('y', 1, 'old'), ('y', 2, 'gone'), ('z', 1, 'gone');",
    );
    let table = table_data(&src, "c").await;
    assert_eq!(table.key, [0, 1]);
    let rows = read(&src, &table).await;
    write(&tgt, &table, WriteOp::Update(&rows)).await;
    let doomed = vec![
        vec![Value::Text(b"y".to_vec()), Value::Int(2), Value::Null],
        vec![Value::Text(b"z".to_vec()), Value::Int(1), Value::Null],
    ];
    write(&tgt, &table, WriteOp::Delete(&doomed)).await;
    assert_eq!(dump(&tgt, "c"), dump(&src, "c"));
}

#[tokio::test(flavor = "multi_thread")]
async fn tiny_statement_limit_splits_every_op() {
    let src = SqliteDb::new("rows_split_src");
    let schema = "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);";
    src.exec(schema);
    src.exec(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1200)
         INSERT INTO s SELECT x, printf('row %d', x) FROM n;",
    );
    let tgt = SqliteDb::new("rows_split_tgt");
    tgt.exec(schema);
    let table = table_data(&src, "s").await;
    let rows = read(&src, &table).await;
    let mut t = target(&tgt).await;

    let max = 120;
    for op in [WriteOp::Insert(&rows[..]), WriteOp::Update(&rows[..])] {
        let statements = t.dialect().render_write(&table, op, max);
        assert!(statements.len() > 100, "{}", statements.len());
        assert!(statements.iter().all(|s| s.len() <= max), "{statements:#?}");
        t.execute_write(&statements).await.unwrap();
    }
    assert_eq!(dump(&tgt, "s"), dump(&src, "s"));

    // Without a size limit the row count still splits statements.
    let statements = t
        .dialect()
        .render_write(&table, WriteOp::Delete(&rows), usize::MAX);
    assert_eq!(statements.len(), 3);
    // A row longer than the limit goes alone.
    let statements = t
        .dialect()
        .render_write(&table, WriteOp::Delete(&rows[..3]), 10);
    assert_eq!(statements.len(), 3);
    t.execute_write(&statements).await.unwrap();
    assert_eq!(count(&tgt, "s"), 1197);
}

#[tokio::test(flavor = "multi_thread")]
async fn write_failures_are_classified_and_roll_back() {
    let db = SqliteDb::new("rows_failures");
    db.exec(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id), email TEXT UNIQUE);
         INSERT INTO parent VALUES (1);
         INSERT INTO child VALUES (1, 1, 'a@x');",
    );
    let table = table_data(&db, "child").await;
    let mut t = target(&db).await;
    t.set_foreign_key_checks(true).await.unwrap();

    let row = |id: i64, parent: i64, email: &str| {
        vec![
            Value::Int(id),
            Value::Int(parent),
            Value::Text(email.as_bytes().to_vec()),
        ]
    };
    let orphan = [row(2, 1, "b@x"), row(3, 99, "c@x")];
    let statements = t
        .dialect()
        .render_write(&table, WriteOp::Insert(&orphan), 40);
    assert_eq!(statements.len(), 2);
    let e = t.execute_write(&statements).await.unwrap_err();
    assert_eq!(e.kind, WriteErrorKind::ForeignKey { constraint: None });
    assert!(e.message.contains("FOREIGN KEY"), "{}", e.message);

    let clash = [row(4, 1, "a@x")];
    let statements = t
        .dialect()
        .render_write(&table, WriteOp::Insert(&clash), 1 << 20);
    let e = t.execute_write(&statements).await.unwrap_err();
    assert_eq!(
        e.kind,
        WriteErrorKind::Duplicate {
            index: Some("child.email".to_string())
        }
    );
    let same_key = [row(1, 1, "d@x")];
    let statements = t
        .dialect()
        .render_write(&table, WriteOp::Insert(&same_key), 1 << 20);
    let e = t.execute_write(&statements).await.unwrap_err();
    assert_eq!(
        e.kind,
        WriteErrorKind::Duplicate {
            index: Some("child.id".to_string())
        }
    );
    // Nothing of the failed writes was kept, and the session still works.
    assert_eq!(count(&db, "child"), 1);
    let fine = [row(2, 1, "b@x")];
    let statements = t
        .dialect()
        .render_write(&table, WriteOp::Insert(&fine), 1 << 20);
    t.execute_write(&statements).await.unwrap();
    assert_eq!(count(&db, "child"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_connection_streams_while_the_writer_writes() {
    let db = SqliteDb::new("rows_wal");
    db.exec(
        "CREATE TABLE w (id INTEGER PRIMARY KEY, v TEXT);
         WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3500)
         INSERT INTO w SELECT x, 'v' FROM n;",
    );
    let table = table_data(&db, "w").await;
    let mut writer = target(&db).await;
    writer.begin_writes().await.unwrap();
    let mut reader = writer.open_reader().await.unwrap();

    // The reader stops after its first chunk, in the middle of its SELECT.
    let (tx, mut rx) = mpsc::channel(1);
    let streamed = table.clone();
    let reading = tokio::spawn(async move {
        reader.stream_rows(&streamed, None, &tx).await;
    });
    let mut seen = rx.recv().await.unwrap().unwrap().len();

    let new = [vec![Value::Int(9999), Value::Text(b"new".to_vec())]];
    let statements = writer
        .dialect()
        .render_write(&table, WriteOp::Insert(&new), 1 << 20);
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        writer.execute_write(&statements),
    )
    .await
    .expect("the writer waited for the reader")
    .unwrap();

    while let Some(chunk) = rx.recv().await {
        seen += chunk.unwrap().len();
    }
    reading.await.unwrap();
    // The reader kept its snapshot; the write landed.
    assert_eq!(seen, 3500);
    assert_eq!(count(&db, "w"), 3501);
}

fn journal_mode(db: &SqliteDb) -> String {
    let c = rusqlite::Connection::open(&db.path).unwrap();
    c.query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn the_target_journal_mode_comes_back() {
    let db = SqliteDb::new("rows_journal");
    db.exec("CREATE TABLE j (id INTEGER PRIMARY KEY);");
    assert_eq!(journal_mode(&db), "delete");
    let path = db.path.to_str().unwrap();
    let mut writer = SqliteConnection::open(path, Role::Target).unwrap();
    writer
        .prepare_data_session(DataSession::TargetWriter)
        .unwrap();
    assert_eq!(journal_mode(&db), "wal");
    let mut reader = SqliteConnection::open(path, Role::Target).unwrap();
    reader
        .prepare_data_session(DataSession::TargetReader)
        .unwrap();
    reader.finish_data_session().unwrap();
    drop(reader);
    writer.finish_data_session().unwrap();
    assert_eq!(journal_mode(&db), "delete");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_source_reads_one_snapshot() {
    let db = SqliteDb::new("rows_snapshot");
    db.exec(
        "PRAGMA journal_mode=WAL;
         CREATE TABLE a (id INTEGER PRIMARY KEY);
         INSERT INTO a VALUES (1), (2);",
    );
    let table = table_data(&db, "a").await;
    let mut s = source(&db).await;
    db.exec("INSERT INTO a VALUES (3);");
    let (tx, mut rx) = mpsc::channel(4);
    s.stream_rows(&table, None, &tx).await;
    drop(tx);
    let mut rows = Vec::new();
    while let Some(chunk) = rx.recv().await {
        rows.extend(chunk.unwrap());
    }
    assert_eq!(rows, [vec![Value::Int(1)], vec![Value::Int(2)]]);
}

#[tokio::test(flavor = "multi_thread")]
async fn triggers_are_listed_by_table() {
    let db = SqliteDb::new("rows_triggers");
    db.exec(
        "CREATE TABLE t (id INTEGER PRIMARY KEY);
         CREATE TABLE log (id INTEGER);
         CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.id); END;
         CREATE TRIGGER t_del AFTER DELETE ON t BEGIN INSERT INTO log VALUES (old.id); END;",
    );
    let triggers = target(&db).await.triggers().await.unwrap();
    assert_eq!(triggers.len(), 1);
    assert_eq!(triggers["t"], ["t_del", "t_ins"]);
}

/// Every f64 SQLite can store comes back bit for bit from its literal
/// (SQLite's decimal parser alone would get `1.715373926431966e178`
/// one ulp wrong).
#[test]
fn real_literals_parse_back_exactly() {
    let c = rusqlite::Connection::open_in_memory().unwrap();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut values = vec![
        0.0,
        -0.0,
        0.1,
        1.0,
        1e308,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
        -f64::MAX,
        2f64.powi(53) + 2.0,
        1e16,
        123456.789e-300,
        1.715373926431966e178,
        10.5,
        19.99,
        -2.2250738585072014e-308,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    values.extend(
        (0..20_000)
            .map(|_| f64::from_bits(next()))
            .filter(|v| !v.is_nan()),
    );
    for v in values {
        let lit = literal(&Value::Double(v));
        let (class, back): (String, f64) = c
            .query_row(&format!("SELECT typeof({lit}), {lit}"), [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(class, "real", "{lit}");
        assert_eq!(back.to_bits(), v.to_bits(), "{v:?} rendered as {lit}");
    }
    assert_eq!(literal(&Value::Double(f64::NAN)), "NULL");
    assert_eq!(literal(&Value::Double(-0.0)), "-0.0");
    assert_eq!(literal(&Value::Double(1e16)), "10000000000000000.0");
    assert_eq!(
        literal(&Value::Double(0.1)),
        "(3602879701896397.0/36028797018963968)"
    );
}
