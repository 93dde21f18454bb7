//! What only the MySQL/MariaDB row engine does, against the real server:
//! every MySQL type read and written exactly (compared by the server
//! itself, a join across the two databases, by value and by bytes), ENUM
//! keys in byte order, configured keys matched by bytes whatever the
//! collation, values the server would change refused. What every engine
//! does is in `engine_contract.rs`.

mod common;
mod contract;

use std::cmp::Ordering;

use common::{assert_rows_exact, MyDb};
use contract::{read_source, table_data, whole_row, Fixture, Target, WriteErrorKind, WriteOp};
use lockstep::data::table::{KeySource, TableData};
use lockstep::data::value::{key_cmp, Row, Value};

/// Column by column, how many rows differ between `source.table` and
/// `target.table` (joined on `id`), by the server's own exact comparisons:
/// by value (`<=>`, FLOAT against FLOAT) and by bytes (`CAST AS BINARY`).
fn server_mismatches(source: &MyDb, target: &MyDb, table: &TableData) -> Vec<(String, String)> {
    let sums: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            format!(
                "SUM(NOT (s.`{0}` <=> t.`{0}`) OR NOT (CAST(s.`{0}` AS BINARY) <=> CAST(t.`{0}` AS BINARY)))",
                c.name
            )
        })
        .collect();
    let sql = format!(
        "SELECT COUNT(*), {0} FROM `{1}`.`{2}` s JOIN `{3}`.`{2}` t ON s.id = t.id",
        sums.join(", "),
        source.name,
        table.name,
        target.name,
    );
    let row = &source.query(&sql)[0];
    let mut out = Vec::new();
    for (i, c) in table.columns.iter().enumerate() {
        let n = row[i + 1].clone().unwrap_or_default();
        if n != "0" {
            out.push((c.name.clone(), n));
        }
    }
    out
}

const MATRIX: &str = "CREATE TABLE matrix (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED,
    mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
    bi BIGINT, biu BIGINT UNSIGNED,
    f FLOAT, d DOUBLE, dec65 DECIMAL(65,30), b1 BIT(1), b64 BIT(64),
    c CHAR(10) CHARACTER SET utf8mb4, vc VARCHAR(50) CHARACTER SET utf8mb4,
    tx TEXT CHARACTER SET utf8mb4, lat VARCHAR(300) CHARACTER SET latin1,
    bin BINARY(4), vb VARBINARY(300), bl BLOB,
    dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME(6), yr YEAR,
    en ENUM('a','b','é'), st SET('x','y','z'), js JSON,
    pt POINT, geo GEOMETRY,
    gen INT AS (id * 2) VIRTUAL
)";

/// Rows with edge values in every column; inserted in a +05:30 session so
/// TIMESTAMPs only match if they travel as UTC.
const MATRIX_ROWS: &str = "
SET time_zone = '+05:30';
SET sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION,ALLOW_INVALID_DATES';
INSERT INTO matrix (id, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, f, d, dec65, b1, b64,
    c, vc, tx, lat, bin, vb, bl, dt, dtm, ts, tm, yr, en, st, js, pt, geo) VALUES
(0, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
    1234567, 0.1e0, -99999999999999999999999999999999999.999999999999999999999999999999,
    b'0', 0, 'a  ', 'emoji 😀 ''\"\\\\ end  ', CONCAT('nul', CHAR(0), 'x', CHAR(0)),
    UNHEX('808182A0C0D0E0FF'), X'01020000', UNHEX(@all), UNHEX(REVERSE(@all)),
    '0000-00-00', '0000-00-00 00:00:00', '1970-01-01 05:30:01', '-838:59:59', 0,
    'a', '', '{\"k\": \"ünï €\", \"n\": [1, 2.5, null]}',
    ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))')),
(2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
    9223372036854775807, 18446744073709551615,
    3.4028235e38, 1e308, 99999999999999999999999999999999999.999999999999999999999999999999,
    b'1', b'1111111111111111111111111111111111111111111111111111111111111111',
    'ü', '', '', '', X'00000000', X'', X'',
    '2020-00-15', '9999-12-31 23:59:59.999999', '2038-01-19 08:44:07.999999',
    '838:59:59.000000', 2155, 'é', 'x,z', '[]',
    ST_GeomFromText('POINT(-1.5 1e300)'), ST_GeomFromText('GEOMETRYCOLLECTION(POINT(0 0))')),
(3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.1, 5e-324,
    0.000000000000000000000000000001, b'1', b'1000000000000000000000000000000000000000000000000000000000000001',
    '\\'\"', 'tab\there', 'line\nbreak', 'caf\\xE9', X'FFFFFFFF', X'00', X'00',
    '2020-02-31', '2020-00-00 12:00:00.5', '2000-02-29 00:00:00.000001', '-00:00:01.5', 1901,
    'b', 'x,y,z', '\"\"', NULL, NULL),
(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -0e0, -0e0, -0.5,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL),
(5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1.17549435e-38,
    -1.7976931348623157e308, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
(6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1e-45, 2.2250738585072014e-308,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL),
(7, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)";

/// Hex of the bytes 0x00..=0xFF.
fn all_bytes_hex() -> String {
    (0..=255u8).map(|b| format!("{b:02X}")).collect()
}

fn matrix_pair() -> (MyDb, MyDb) {
    let source = MyDb::new("rows_src");
    let target = MyDb::new("rows_tgt");
    source.exec(MATRIX);
    target.exec(MATRIX);
    // REVERSE() of the hex text reverses nibbles too: still every byte.
    source.exec(&format!("SET @all = '{}'; {MATRIX_ROWS}", all_bytes_hex()));
    (source, target)
}

fn col(table: &TableData, row: &Row, name: &str) -> Value {
    let i = table.columns.iter().position(|c| c.name == name).unwrap();
    row[i].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn type_matrix_round_trips_exactly() {
    let (source, target) = matrix_pair();
    let table = table_data(&source.url(), "matrix", None).await;
    assert!(
        table.columns.iter().all(|c| c.name != "gen"),
        "generated columns are not data"
    );
    let rows = read_source(&source.url(), &table).await;
    assert_eq!(rows.len(), 7);

    // What the reader must produce.
    let r0 = &rows[0];
    let r2 = &rows[1];
    assert_eq!(col(&table, r0, "id"), Value::Int(0));
    assert_eq!(col(&table, r2, "biu"), Value::UInt(u64::MAX));
    assert_eq!(col(&table, r0, "bi"), Value::Int(i64::MIN));
    assert_eq!(col(&table, r2, "tiu"), Value::UInt(255));
    assert_eq!(col(&table, r0, "f"), Value::Float(1234567.0));
    assert_eq!(col(&table, r2, "f"), Value::Float(f32::MAX));
    assert_eq!(col(&table, r0, "d"), Value::Double(0.1));
    assert_eq!(col(&table, &rows[2], "d"), Value::Double(5e-324));
    assert_eq!(col(&table, &rows[5], "f"), Value::Float(1e-45));
    assert_eq!(
        col(&table, r0, "dec65"),
        Value::Decimal(
            "-99999999999999999999999999999999999.999999999999999999999999999999".into()
        )
    );
    assert_eq!(col(&table, r2, "b64"), Value::Bytes(vec![0xFF; 8]));
    assert_eq!(
        col(&table, r0, "c"),
        Value::Text(b"a".to_vec()),
        "CHAR strips"
    );
    assert_eq!(
        col(&table, r0, "vc"),
        Value::Text("emoji 😀 '\"\\ end  ".as_bytes().to_vec()),
        "VARCHAR keeps trailing spaces"
    );
    assert_eq!(col(&table, r0, "tx"), Value::Text(b"nul\0x\0".to_vec()));
    assert_eq!(
        col(&table, r0, "lat"),
        Value::Text(vec![0x80, 0x81, 0x82, 0xA0, 0xC0, 0xD0, 0xE0, 0xFF]),
        "latin1 stays latin1 bytes"
    );
    assert_eq!(col(&table, r0, "bin"), Value::Bytes(vec![1, 2, 0, 0]));
    let all: Vec<u8> = (0..=255).collect();
    assert_eq!(col(&table, r0, "vb"), Value::Bytes(all));
    let zero = Value::DateTime {
        year: 0,
        month: 0,
        day: 0,
        hour: 0,
        minute: 0,
        second: 0,
        micros: 0,
    };
    assert_eq!(col(&table, r0, "dt"), zero);
    assert_eq!(
        col(&table, r0, "ts"),
        Value::DateTime {
            year: 1970,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 1,
            micros: 0
        },
        "TIMESTAMPs travel as UTC"
    );
    assert_eq!(
        col(&table, r0, "tm"),
        Value::Time {
            negative: true,
            days: 34,
            hours: 22,
            minutes: 59,
            seconds: 59,
            micros: 0
        }
    );
    assert_eq!(col(&table, r0, "yr"), Value::Int(0));
    assert_eq!(col(&table, r2, "en"), Value::Text("é".as_bytes().to_vec()));
    assert!(rows[6][1..].iter().all(|v| *v == Value::Null));

    // Written in statements of at most 700 bytes: only a row alone may be
    // longer.
    let (mut tgt, mut reader) = Target::open(&target.url()).await;
    let max = 700;
    let statements = tgt.render(&table, WriteOp::Insert(&rows), max);
    assert!(statements.len() >= 4, "{}", statements.len());
    for s in &statements {
        assert!(s.len() <= max || s.matches("), (").count() == 0, "{s}");
    }
    tgt.execute(&statements).await.unwrap();

    assert_eq!(target.count("matrix"), 7);
    assert_eq!(server_mismatches(&source, &target, &table), Vec::new());
    assert_rows_exact(&reader.rows(&table).await, &rows);
    // The generated column was computed by the target.
    assert_eq!(
        target.query("SELECT gen FROM matrix WHERE id = 3")[0][0].as_deref(),
        Some("6")
    );

    // Without a key, each row is found by all its values, exactly.
    let statements = tgt.render(&whole_row(&table), WriteOp::Delete(&rows), 1 << 20);
    assert_eq!(statements.len(), rows.len());
    for (statement, row) in statements.iter().zip(&rows) {
        let before = target.count("matrix");
        tgt.execute(std::slice::from_ref(statement)).await.unwrap();
        assert_eq!(target.count("matrix"), before - 1, "{row:?}\n{statement}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn type_matrix_updates_change_every_column() {
    let (source, target) = matrix_pair();
    let table = table_data(&source.url(), "matrix", None).await;
    let rows = read_source(&source.url(), &table).await;
    // The target starts with every row's values shifted to the next id.
    let shifted: Vec<Row> = (0..rows.len())
        .map(|k| {
            let mut row = rows[(k + 1) % rows.len()].clone();
            row[0] = rows[k][0].clone();
            row
        })
        .collect();
    let (mut tgt, mut reader) = Target::open(&target.url()).await;
    tgt.write(&table, WriteOp::Insert(&shifted)).await;
    let before = server_mismatches(&source, &target, &table);
    assert_eq!(before.len(), table.columns.len() - 1, "{before:?}");

    assert_eq!(table.key_source, KeySource::PrimaryKey);
    tgt.write(&table, WriteOp::Update(&rows)).await;
    assert_eq!(server_mismatches(&source, &target, &table), Vec::new());
    assert_rows_exact(&reader.rows(&table).await, &rows);
}

#[tokio::test(flavor = "multi_thread")]
async fn enum_keys_stream_by_the_bytes_of_their_labels() {
    let source = MyDb::new("rows_order");
    // The server orders ENUMs by member number ('z' first).
    source.exec(
        "CREATE TABLE pairs (e ENUM('z','a') NOT NULL, k INT NOT NULL, v INT, PRIMARY KEY (e, k));
         INSERT INTO pairs VALUES ('z', 2, 1), ('a', 9, 2), ('z', 1, 3), ('a', -1, 4);",
    );
    let pairs = table_data(&source.url(), "pairs", None).await;
    assert_eq!(pairs.key.len(), 2);
    let rows = read_source(&source.url(), &pairs).await;
    for w in rows.windows(2) {
        assert_eq!(
            key_cmp(
                &pairs.key_of(&w[0]).into_iter().cloned().collect::<Vec<_>>(),
                &pairs.key_of(&w[1]).into_iter().cloned().collect::<Vec<_>>()
            ),
            Ordering::Less,
            "{w:?}"
        );
    }
    let vs: Vec<Value> = rows.iter().map(|r| r[2].clone()).collect();
    assert_eq!(
        vs,
        vec![Value::Int(4), Value::Int(2), Value::Int(3), Value::Int(1)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn configured_keys_match_bytes_not_collation() {
    let db = MyDb::new("rows_upd");
    db.exec(
        "CREATE TABLE c (k VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, v INT);
         INSERT INTO c VALUES ('a', 1), ('A', 2), (NULL, 3);",
    );
    let c = table_data(&db.url(), "c", Some(&["k"])).await;
    let mut rows = read_source(&db.url(), &c).await;
    for row in &mut rows {
        row[1] = match row[1] {
            Value::Int(v) => Value::Int(v * 10),
            _ => Value::Null,
        };
    }
    let (mut tgt, _reader) = Target::open(&db.url()).await;
    tgt.write(&c, WriteOp::Update(&rows)).await;
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        db.query("SELECT HEX(k), v FROM c ORDER BY HEX(k)"),
        vec![
            vec![None, s("30")],
            vec![s("41"), s("20")],
            vec![s("61"), s("10")]
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn values_the_server_would_change_are_refused() {
    let source = MyDb::new("rows_chg_src");
    let target = MyDb::new("rows_chg_tgt");
    source.exec(
        "CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(10), d DATETIME, e ENUM('a','b'));
         SET sql_mode = '';
         INSERT INTO t VALUES (1, 'too long!!', '2020-01-01 10:00:00', 'a'), (2, NULL, NULL, 'zz');",
    );
    // A narrower target: each value would be cut or changed.
    target.exec("CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(3), d DATE, e ENUM('a','b'))");
    let table = table_data(&source.url(), "t", None).await;
    let rows = read_source(&source.url(), &table).await;
    // The ENUM's error value (stored by a non-strict insert) reads as ''.
    assert_eq!(rows[1][3], Value::Text(Vec::new()));
    let (mut tgt, _reader) = Target::open(&target.url()).await;
    let max = tgt.max_statement_bytes();
    let mut text_cut = rows[0].clone();
    text_cut[2] = Value::Null;
    let mut time_cut = rows[0].clone();
    time_cut[1] = Value::Null;
    // Strict mode refuses the cut text and the ENUM value; the DATE's
    // lost time of day is only a note, which the writer refuses itself.
    for (bad, expected) in [
        (text_cut, "ERROR 1406"),
        (time_cut, "Note 1265"),
        (rows[1].clone(), "ERROR 1265"),
    ] {
        let statements = tgt.render(&table, WriteOp::Insert(std::slice::from_ref(&bad)), max);
        let err = tgt.execute(&statements).await.unwrap_err();
        assert_eq!(err.kind, WriteErrorKind::Other, "{bad:?}: {}", err.message);
        assert!(err.message.contains(expected), "{}", err.message);
        assert_eq!(target.count("t"), 0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn text_types_the_engine_does_not_model_round_trip() {
    let source = MyDb::new("rows_odd_src");
    let target = MyDb::new("rows_odd_tgt");
    let ddl = "CREATE TABLE odd (id INT PRIMARY KEY, u UUID, ip INET6)";
    source.exec(ddl);
    target.exec(ddl);
    source.exec(
        "INSERT INTO odd VALUES (1, '123e4567-e89b-12d3-a456-426614174000', '::1'),
             (2, '00000000-0000-0000-0000-000000000001', '2001:db8:85a3::8a2e:370:7334'),
             (3, NULL, '::ffff:1.2.3.4')",
    );
    let table = table_data(&source.url(), "odd", None).await;
    let rows = read_source(&source.url(), &table).await;
    let (mut tgt, mut reader) = Target::open(&target.url()).await;
    tgt.write(&table, WriteOp::Insert(&rows)).await;
    assert_eq!(server_mismatches(&source, &target, &table), Vec::new());
    assert_rows_exact(&reader.rows(&table).await, &rows);
    // Keyless deletes find such values too.
    tgt.write(&whole_row(&table), WriteOp::Delete(&rows[..2]))
        .await;
    assert_eq!(target.count("odd"), 1);
}
