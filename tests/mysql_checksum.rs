//! Server-side row hashes and checksums against the real server: equal
//! rows checksum equal in any order, any single stored difference (one
//! ulp, letter case, a trailing space, NULL against '', a moved boundary
//! between columns, swapped rows) changes the checksum, ranges and split
//! segments cover exactly their rows, in the row stream's key order —
//! with each row hash the server has (MD5; CRC32 + CRC32C on MariaDB 10.8+).

mod common;

use common::MyDb;
use lockstep::catalog::model::Flavor;
use lockstep::data::segment::{Checksum, KeyRange};
use lockstep::data::table::TableData;
use lockstep::data::value::{key_cmp, Row, Value};
use lockstep::engine::mysql::checksum;
use lockstep::engine::mysql::DATA_SESSION_SETTINGS;
use lockstep::engine::{ConnectOptions, RowHash, SourceDb};
use lockstep::url::DatabaseUrl;
use mysql_async::prelude::Queryable;

fn url_of(db: &MyDb) -> DatabaseUrl {
    DatabaseUrl::parse(&db.url()).unwrap()
}

/// The table's data view as the source introspects it, and the flavor.
async fn table_data(db: &MyDb, name: &str, key: Option<&[String]>) -> (TableData, Flavor) {
    let mut source = SourceDb::open(&url_of(db), &ConnectOptions::default())
        .await
        .unwrap();
    let catalog = source.introspect().await.unwrap();
    let table = TableData::new(catalog.table(name).unwrap(), key).unwrap();
    (table, source.flavor().clone())
}

/// A connection with lockstep's data-session settings (UTC, binary results).
async fn data_conn(db: &MyDb) -> mysql_async::Conn {
    let mut conn = mysql_async::Conn::from_url(db.url()).await.unwrap();
    for sql in DATA_SESSION_SETTINGS
        .iter()
        .chain(&["SET character_set_results = binary"])
    {
        conn.query_drop(*sql).await.unwrap();
    }
    conn
}

struct Probe {
    conn: mysql_async::Conn,
    table: TableData,
    flavor: Flavor,
    hash: RowHash,
}

impl Probe {
    async fn new(db: &MyDb, name: &str, key: Option<&[String]>) -> Probe {
        let (table, flavor) = table_data(db, name, key).await;
        Probe {
            conn: data_conn(db).await,
            table,
            flavor,
            hash: RowHash::Md5,
        }
    }

    /// The row hashes this server has: every test of a hash's checksums
    /// runs with each of them.
    fn hashes(&self) -> Vec<RowHash> {
        checksum::row_hashes(&self.flavor)
    }

    async fn checksum(&mut self, range: Option<&KeyRange>) -> Checksum {
        checksum::checksum(&mut self.conn, &self.flavor, &self.table, range, self.hash)
            .await
            .unwrap()
    }

    async fn split(&mut self, range: Option<&KeyRange>, parts: usize) -> Vec<Vec<Value>> {
        checksum::split_points(&mut self.conn, &self.flavor, &self.table, range, parts)
            .await
            .unwrap()
    }
}

/// Every row of the table as the source streams it.
async fn stream_rows(db: &MyDb, table: &TableData) -> Vec<Row> {
    let mut source = SourceDb::open(&url_of(db), &ConnectOptions::default())
        .await
        .unwrap();
    source.begin_data_reads().await.unwrap();
    common::collect_rows(&mut source, table).await
}

const MATRIX: &str = "CREATE TABLE m (
    id INT NOT NULL PRIMARY KEY,
    i INT NULL, u BIGINT UNSIGNED, f FLOAT, d DOUBLE, dec3 DECIMAL(10,3), bt BIT(12),
    ch CHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci,
    vc VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci,
    vc2 VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci,
    nv VARCHAR(20) NULL, bn VARBINARY(10), bl BLOB, lt LONGTEXT, js JSON,
    en ENUM('a','b','c'), st SET('x','y'), dt DATE, dtm DATETIME(6),
    ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME(6), yr YEAR, g GEOMETRY NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci";

const MATRIX_ROWS: &str = "INSERT INTO m VALUES
(1, 0, 18446744073709551615, 1.0e0, 1.0e0, 1.250, b'000000000001', 'abc', 'x', 'ab',
    NULL, X'0001', X'00FF10', REPEAT('long', 100), '{\"a\": 1}', 'a', 'x',
    '2024-01-01', '2024-01-01 10:00:00.000001', '2024-01-01 10:00:00.000000',
    '01:00:00', 2024, ST_GeomFromText('POINT(1 2)')),
(2, 7, 5, -2.5e0, 3.5e0, -0.001, b'111111111111', 'zz', 'y', 'c',
    'text', X'', X'', '', '[]', 'c', '', '0000-00-00', '0000-00-00 00:00:00',
    NULL, '-838:59:59', 0, NULL)";

/// A fresh database holding the matrix table.
fn matrix_db() -> MyDb {
    let db = MyDb::new("ck_matrix");
    db.exec(&format!("{MATRIX}; {MATRIX_ROWS}"));
    db
}

/// Applies `change` to row 1 of the matrix and asserts the checksum
/// changes, then that undoing it brings the checksum back.
async fn assert_flip_detected(change: &str, undo: &str) {
    let db = matrix_db();
    let mut probe = Probe::new(&db, "m", None).await;
    for hash in probe.hashes() {
        probe.hash = hash;
        let before = probe.checksum(None).await;
        assert_eq!(before.rows, 2);
        db.exec(change);
        let after = probe.checksum(None).await;
        assert_ne!(
            before, after,
            "`{change}` left the {hash:?} checksum unchanged"
        );
        assert_eq!(after.rows, 2);
        db.exec(undo);
        assert_eq!(
            probe.checksum(None).await,
            before,
            "undoing `{change}` ({hash:?})"
        );
    }
}

macro_rules! flip_tests {
    ($($name:ident: $change:expr, $undo:expr;)*) => {$(
        #[tokio::test]
        async fn $name() {
            assert_flip_detected($change, $undo).await;
        }
    )*};
}

flip_tests! {
    flip_int: "UPDATE m SET i = 1 WHERE id = 1", "UPDATE m SET i = 0 WHERE id = 1";
    flip_int_zero_to_null: "UPDATE m SET i = NULL WHERE id = 1", "UPDATE m SET i = 0 WHERE id = 1";
    flip_unsigned_bigint: "UPDATE m SET u = 18446744073709551614 WHERE id = 1",
        "UPDATE m SET u = 18446744073709551615 WHERE id = 1";
    flip_float_one_ulp: "UPDATE m SET f = 1.00000011920928955078125e0 WHERE id = 1",
        "UPDATE m SET f = 1.0e0 WHERE id = 1";
    flip_double_one_ulp: "UPDATE m SET d = 1.0000000000000002e0 WHERE id = 1",
        "UPDATE m SET d = 1.0e0 WHERE id = 1";
    flip_decimal: "UPDATE m SET dec3 = 1.251 WHERE id = 1", "UPDATE m SET dec3 = 1.250 WHERE id = 1";
    flip_bit: "UPDATE m SET bt = b'000000000010' WHERE id = 1",
        "UPDATE m SET bt = b'000000000001' WHERE id = 1";
    flip_char_case_under_ci: "UPDATE m SET ch = 'ABC' WHERE id = 1", "UPDATE m SET ch = 'abc' WHERE id = 1";
    flip_varchar_trailing_space: "UPDATE m SET vc = 'x ' WHERE id = 1", "UPDATE m SET vc = 'x' WHERE id = 1";
    flip_null_to_empty: "UPDATE m SET nv = '' WHERE id = 1", "UPDATE m SET nv = NULL WHERE id = 1";
    flip_null_to_null_text: "UPDATE m SET nv = 'NULL' WHERE id = 1", "UPDATE m SET nv = NULL WHERE id = 1";
    flip_null_to_n: "UPDATE m SET nv = 'N' WHERE id = 1", "UPDATE m SET nv = NULL WHERE id = 1";
    flip_binary_byte: "UPDATE m SET bn = X'0002' WHERE id = 1", "UPDATE m SET bn = X'0001' WHERE id = 1";
    flip_binary_trailing_zero: "UPDATE m SET bn = X'000100' WHERE id = 1", "UPDATE m SET bn = X'0001' WHERE id = 1";
    flip_blob: "UPDATE m SET bl = X'00FF11' WHERE id = 1", "UPDATE m SET bl = X'00FF10' WHERE id = 1";
    flip_longtext_case: "UPDATE m SET lt = CONCAT(REPEAT('long', 99), 'LONG') WHERE id = 1",
        "UPDATE m SET lt = REPEAT('long', 100) WHERE id = 1";
    flip_json: "UPDATE m SET js = '{\"a\": 2}' WHERE id = 1", "UPDATE m SET js = '{\"a\": 1}' WHERE id = 1";
    flip_enum: "UPDATE m SET en = 'b' WHERE id = 1", "UPDATE m SET en = 'a' WHERE id = 1";
    flip_set: "UPDATE m SET st = 'x,y' WHERE id = 1", "UPDATE m SET st = 'x' WHERE id = 1";
    flip_date: "UPDATE m SET dt = '2024-01-02' WHERE id = 1", "UPDATE m SET dt = '2024-01-01' WHERE id = 1";
    flip_datetime_microsecond: "UPDATE m SET dtm = '2024-01-01 10:00:00.000002' WHERE id = 1",
        "UPDATE m SET dtm = '2024-01-01 10:00:00.000001' WHERE id = 1";
    flip_timestamp: "UPDATE m SET ts = '2024-01-01 10:00:00.000001' WHERE id = 1",
        "UPDATE m SET ts = '2024-01-01 10:00:00' WHERE id = 1";
    flip_time_sign: "UPDATE m SET tm = '-01:00:00' WHERE id = 1", "UPDATE m SET tm = '01:00:00' WHERE id = 1";
    flip_year: "UPDATE m SET yr = 2025 WHERE id = 1", "UPDATE m SET yr = 2024 WHERE id = 1";
    flip_geometry: "UPDATE m SET g = ST_GeomFromText('POINT(1 3)') WHERE id = 1",
        "UPDATE m SET g = ST_GeomFromText('POINT(1 2)') WHERE id = 1";
    flip_boundary_between_columns: "UPDATE m SET vc = 'xa', vc2 = 'b' WHERE id = 1",
        "UPDATE m SET vc = 'x', vc2 = 'ab' WHERE id = 1";
    flip_key: "UPDATE m SET id = 3 WHERE id = 1", "UPDATE m SET id = 1 WHERE id = 3";
}

#[tokio::test]
async fn large_objects_beyond_the_inline_size_are_compared_by_their_hash() {
    let db = MyDb::new("ck_large");
    db.exec(
        "CREATE TABLE s (id INT PRIMARY KEY, lt LONGTEXT, lb LONGBLOB);
         INSERT INTO s VALUES (1, CONCAT(REPEAT('a', 70000), 'x'), REPEAT(X'00', 65535))",
    );
    let mut probe = Probe::new(&db, "s", None).await;
    let before = probe.checksum(None).await;
    // One byte in the middle of a hashed value; one byte past the inline size.
    db.exec("UPDATE s SET lt = CONCAT(REPEAT('a', 35000), 'b', REPEAT('a', 34999), 'x')");
    assert_ne!(before, probe.checksum(None).await);
    db.exec("UPDATE s SET lt = CONCAT(REPEAT('a', 70000), 'x')");
    assert_eq!(before, probe.checksum(None).await);
    db.exec("UPDATE s SET lb = REPEAT(X'00', 65536)");
    assert_ne!(before, probe.checksum(None).await);
    db.exec("UPDATE s SET lb = REPEAT(X'00', 65535)");
    assert_eq!(before, probe.checksum(None).await);
}

#[tokio::test]
async fn moving_text_between_columns_changes_the_hash() {
    let db = MyDb::new("ck_shift");
    db.exec(
        "CREATE TABLE s (id INT PRIMARY KEY, a VARCHAR(5), b VARCHAR(5));
         INSERT INTO s VALUES (1, 'ab', 'c')",
    );
    let mut probe = Probe::new(&db, "s", None).await;
    let before = probe.checksum(None).await;
    db.exec("UPDATE s SET a = 'a', b = 'bc'");
    assert_ne!(before, probe.checksum(None).await);
}

#[tokio::test]
async fn rows_swapping_their_values_change_the_checksum() {
    let db = MyDb::new("ck_swap");
    db.exec(
        "CREATE TABLE s (id INT PRIMARY KEY, v VARCHAR(5));
         INSERT INTO s VALUES (1, 'x'), (2, 'y')",
    );
    let mut probe = Probe::new(&db, "s", None).await;
    let before = probe.checksum(None).await;
    db.exec("UPDATE s SET v = IF(id = 1, 'y', 'x')");
    assert_eq!(
        db.query("SELECT v FROM s WHERE id = 1")[0][0].as_deref(),
        Some("y")
    );
    assert_ne!(before, probe.checksum(None).await);
}

#[tokio::test]
async fn keyless_duplicates_are_counted_by_multiplicity() {
    // {A, A, B} and {B, C, C}: an XOR of row hashes would call them equal.
    let one = MyDb::new("ck_dup1");
    let two = MyDb::new("ck_dup2");
    one.exec("CREATE TABLE k (v INT); INSERT INTO k VALUES (1), (1), (2)");
    two.exec("CREATE TABLE k (v INT); INSERT INTO k VALUES (2), (3), (3)");
    let a = Probe::new(&one, "k", None).await.checksum(None).await;
    let b = Probe::new(&two, "k", None).await.checksum(None).await;
    assert_eq!(a.rows, b.rows);
    assert_ne!(a, b);
}

#[tokio::test]
async fn same_rows_in_two_databases_checksum_equal() {
    let one = matrix_db();
    let two = MyDb::new("ck_matrix2");
    // Same rows, inserted in the other order, in a session of another zone.
    two.exec(&format!(
        "{MATRIX}; SET time_zone = '+05:30'; \
         INSERT INTO m SELECT * FROM `{0}`.m WHERE id = 2; \
         INSERT INTO m SELECT * FROM `{0}`.m WHERE id = 1",
        one.name
    ));
    let a = Probe::new(&one, "m", None).await.checksum(None).await;
    let b = Probe::new(&two, "m", None).await.checksum(None).await;
    assert_eq!(a.rows, 2);
    assert_ne!(a.hash, 0);
    assert_eq!(a, b);
}

#[tokio::test]
async fn empty_table_checksums_to_zero() {
    let db = MyDb::new("ck_empty");
    db.exec("CREATE TABLE e (id INT PRIMARY KEY)");
    let mut probe = Probe::new(&db, "e", None).await;
    assert_eq!(probe.checksum(None).await, Checksum::default());
    assert!(probe.split(None, 4).await.is_empty());
}

const INT_ROWS: &str = "CREATE TABLE n (id INT PRIMARY KEY, v VARCHAR(20));
     INSERT INTO n SELECT seq * 3, CONCAT('v', seq) FROM seq_1_to_1000";

#[tokio::test]
async fn range_checksum_equals_a_table_of_only_those_rows() {
    let all = MyDb::new("ck_range_all");
    let part = MyDb::new("ck_range_part");
    all.exec(INT_ROWS);
    part.exec(&format!(
        "CREATE TABLE n (id INT PRIMARY KEY, v VARCHAR(20)); \
         INSERT INTO n SELECT * FROM `{}`.n WHERE id > 300 AND id <= 1500",
        all.name
    ));
    let range = KeyRange {
        after: Some(vec![Value::Int(300)]),
        up_to: Some(vec![Value::Int(1500)]),
    };
    let mut probe = Probe::new(&all, "n", None).await;
    let ranged = probe.checksum(Some(&range)).await;
    let whole = Probe::new(&part, "n", None).await.checksum(None).await;
    assert_eq!(ranged.rows, 400);
    assert_eq!(ranged, whole);
    // Bounds between keys: same rows.
    let loose = KeyRange {
        after: Some(vec![Value::Int(301)]),
        up_to: Some(vec![Value::Int(1502)]),
    };
    assert_eq!(probe.checksum(Some(&loose)).await, whole);
    // Open ends.
    let head = KeyRange {
        after: None,
        up_to: Some(vec![Value::Int(300)]),
    };
    let tail = KeyRange {
        after: Some(vec![Value::Int(300)]),
        up_to: None,
    };
    let total = probe.checksum(None).await;
    assert_eq!(
        probe
            .checksum(Some(&head))
            .await
            .combine(probe.checksum(Some(&tail)).await),
        total
    );
    // A bound wider than the key is refused.
    let wide = KeyRange {
        after: Some(vec![Value::Int(1), Value::Int(2)]),
        up_to: None,
    };
    assert!(checksum::checksum(
        &mut probe.conn,
        &probe.flavor,
        &probe.table,
        Some(&wide),
        probe.hash
    )
    .await
    .is_err());
}

/// Checks split points of `range` into `parts`: strictly increasing, and
/// the segments' checksums add up to the range's, and are the same asked
/// one by one as asked in one statement (each row of the batched answer
/// goes to its own segment). Returns the segment row counts.
async fn assert_segments_cover(
    probe: &mut Probe,
    range: &KeyRange,
    parts: usize,
    expected_points: usize,
) -> Vec<u64> {
    let points = probe.split(Some(range), parts).await;
    assert_eq!(points.len(), expected_points, "{points:?}");
    for pair in points.windows(2) {
        assert_eq!(
            key_cmp(&pair[0], &pair[1]),
            std::cmp::Ordering::Less,
            "{pair:?}"
        );
    }
    let mut bounds: Vec<Option<Vec<Value>>> = vec![range.after.clone()];
    bounds.extend(points.into_iter().map(Some));
    bounds.push(range.up_to.clone());
    let mut total = Checksum::default();
    let mut counts = Vec::new();
    let mut one_by_one = Vec::new();
    let segments: Vec<KeyRange> = bounds
        .windows(2)
        .map(|pair| KeyRange {
            after: pair[0].clone(),
            up_to: pair[1].clone(),
        })
        .collect();
    for segment in &segments {
        let sum = probe.checksum(Some(segment)).await;
        counts.push(sum.rows);
        one_by_one.push(sum);
        total = total.combine(sum);
    }
    assert_eq!(total, probe.checksum(Some(range)).await);
    let batched = checksum::checksums(
        &mut probe.conn,
        &probe.flavor,
        &probe.table,
        &segments,
        probe.hash,
    )
    .await
    .unwrap();
    assert_eq!(batched, one_by_one);
    counts
}

/// A table without a key is cut on all its columns, NULLs first: the
/// segments, checksummed in one statement, add up to the table.
#[tokio::test]
async fn keyless_tables_with_nulls_split_and_checksum_in_one_statement() {
    let db = MyDb::new("ck_split_null");
    db.exec(
        "CREATE TABLE k (a INT NULL, b VARCHAR(10) NULL);
         INSERT INTO k SELECT IF(seq % 4 = 0, NULL, seq % 9), IF(seq % 3 = 0, NULL, CONCAT('b', seq % 5))
             FROM seq_1_to_300;
         INSERT INTO k VALUES (NULL, NULL), (NULL, NULL)",
    );
    let mut probe = Probe::new(&db, "k", None).await;
    for hash in probe.hashes() {
        probe.hash = hash;
        let counts = assert_segments_cover(&mut probe, &KeyRange::all(), 6, 5).await;
        assert_eq!(counts.iter().sum::<u64>(), 302, "{hash:?}");
    }
}

#[tokio::test]
async fn split_points_cut_int_keys_evenly() {
    let db = MyDb::new("ck_split_int");
    db.exec(INT_ROWS);
    let mut probe = Probe::new(&db, "n", None).await;
    let counts = assert_segments_cover(&mut probe, &KeyRange::all(), 4, 3).await;
    assert_eq!(counts, vec![250, 250, 250, 250]);
    let range = KeyRange {
        after: Some(vec![Value::Int(30)]),
        up_to: Some(vec![Value::Int(330)]),
    };
    let counts = assert_segments_cover(&mut probe, &range, 3, 2).await;
    assert_eq!(counts, vec![34, 34, 32]);
    assert_eq!(counts.iter().sum::<u64>(), 100);
    // More parts than rows: one point per row but the last.
    let tiny = KeyRange {
        after: Some(vec![Value::Int(0)]),
        up_to: Some(vec![Value::Int(9)]),
    };
    assert_eq!(
        assert_segments_cover(&mut probe, &tiny, 10, 2).await,
        vec![1, 1, 1]
    );
}

#[tokio::test]
async fn split_points_cut_composite_keys() {
    let db = MyDb::new("ck_split_comp");
    db.exec(
        "CREATE TABLE c (a INT NOT NULL, b VARCHAR(10) COLLATE utf8mb4_general_ci NOT NULL,
             v INT, PRIMARY KEY (a, b));
         INSERT INTO c SELECT seq % 7, ELT(1 + seq % 5, 'a', 'B', 'c ', 'é', 'D'), seq
             FROM seq_1_to_35",
    );
    let mut probe = Probe::new(&db, "c", None).await;
    let counts = assert_segments_cover(&mut probe, &KeyRange::all(), 5, 4).await;
    assert_eq!(counts, vec![7, 7, 7, 7, 7]);
    let range = KeyRange {
        after: Some(vec![Value::Int(1), Value::Text(b"B".to_vec())]),
        up_to: Some(vec![Value::Int(5), Value::Text(b"c ".to_vec())]),
    };
    let counts = assert_segments_cover(&mut probe, &range, 3, 2).await;
    // Byte order B D a 'c ' é (collation order a B 'c ' D é): (1, D..é),
    // a = 2..4, (5, B..'c ').
    assert_eq!(counts.iter().sum::<u64>(), 4 + 15 + 4);
}

#[tokio::test]
async fn split_points_follow_byte_order_of_ci_strings() {
    let db = MyDb::new("ck_split_str");
    db.exec(
        "CREATE TABLE s (s VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
             v INT);
         INSERT INTO s VALUES ('a', 1), ('B', 2), ('b ', 3), ('é', 4), ('b', 5), ('A', 6),
             ('e', 7), ('E', 8)",
    );
    let key = vec!["s".to_string()];
    let mut probe = Probe::new(&db, "s", Some(&key)).await;
    let counts = assert_segments_cover(&mut probe, &KeyRange::all(), 4, 3).await;
    assert_eq!(counts, vec![2, 2, 2, 2]);
    let points = probe.split(None, 4).await;
    // Byte order: A B E a b 'b ' e é.
    assert_eq!(
        points,
        vec![
            vec![Value::Text(b"B".to_vec())],
            vec![Value::Text(b"a".to_vec())],
            vec![Value::Text(b"b ".to_vec())],
        ]
    );
    // 'b' and 'b ' are told apart by a bound.
    let range = KeyRange {
        after: Some(vec![Value::Text(b"b".to_vec())]),
        up_to: Some(vec![Value::Text(b"b ".to_vec())]),
    };
    assert_eq!(probe.checksum(Some(&range)).await.rows, 1);
}

#[tokio::test]
async fn rows_stream_in_key_order_and_ranges_cut_that_order() {
    let db = MyDb::new("ck_stream");
    db.exec(
        "CREATE TABLE s (s VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
             n INT NOT NULL, v BLOB, PRIMARY KEY (s, n));
         INSERT INTO s VALUES ('a', 2, 'x'), ('B', 1, NULL), ('b ', 4, ''), ('é', 0, 'y'),
             ('b', 3, 'z'), ('A', 5, 'w'), ('a', 1, 'v')",
    );
    let mut probe = Probe::new(&db, "s", None).await;
    let rows = stream_rows(&db, &probe.table).await;
    let keys: Vec<Vec<Value>> = rows
        .iter()
        .map(|r| probe.table.key_of(r).into_iter().cloned().collect())
        .collect();
    assert_eq!(keys.len(), 7);
    assert!(
        keys.windows(2)
            .all(|w| key_cmp(&w[0], &w[1]) == std::cmp::Ordering::Less),
        "{keys:?}"
    );
    // A range of the stream: after its second key, up to its fifth.
    let range = KeyRange {
        after: Some(vec![Value::Text(b"B".to_vec()), Value::Int(1)]),
        up_to: Some(vec![Value::Text(b"b".to_vec()), Value::Int(3)]),
    };
    assert_eq!(
        (&keys[1], &keys[4]),
        (range.after.as_ref().unwrap(), range.up_to.as_ref().unwrap())
    );
    assert_eq!(probe.checksum(Some(&range)).await.rows, 3);
}

/// Both row hashes find the same differing segments of a drifted copy:
/// the segments where rows changed, were deleted or added, and no other.
#[tokio::test]
async fn every_row_hash_finds_the_same_differing_segments() {
    let schema = "CREATE TABLE h (id INT PRIMARY KEY, v VARCHAR(20), n DECIMAL(8,2) NULL);
        INSERT INTO h SELECT seq, CONCAT('v', seq), seq / 4 FROM seq_1_to_2000";
    let source = MyDb::new("ck_hash_src");
    source.exec(schema);
    let target = MyDb::new("ck_hash_dst");
    target.exec(schema);
    // Segments of 100 ids: drift in the 2nd, 6th, 11th and 20th.
    target.exec(
        "UPDATE h SET v = 'changed' WHERE id = 150;
         UPDATE h SET n = NULL WHERE id = 555;
         DELETE FROM h WHERE id = 1001;
         INSERT INTO h VALUES (2001, 'extra', 0)",
    );
    let mut one = Probe::new(&source, "h", None).await;
    let mut two = Probe::new(&target, "h", None).await;
    let hashes = one.hashes();
    // A server with CRC32C must checksum with it.
    let has_crc32c = one.conn.query_drop("DO CRC32C('')").await.is_ok();
    assert_eq!(
        hashes.contains(&RowHash::Crc32Pair),
        has_crc32c,
        "{hashes:?}"
    );
    let mut found = Vec::new();
    for hash in &hashes {
        (one.hash, two.hash) = (*hash, *hash);
        let mut differing = Vec::new();
        for segment in 0..20 {
            let range = KeyRange {
                after: (segment > 0).then(|| vec![Value::Int(segment * 100)]),
                up_to: (segment < 19).then(|| vec![Value::Int((segment + 1) * 100)]),
            };
            if one.checksum(Some(&range)).await != two.checksum(Some(&range)).await {
                differing.push(segment);
            }
        }
        found.push((*hash, differing));
    }
    for (hash, differing) in &found {
        assert_eq!(differing, &[1, 5, 10, 19], "{hash:?}");
    }
}

/// The CRC pair encodes each row once and shares the encoding between its
/// two CRCs: each half must still be that row's own CRC (not a constant,
/// not another row's), in the key hash stream and in the checksum alike.
#[tokio::test]
async fn the_crc_pair_shares_one_encoding_per_row() {
    let db = MyDb::new("ck_pair");
    db.exec(
        "CREATE TABLE p (id INT PRIMARY KEY, v VARCHAR(20) NULL, b BLOB NULL);
         INSERT INTO p VALUES (1, 'one', NULL), (2, NULL, x'00ff'), (3, 'three', ''), (7, 'seven', x'07')",
    );
    let mut probe = Probe::new(&db, "p", None).await;
    if !probe.hashes().contains(&RowHash::Crc32Pair) {
        // Only MariaDB 10.8 and later have CRC32C; the MD5 tests cover the rest.
        assert!(probe.conn.query_drop("DO CRC32C('')").await.is_err());
        return;
    }
    let md5 = checksum::row_hash_expr(&probe.table);
    let encoding = md5
        .strip_prefix("MD5(")
        .and_then(|e| e.strip_suffix(')'))
        .expect("MD5 of the encoding");
    let apart: Vec<(i64, u64, u64)> = probe
        .conn
        .exec(
            format!("SELECT id, CRC32({encoding}), CRC32C({encoding}) FROM p ORDER BY id"),
            (),
        )
        .await
        .unwrap();
    let sql = checksum::key_hashes_sql(&probe.flavor, &probe.table, None, RowHash::Crc32Pair);
    let paired: Vec<(i64, u64)> = probe.conn.exec(sql, ()).await.unwrap();
    let expected: Vec<(i64, u64)> = apart
        .iter()
        .map(|&(id, crc32, crc32c)| (id, (crc32 << 32) | crc32c))
        .collect();
    assert_eq!(paired, expected);
    probe.hash = RowHash::Crc32Pair;
    let sums = apart
        .iter()
        .fold((0u64, 0u64), |(a, b), &(_, crc32, crc32c)| {
            (a.wrapping_add(crc32), b.wrapping_add(crc32c))
        });
    assert_eq!(
        probe.checksum(None).await,
        Checksum::from_halves(4, sums.0, sums.1)
    );
}
