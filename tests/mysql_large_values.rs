//! Values up to the server's own limits, through the binary into a target
//! that is not empty (so rows go as statements, not as a bulk load): a
//! LONGTEXT and a LONGBLOB of about 9 MB inserted and updated byte for
//! byte, also by a replayed `--sql-out` script, and a row bigger than
//! the target's `max_allowed_packet` refused with an error that says what
//! to do, while the other rows still sync.

mod common;

use common::MyDb;

const SCHEMA: &str = "CREATE TABLE big (id INT PRIMARY KEY, t LONGTEXT, b LONGBLOB)";

/// The server's `max_allowed_packet` (source and target share the server).
fn max_allowed_packet(db: &MyDb) -> usize {
    db.query("SELECT @@max_allowed_packet")[0][0]
        .as_deref()
        .unwrap()
        .parse()
        .unwrap()
}

/// Up to `n` bytes of text with quotes, a backslash, NUL and 2- to 4-byte
/// characters (17 bytes a round).
fn text_of(n: usize) -> String {
    format!(
        "REPEAT(CONCAT('a''b\\\\c\"', CHAR(0), 'é€😀 '), {})",
        n / 17
    )
}

/// `n` bytes cycling through every byte value.
fn bytes_of(n: usize) -> String {
    let all: String = (0..=255u8).map(|b| format!("{b:02X}")).collect();
    format!("LEFT(REPEAT(X'{all}', {}), {n})", n / 256 + 1)
}

/// Asserts that both tables hold the same ids with the same bytes, as the
/// server compares them (reading 9 MB values into the test would be slow).
fn assert_same_bytes(source: &MyDb, target: &MyDb) {
    let differing = format!(
        "SELECT COUNT(*) FROM `{s}`.big x LEFT JOIN `{t}`.big y ON x.id = y.id
         WHERE y.id IS NULL OR NOT (CAST(x.t AS BINARY) <=> CAST(y.t AS BINARY) AND x.b <=> y.b)",
        s = source.name,
        t = target.name
    );
    assert_eq!(source.query(&differing)[0][0].as_deref(), Some("0"));
    let count = "SELECT COUNT(*) FROM big";
    assert_eq!(source.query(count), target.query(count));
}

#[test]
fn values_of_9_mb_insert_and_update_into_a_non_empty_table() {
    const SIZE: usize = 9_000_000;
    let source = MyDb::new("bigval_src");
    let target = MyDb::new("bigval_tgt");
    assert!(
        max_allowed_packet(&source) > SIZE + (1 << 20),
        "the test needs a max_allowed_packet above 10 MB"
    );
    for db in [&source, &target] {
        db.exec(SCHEMA);
        db.exec("INSERT INTO big VALUES (1, 'small', X'00'), (2, 'old', X'01')");
    }
    source.exec(&format!(
        "UPDATE big SET t = {} WHERE id = 2;
         INSERT INTO big VALUES (3, 'blob', {}), (4, {}, NULL)",
        text_of(SIZE),
        bytes_of(SIZE),
        text_of(SIZE - 5),
    ));
    // Row 2 is updated, rows 3 and 4 inserted.
    let out = common::lockstep_sync("--data-only", &source.url(), &target.url());
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Verification: all"), "{text}");
    let lengths = "SELECT LENGTH(t), LENGTH(b) FROM big ORDER BY id";
    let lengths = target.query(lengths);
    assert_eq!(lengths[1][0].as_deref(), Some("8999987"), "{lengths:?}");
    assert_eq!(lengths[2][1].as_deref(), Some("9000000"), "{lengths:?}");
    assert_same_bytes(&source, &target);

    // Every big value changes: updates only.
    source.exec(
        "UPDATE big SET t = REVERSE(t) WHERE id IN (2, 4); UPDATE big SET b = REVERSE(b) WHERE id = 3",
    );
    let out = common::lockstep_sync("--data-only", &source.url(), &target.url());
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Records updated: 3"), "{text}");
    assert_same_bytes(&source, &target);
}

/// A dry run's plan.sql holds the same 9 MB values (inserted and
/// updated), replayable by the `mariadb` client at its default 16 MiB
/// `max_allowed_packet` (as one hex literal each would be 18 MB).
#[test]
fn a_plan_script_with_9_mb_values_replays_through_the_client() {
    const SIZE: usize = 9_000_000;
    let source = MyDb::new("bigscr_src");
    let target = MyDb::new("bigscr_tgt");
    for db in [&source, &target] {
        db.exec(SCHEMA);
        db.exec("INSERT INTO big VALUES (1, 'small', X'00'), (2, 'old', X'01')");
    }
    source.exec(&format!(
        "UPDATE big SET t = {} WHERE id = 2;
         INSERT INTO big VALUES (3, 'blob', {}), (4, {}, {})",
        text_of(SIZE),
        bytes_of(SIZE),
        text_of(SIZE - 5),
        bytes_of(SIZE / 3),
    ));
    let plan = std::env::temp_dir().join(format!("{}.sql", target.name));
    let (code, out, report) = common::sync_with_report(
        &source.url(),
        &target.url(),
        &["--dry-run", "--sql-out", plan.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{out}");
    assert_eq!(report["data"]["rows_inserted"], 2, "{out}");
    assert_eq!(report["data"]["rows_updated"], 1, "{out}");
    let longest = std::fs::read_to_string(&plan)
        .unwrap()
        .lines()
        .map(str::len)
        .max();
    target.load_file(&plan);
    let _ = std::fs::remove_file(&plan);
    assert!(longest < Some(4 << 20), "a line of {longest:?} bytes");
    assert_same_bytes(&source, &target);
}

#[test]
fn a_row_bigger_than_the_targets_packet_is_refused_by_name_and_the_rest_syncs() {
    let source = MyDb::new("bigrow_src");
    let target = MyDb::new("bigrow_tgt");
    let packet = max_allowed_packet(&source);
    for db in [&source, &target] {
        db.exec(SCHEMA);
        db.exec("INSERT INTO big VALUES (1, 'small', X'00')");
    }
    // Each value fits in a packet, the row does not.
    let half = packet / 2 + (512 << 10);
    source.exec(&format!(
        "INSERT INTO big VALUES (2, {}, {}), (3, 'after', X'03')",
        text_of(half),
        bytes_of(half)
    ));
    let (code, out, report) =
        common::sync_with_report(&source.url(), &target.url(), &["--data-only", "--yes"]);
    assert_eq!(code, 1, "the big row is left out: {out}");
    assert!(!out.contains("Connection to the server is closed"), "{out}");
    let errors = report["data"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{out}");
    assert_eq!(errors[0]["table"], "big");
    assert_eq!(errors[0]["key"], "id=2");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("max_allowed_packet ({packet} bytes)"))
            && message.contains("raise max_allowed_packet"),
        "{message}"
    );
    let ids = target.query("SELECT id FROM big ORDER BY id");
    assert_eq!(ids.len(), 2, "rows 1 and 3: {ids:?}");
}
