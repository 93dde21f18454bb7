//! What only the SQLite row engine does, against real files: every storage
//! class read and written exactly (the integer 1, the real 1.0, the text
//! '1' and the blob x'31' are four values, in keys and in keyless deletes
//! too), keys of mixed storage classes in `key_cmp` order, at most 500 rows
//! a statement, the target's journal mode given back, real literals that
//! parse back bit for bit. What every engine does is in
//! `engine_contract.rs`.

mod common;
mod contract;

use common::{assert_rows_exact, SqliteDb};
use contract::{
    bytes, double, numbers, read_source, sqlite_literal, table_data, text, Fixture, Table, Target,
    WriteOp,
};
use lockstep::data::value::Value;

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

    let table = table_data(&src.url(), "m", None).await;
    let rows = read_source(&src.url(), &table).await;
    assert_eq!(rows.len(), src.count("m"));
    // Storage classes stay apart: the integer 1, the real 1.0, the text
    // '1' and the blob x'31'.
    assert_eq!(rows[1][1], Value::Int(1));
    assert_eq!(rows[2][1], Value::Double(1.0));
    assert_eq!(rows[3][1], Value::Text(b"1".to_vec()));
    assert_eq!(rows[4][1], Value::Bytes(b"1".to_vec()));
    assert_eq!(rows[16][1], Value::Text(vec![0xff]));
    assert_eq!(rows[15][1], Value::Text(b"a\0b".to_vec()));
    assert_eq!(rows[23][1], Value::Bytes((0..=255).collect()));

    let (mut target, _reader) = Target::open(&tgt.url()).await;
    target.write(&table, WriteOp::Insert(&rows)).await;
    assert_rows_exact(&tgt.read_back("m"), &src.read_back("m"));
    assert_rows_exact(&read_source(&tgt.url(), &table).await, &rows);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_storage_class_updates_exactly() {
    let src = SqliteDb::new("rows_update_src");
    src.exec(MATRIX_SCHEMA);
    src.exec(MATRIX_ROWS);
    let tgt = SqliteDb::new("rows_update_tgt");
    tgt.exec(MATRIX_SCHEMA);
    // Same keys, every other value different.
    tgt.exec(
        "INSERT INTO m (id, v, i, r, s, b, d) SELECT id, 'old', 0, 0.5, 'old', x'01', 1 FROM (
           SELECT value AS id FROM json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,30,31,32,33]'));",
    );
    let table = table_data(&src.url(), "m", None).await;
    let rows = read_source(&src.url(), &table).await;
    let (mut target, _reader) = Target::open(&tgt.url()).await;
    target.write(&table, WriteOp::Update(&rows)).await;
    assert_rows_exact(&tgt.read_back("m"), &src.read_back("m"));
    assert_rows_exact(&read_source(&tgt.url(), &table).await, &rows);
}

#[tokio::test(flavor = "multi_thread")]
async fn keyless_deletes_tell_storage_classes_apart() {
    let db = SqliteDb::new("rows_keyless");
    db.exec(
        "CREATE TABLE bag (a, b TEXT);
         INSERT INTO bag VALUES (1, 'x'), (1.0, 'x'), ('1', 'x'), (x'31', 'x'),
                                (x'31', CAST(x'ff' AS TEXT));",
    );
    let table = table_data(&db.url(), "bag", None).await;
    assert!(table.key.is_empty());
    let doomed = [
        vec![Value::Int(1), text("x")],
        vec![bytes(b"1"), Value::Text(vec![0xff])],
    ];
    let (mut target, _reader) = Target::open(&db.url()).await;
    target.write(&table, WriteOp::Delete(&doomed)).await;
    // 1.0, '1' and x'31' are other rows than 1; text that is not UTF-8 is
    // found by its bytes.
    assert_rows_exact(
        &db.read_back("bag"),
        &[
            vec![double(1.0), text("x")],
            vec![text("1"), text("x")],
            vec![bytes(b"1"), text("x")],
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mixed_storage_class_keys_stream_in_key_cmp_order() {
    let db = SqliteDb::new("rows_order");
    db.exec(
        "CREATE TABLE mixed (k PRIMARY KEY, n);
         INSERT INTO mixed VALUES (NULL, 0), ('b', 1), (x'00', 2), (2, 3), (1.5, 4), (-3, 5),
           ('B', 6), (x'', 7), ('', 8), (10, 9), (2.5, 10), (-9e999, 11), (9223372036854775807, 12),
           (9.3e18, 13), ('a', 14), (x'ff', 15);",
    );
    let mixed = table_data(&db.url(), "mixed", None).await;
    let rows = read_source(&db.url(), &mixed).await;
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
async fn statements_hold_at_most_500_rows() {
    let db = SqliteDb::with("rows_split", &[Table::Numbers]);
    let table = table_data(&db.url(), "nums", None).await;
    let rows = numbers(1200);
    let (mut target, _reader) = Target::open(&db.url()).await;
    // Without a size limit the row count still splits statements (old
    // SQLite counted the rows of a VALUES list against a limit of 500).
    for op in [
        WriteOp::Insert(&rows),
        WriteOp::Update(&rows),
        WriteOp::Delete(&rows),
    ] {
        assert_eq!(target.render(&table, op, usize::MAX).len(), 3);
    }
    let statements = target.render(&table, WriteOp::Insert(&rows), usize::MAX);
    target.execute(&statements).await.unwrap();
    assert_rows_exact(&db.read_back("nums"), &rows);
}

fn journal_mode(db: &SqliteDb) -> String {
    let c = rusqlite::Connection::open(&db.path).unwrap();
    c.query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_target_journal_mode_comes_back() {
    let db = SqliteDb::with("rows_journal", &[Table::Numbers]);
    assert_eq!(journal_mode(&db), "delete");
    let (target, reader) = Target::open(&db.url()).await;
    assert_eq!(journal_mode(&db), "wal");
    target.finish(reader).await;
    assert_eq!(journal_mode(&db), "delete");
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
        let lit = sqlite_literal(&Value::Double(v));
        let (class, back): (String, f64) = c
            .query_row(&format!("SELECT typeof({lit}), {lit}"), [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(class, "real", "{lit}");
        assert_eq!(back.to_bits(), v.to_bits(), "{v:?} rendered as {lit}");
    }
    assert_eq!(sqlite_literal(&Value::Double(f64::NAN)), "NULL");
    assert_eq!(sqlite_literal(&Value::Double(-0.0)), "-0.0");
    assert_eq!(sqlite_literal(&Value::Double(1e16)), "10000000000000000.0");
    assert_eq!(
        sqlite_literal(&Value::Double(0.1)),
        "(3602879701896397.0/36028797018963968)"
    );
}
