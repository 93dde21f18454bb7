//! Finding differences on the servers, on MariaDB through the binary:
//! checksum bisection and row hashes by key, for every key kind
//! (integer, sparse integer, composite, string in a case-insensitive
//! collation, UUID) and for sparse and dense drift: the target must end
//! identical to the source, exactly as with the streaming merge.

mod common;

use common::MyDb;

fn sync(source: &MyDb, target: &MyDb, algorithm: &str) -> (i32, String, serde_json::Value) {
    common::sync_with_report(
        &source.url(),
        &target.url(),
        &["--data-only", "--diff-algorithm", algorithm],
    )
}

/// 20,000 rows per table: enough for two levels of splitting.
const SCHEMA: &str = "
    CREATE TABLE by_int (id INT PRIMARY KEY, v VARCHAR(20), f FLOAT);
    CREATE TABLE by_sparse (id BIGINT PRIMARY KEY, v VARCHAR(20));
    CREATE TABLE by_pair (a INT, b VARCHAR(10), v INT, PRIMARY KEY (a, b));
    CREATE TABLE by_text (k VARCHAR(40) COLLATE utf8mb4_general_ci PRIMARY KEY, v INT);
    CREATE TABLE by_uuid (u CHAR(36) PRIMARY KEY, v INT);";

const ROWS: &str = "
    INSERT INTO by_int SELECT seq, CONCAT('v', seq), seq / 3 FROM seq_1_to_20000;
    INSERT INTO by_sparse SELECT seq * seq * 7919, CONCAT('s', seq) FROM seq_1_to_20000;
    INSERT INTO by_pair SELECT seq % 50, CONCAT(IF(seq % 2, 'x', 'X'), seq), seq FROM seq_1_to_20000;
    INSERT INTO by_text SELECT CONCAT(IF(seq % 3 = 0, 'K', 'k'), IF(seq % 7 = 0, 'é', ''), LPAD(seq, 6, '0')), seq FROM seq_1_to_20000;
    INSERT INTO by_uuid SELECT MD5(seq), seq FROM seq_1_to_20000;";

const SPARSE_DRIFT: &str = "
    UPDATE by_int SET v = 'changed' WHERE id IN (17, 9000, 19999);
    DELETE FROM by_int WHERE id = 12345;
    INSERT INTO by_int VALUES (30000, 'extra', 1);
    UPDATE by_sparse SET v = 'changed' WHERE id = 5000 * 5000 * 7919;
    DELETE FROM by_pair WHERE a = 7 AND b = 'x507';
    UPDATE by_text SET v = -1 WHERE k = 'k000100';
    UPDATE by_uuid SET v = -1 WHERE u = MD5(4242);
    INSERT INTO by_uuid VALUES ('00000000-0000-0000-0000-000000000000', 0);";

const DENSE_DRIFT: &str = "
    UPDATE by_int SET v = 'changed' WHERE id % 40 = 0;
    DELETE FROM by_int WHERE id % 97 = 0;
    UPDATE by_sparse SET v = 'changed' WHERE id % 13 = 0;
    UPDATE by_pair SET v = -v WHERE v % 30 = 0;
    UPDATE by_text SET v = -1 WHERE v % 25 = 0;
    DELETE FROM by_uuid WHERE v % 33 = 0;";

#[test]
fn bisection_finds_every_difference_for_every_key_kind() {
    finds_every_difference("bisect", 20_000);
}

#[test]
fn row_hashes_find_every_difference_for_every_key_kind() {
    // A sparse drift reads only its few rows, by key.
    finds_every_difference("hashes", 20);
}

/// Syncs sparse and dense drift with `algorithm` (which every table is
/// found by); a sparse drift must read fewer than `sparse_reads` rows a
/// table.
fn finds_every_difference(algorithm: &str, sparse_reads: u64) {
    let source = MyDb::new("bis_src");
    source.exec(SCHEMA);
    source.exec(ROWS);
    for (name, drift) in [("sparse", SPARSE_DRIFT), ("dense", DENSE_DRIFT)] {
        let target = MyDb::new("bis_tgt");
        target.exec(SCHEMA);
        target.exec(ROWS);
        target.exec(drift);
        let (code, out, report) = sync(&source, &target, algorithm);
        assert_eq!(code, 0, "{name}: {out}");
        source.assert_same_data(&target);
        for table in ["by_int", "by_sparse", "by_pair", "by_text", "by_uuid"] {
            let (found, read) = common::rows_read(&report, table);
            assert!(found.starts_with(algorithm), "{name} {table}: {found}");
            if name == "sparse" {
                assert!(read < sparse_reads, "{name} {table}: {found}");
            }
        }
        let (code, out, _) = sync(&source, &target, "stream");
        assert_eq!(
            code, 0,
            "{name}: the streaming merge finds nothing left: {out}"
        );
        assert!(
            out.contains("Records inserted: 0") && out.contains("Records updated: 0"),
            "{name}: {out}"
        );
    }
}

/// Differences on both sides of borders between the ranges a level
/// checksums in one statement (100,000 rows in leaves of 5,000: borders
/// after ids 5000, 10000, ...; at the first level the leaves pair up, so
/// the border after 20000 is split only at the second), at the first and
/// last key, and in a table without a key whose rows (the whole row is
/// the key) hold NULLs and duplicates: every one is found, little else is
/// read, and the target ends identical.
#[test]
fn batched_levels_find_differences_at_range_borders_and_null_keys() {
    let schema = "
        CREATE TABLE by_int (id INT PRIMARY KEY, v VARCHAR(20));
        CREATE TABLE no_key (a INT NULL, b VARCHAR(10) NULL, v INT);";
    let rows = "
        INSERT INTO by_int SELECT seq, CONCAT('v', seq) FROM seq_1_to_100000;
        INSERT INTO no_key SELECT IF(seq % 5 = 0, NULL, seq % 700), IF(seq % 3 = 0, NULL, CONCAT('b', seq % 11)), seq % 4 FROM seq_1_to_20000;
        ANALYZE TABLE by_int, no_key;";
    let source = MyDb::new("bisb_src");
    source.exec(schema);
    source.exec(rows);
    let target = MyDb::new("bisb_tgt");
    target.exec(schema);
    target.exec(rows);
    target.exec(
        "UPDATE by_int SET v = 'border' WHERE id IN (1, 5000, 5001, 20000, 20001, 100000);
         DELETE FROM by_int WHERE id = 7500;
         INSERT INTO by_int VALUES (100001, 'past the end');
         DELETE FROM no_key WHERE a IS NULL AND b IS NULL AND v = 0 LIMIT 1;
         INSERT INTO no_key VALUES (NULL, NULL, 3), (NULL, NULL, 3), (699, NULL, 1);
         UPDATE no_key SET v = 9 WHERE a = 350 AND b IS NULL;",
    );
    let (code, out, report) = sync(&source, &target, "bisect");
    assert_eq!(code, 0, "{out}");
    source.assert_same_data(&target);
    for table in ["by_int", "no_key"] {
        let (found, _) = common::rows_read(&report, table);
        assert!(found.starts_with("bisect"), "{table}: {found}");
    }
    // Five leaves of 5,000 rows differ (four of them in pairs side by
    // side): about 50,000 of both sides' 200,000 rows are read.
    let (found, read) = common::rows_read(&report, "by_int");
    assert!(read < 65_000, "{found}");
    let (code, out, _) = sync(&source, &target, "stream");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Records inserted: 0")
            && out.contains("Records updated: 0")
            && out.contains("Records deleted: 0"),
        "the streaming merge finds nothing left: {out}"
    );
}

/// Row hashes on a table of more rows than one part holds (250,000) hash
/// it in parts cut by split points, finding differences at both ends and
/// around the cut; a part where most keys differ is streamed whole
/// instead of read key by key; either way the target ends identical.
#[test]
fn row_hashes_go_by_parts_and_stream_a_part_that_mostly_differs() {
    let schema = "
        CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(20));
        CREATE TABLE churned (id INT PRIMARY KEY, v INT);";
    let rows = "
        INSERT INTO big SELECT seq, CONCAT('v', seq) FROM seq_1_to_300000;
        INSERT INTO churned SELECT seq, seq FROM seq_1_to_2000;
        ANALYZE TABLE big, churned;";
    let source = MyDb::new("hparts_src");
    source.exec(schema);
    source.exec(rows);
    let target = MyDb::new("hparts_tgt");
    target.exec(schema);
    target.exec(rows);
    target.exec(
        "UPDATE big SET v = 'edge' WHERE id IN (1, 149999, 150000, 150001, 300000);
         DELETE FROM big WHERE id = 77777;
         INSERT INTO big VALUES (300001, 'past the end'), (0, 'before the start');
         UPDATE churned SET v = -v WHERE id % 3 <> 0;",
    );
    let (code, out, report) = sync(&source, &target, "hashes");
    assert_eq!(code, 0, "{out}");
    source.assert_same_data(&target);
    let (found, read) = common::rows_read(&report, "big");
    assert!(found.contains(" in 2 parts"), "{found}");
    assert!(read < 20, "only the 8 differing keys are read: {found}");
    let big = report["data"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "big")
        .unwrap();
    assert_eq!(
        (
            &big["rows_inserted"],
            &big["rows_updated"],
            &big["rows_deleted"]
        ),
        (&1.into(), &5.into(), &2.into()),
        "{big}"
    );
    // Two thirds of `churned` differ: both sides are read whole.
    let (found, read) = common::rows_read(&report, "churned");
    assert!(found.starts_with("hashes"), "{found}");
    assert_eq!(read, 4000, "{found}");
    let (code, out, _) = sync(&source, &target, "stream");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Records inserted: 0")
            && out.contains("Records updated: 0")
            && out.contains("Records deleted: 0"),
        "the streaming merge finds nothing left: {out}"
    );
}
