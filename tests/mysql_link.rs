//! The link to a MySQL/MariaDB server: the compressed protocol as
//! `compress` says (and as the server sees it), rows copied exactly over
//! compressed sessions, and the diff method chosen by the link measured
//! at connect (round trip and throughput, over a slow proxy too) and
//! named in the report, per run and per table.

mod common;

use common::proxy::Proxy;
use common::MyDb;
use lockstep::data::table::TableData;
use lockstep::data::value::{Row, Value};
use lockstep::engine::mysql::MySqlConnection;
use lockstep::engine::{ConnectOptions, DataSession, EngineConnection, Role};
use lockstep::url::{DatabaseUrl, ServerUrl};

fn server_with(db: &MyDb, compress: Option<&str>) -> ServerUrl {
    let mut server = match DatabaseUrl::parse(&db.url()).unwrap() {
        DatabaseUrl::MySql(s) => s,
        other => panic!("not a MySQL URL: {other}"),
    };
    if let Some(c) = compress {
        server.params.insert("compress".to_string(), c.to_string());
    }
    server
}

#[tokio::test]
async fn compress_decides_the_protocol_and_the_server_agrees() {
    let db = MyDb::new("compress");
    // auto: compressed from a 5 ms round trip on. Loopback answers far
    // quicker, unless the machine is too busy to schedule the probes: the
    // rule is checked against the round trip measured.
    for (setting, expected) in [
        (Some("true"), Some(true)),
        (Some("false"), Some(false)),
        (None, None),
        (Some("auto"), None),
    ] {
        let mut conn = MySqlConnection::open(
            &server_with(&db, setting),
            &ConnectOptions::default(),
            Role::Source,
        )
        .await
        .unwrap();
        let link = conn.link().expect("a server connection has a link");
        let expected = expected.unwrap_or(link.rtt.as_millis() >= 5);
        assert_eq!(
            link.compressed, expected,
            "compress = {setting:?}, {link:?}"
        );
        assert_eq!(
            conn.session_is_compressed().await.unwrap(),
            expected,
            "the server's view, compress = {setting:?}"
        );
        assert!(link.rtt > std::time::Duration::ZERO, "{link:?}");
    }

    let err = MySqlConnection::open(
        &server_with(&db, Some("fast")),
        &ConnectOptions::default(),
        Role::Source,
    )
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("unknown compress `fast`") && err.contains("auto, true or false"),
        "{err}"
    );
}

/// Small rows, 4-byte characters, JSON, and 3 MB values that span many
/// compressed packets.
const ROWS: &str = "
    CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(100), b LONGBLOB, j JSON);
    INSERT INTO t SELECT seq, CONCAT('row ', seq, ' é 😀'), IF(seq % 1000 = 0, REPEAT(MD5(seq), 100000), UNHEX(MD5(seq))), JSON_OBJECT('n', seq) FROM seq_1_to_20000;";

#[test]
fn rows_cross_compressed_sessions_exactly() {
    let source = MyDb::new("zsrc");
    source.exec(ROWS);
    for (algorithm, target) in [
        ("stream", MyDb::new("ztgt_s")),
        ("bisect", MyDb::new("ztgt_b")),
    ] {
        target.exec(ROWS);
        target.exec("UPDATE t SET s = 'changed' WHERE id % 97 = 0; DELETE FROM t WHERE id % 501 = 0; UPDATE t SET b = REPEAT('x', 3000000) WHERE id = 5000");
        let (code, out, report) = common::sync_with_report(
            &format!("{}?compress=true", source.url()),
            &format!("{}?compress=true", target.url()),
            &["--data-only", "--diff-algorithm", algorithm],
        );
        assert_eq!(code, 0, "{algorithm}: {out}");
        assert!(
            report["data"]["diff_method"]
                .as_str()
                .unwrap()
                .starts_with(algorithm),
            "{report}"
        );
        target.assert_same_data(&source);
    }
}

#[test]
fn auto_diff_method_follows_the_measured_round_trip_and_says_why() {
    let source = MyDb::new("dm_src");
    source.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t SELECT seq, seq FROM seq_1_to_100");
    let target = MyDb::new("dm_tgt");
    target.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t SELECT seq, seq FROM seq_1_to_99");
    let (code, out, report) =
        common::sync_with_report(&source.url(), &target.url(), &["--validate-only"]);
    assert_eq!(code, 1, "one row missing: {out}");
    let why = report["data"]["diff_method"].as_str().unwrap();
    assert!(out.contains(&format!("Compared by {why}")), "{out}");
    // Loopback answers within 2 ms unless the machine is too busy to run
    // the probes in time: the method must follow the round trip reported.
    let ms: f64 = why
        .split("answer")
        .nth(1)
        .and_then(|s| s.split(" ms").next())
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no round trip in `{why}`"));
    let method = if ms >= 2.0 { "by cost" } else { "stream" };
    assert!(why.starts_with(&format!("{method} (auto): ")), "{why}");
    let found = report["data"]["tables"][0]["found_by"].as_str().unwrap();
    assert!(
        found.starts_with(method) || method == "by cost" && found.contains("(by cost: "),
        "{found}"
    );

    let (_, _, report) = common::sync_with_report(
        &source.url(),
        &target.url(),
        &["--validate-only", "--diff-algorithm", "bisect"],
    );
    assert_eq!(
        report["data"]["diff_method"],
        "bisect: diff_algorithm = \"bisect\""
    );
}

/// The found_by estimates of a table: (streaming ms, the alternative's ms).
fn estimates(found: &str) -> (u64, u64) {
    let numbers: Vec<u64> = found
        .split("(by cost: about ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap_or_else(|| panic!("no estimates in `{found}`"))
        .split(' ')
        .filter_map(|w| w.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

/// Over a slow link (a proxy holding every chunk 5 ms each way: about
/// 3 MB/s), `auto` measures the round trip and the throughput, then
/// decides per table: a wide table, whose bytes would take long to
/// cross, is compared by row hashes (a key and 8 bytes a row cross), or
/// bisected where it has no key; a tiny one, where the extra round trips
/// cost more than its few bytes, is streamed. Each choice follows its own
/// estimates, and every difference is counted either way.
#[test]
fn auto_chooses_per_table_by_what_the_link_costs() {
    let schema = "
        CREATE TABLE wide (id INT PRIMARY KEY, body TEXT);
        CREATE TABLE wide_bag (id INT, body TEXT);
        CREATE TABLE tiny (id INT PRIMARY KEY, v INT);";
    let rows = "
        INSERT INTO wide SELECT seq, REPEAT(MD5(seq), 60) FROM seq_1_to_5000;
        INSERT INTO wide_bag SELECT id, body FROM wide;
        INSERT INTO tiny SELECT seq, seq FROM seq_1_to_50;
        ANALYZE TABLE wide, wide_bag, tiny;";
    let source = MyDb::new("lc_src");
    source.exec(schema);
    source.exec(rows);
    let target = MyDb::new("lc_tgt");
    target.exec(schema);
    target.exec(rows);
    target.exec(
        "UPDATE wide SET body = 'x' WHERE id IN (10, 2500); UPDATE tiny SET v = 0 WHERE id = 7;
         DELETE FROM wide_bag WHERE id = 77",
    );
    let link = Proxy::slow(std::time::Duration::from_millis(5));
    let (code, out, report) =
        common::sync_with_report(&link.url(&source.name), &target.url(), &["--validate-only"]);
    assert_eq!(code, 1, "four rows differ: {out}");
    let why = report["data"]["diff_method"].as_str().unwrap();
    assert!(why.starts_with("by cost (auto): "), "{why}");
    assert!(why.contains(" Mbit/s"), "{why}");
    for (table, method) in [
        ("wide", "hashes"),
        ("wide_bag", "bisect"),
        ("tiny", "stream"),
    ] {
        let t = report["data"]["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == table)
            .unwrap();
        let found = t["found_by"].as_str().unwrap();
        assert!(found.starts_with(method), "{table}: {found}");
        let (stream, other) = estimates(found);
        assert_eq!(other < stream, method != "stream", "{table}: {found}");
        let changed = match table {
            "wide" => &t["rows_updated"],
            "wide_bag" => &t["rows_inserted"],
            _ => &t["rows_updated"],
        };
        let expected = if table == "wide" { 2 } else { 1 };
        assert_eq!(changed, expected, "{t}");
    }
}

/// Over a link slow to answer but wide (a compressed session, and a
/// throughput at which zlib on the server costs more than it saves on
/// random hashes), the readers of a shared snapshot stream keys and row
/// hashes over uncompressed sessions of their own. Those sessions read the
/// same moment as the rest: a change made after the snapshot opened is
/// seen by none of them.
#[tokio::test]
async fn row_hashes_leave_a_compressed_session_but_not_its_snapshot() {
    let db = MyDb::new("hash_apart");
    db.exec(
        "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(40));
         INSERT INTO t SELECT seq, MD5(seq) FROM seq_1_to_3000",
    );
    let link = Proxy::slow_wide(std::time::Duration::from_millis(4));
    let DatabaseUrl::MySql(server) = DatabaseUrl::parse(&link.url(&db.name)).unwrap() else {
        panic!("a MySQL URL")
    };
    let options = ConnectOptions::default();
    let mut first = MySqlConnection::open(&server, &options, Role::Source)
        .await
        .unwrap();
    let measured = first.link().unwrap();
    assert!(
        measured.compressed && !measured.hashes_compressed,
        "a wide link with 8 ms round trips: {measured:?}"
    );
    let catalog = first.introspect().await.unwrap();
    let table = TableData::new(catalog.table("t").unwrap(), None).unwrap();
    let shared = first.share_snapshot(1).await.unwrap();
    assert_eq!(shared.note, None);
    let mut readers = shared.more;
    db.exec("UPDATE t SET v = 'later' WHERE id <= 10; DELETE FROM t WHERE id = 500");

    let mut now = MySqlConnection::open(&server, &options, Role::Source)
        .await
        .unwrap();
    now.begin_data_session(DataSession::SourceSnapshot)
        .await
        .unwrap();
    let later = key_hashes(&mut now, &table).await;
    now.end_data_session().await.unwrap();
    assert_eq!(later.len(), 2999);
    for reader in std::iter::once(&mut first).chain(&mut readers) {
        assert!(reader.hashes_apart());
        let hashes = key_hashes(reader, &table).await;
        assert_eq!(
            hashes.len(),
            3000,
            "the deleted row is still in the snapshot"
        );
        let differing: Vec<&Value> = hashes
            .iter()
            .filter(|row| !later.contains(row))
            .map(|row| &row[0])
            .collect();
        let expected: Vec<Value> = (1..=10).chain([500]).map(Value::Int).collect();
        assert_eq!(differing, expected.iter().collect::<Vec<_>>());
        reader.end_data_session().await.unwrap();
    }
}

/// Every key of `table` with its row hash, streamed by `conn`.
async fn key_hashes(conn: &mut MySqlConnection, table: &TableData) -> Vec<Row> {
    common::gather_rows(|tx| async move { conn.stream_key_hashes(table, None, &tx).await.unwrap() })
        .await
}
