//! Connections cut in the middle of a sync, by a TCP proxy in front of
//! one side: with retries the run reconnects, redoes the table from a
//! fresh look at the target and ends identical in one run, no row
//! duplicated (a keyless table of duplicate rows included), the retry
//! named in the report; with `retries = 0` it fails naming the side, and
//! a plain rerun converges.

mod common;

use common::proxy::{Direction, Proxy};
use common::retries::{config, sync};
use common::MyDb;

/// Rows of the keyless table (each value twice) and of the keyed one.
const KEYLESS_ROWS: u32 = 40_000;
const KEYED_ROWS: u32 = 3_000;
/// Where the cut falls: past the keyed table's writes or reads (about
/// 0.4 MB) and well inside the keyless table's (about 5 MB), whichever
/// goes first.
const CUT_AFTER_BYTES: u64 = 2_000_000;

/// A source with a keyed table and a keyless one holding every row
/// twice; a target with both tables and, when `drifted`, a row of each
/// that differs, so both are diffed and written in many batches (else
/// both are empty and copied by one streamed bulk load each).
fn pair(drifted: bool) -> (MyDb, MyDb) {
    let source = MyDb::new("chaos_src");
    let target = MyDb::new("chaos_tgt");
    for db in [&source, &target] {
        db.exec(
            "CREATE TABLE keyed (id INT PRIMARY KEY, v VARCHAR(100));
             CREATE TABLE keyless (n INT, v VARCHAR(100));",
        );
    }
    source.exec(&format!(
        "INSERT INTO keyed SELECT seq, REPEAT('k', 100) FROM seq_1_to_{KEYED_ROWS};
         INSERT INTO keyless SELECT seq DIV 2, REPEAT('d', 100) FROM seq_0_to_{};",
        KEYLESS_ROWS - 1
    ));
    if drifted {
        target.exec(
            "INSERT INTO keyed VALUES (1, 'old'), (999999, 'gone');
             INSERT INTO keyless VALUES (0, 'old'), (0, 'old'), (-1, 'gone');",
        );
    }
    (source, target)
}

/// Asserts the target holds exactly the source's rows: same multiset (a
/// duplicated row would show), same count per table.
fn assert_identical(source: &MyDb, target: &MyDb) {
    source.assert_same_data(target);
    let count = |db: &MyDb, t: &str| db.query(&format!("SELECT COUNT(*) FROM {t}"))[0][0].clone();
    assert_eq!(count(target, "keyless").as_deref(), Some("40000"));
    assert_eq!(count(target, "keyed").as_deref(), Some("3000"));
}

fn cut_once_then_identical(side: &str, direction: Direction, drifted: bool) {
    let (source, target) = pair(drifted);
    let proxy = Proxy::cutting(direction, CUT_AFTER_BYTES);
    let (source_url, target_url) = match side {
        "source" => (proxy.url(&source.name), target.url()),
        _ => (source.url(), proxy.url(&target.name)),
    };
    let (scratch, config) = config(3);
    let log = scratch.dir.join("lockstep.log").display().to_string();
    let (code, text) = sync(&config, &log, &source_url, &target_url);
    assert_eq!(proxy.cuts(), 1, "the proxy never cut:\n{text}");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("retry 1 of 3"), "{text}");
    assert!(
        text.contains(&format!("the {side} connection")),
        "the retry does not name the {side}:\n{text}"
    );
    if side == "source" {
        assert!(text.contains("new snapshot"), "{text}");
    }
    if !drifted {
        // The retry names the load that was cut, not a later symptom.
        assert!(text.contains("failed: bulk loading `keyless`"), "{text}");
    }
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("in sync (exit 0)") && logged.contains("warning: `keyless`: retry 1 of 3"),
        "the log does not record the retry:\n{logged}"
    );
    assert_identical(&source, &target);
}

#[test]
fn target_cut_mid_data_is_retried_and_the_run_ends_identical() {
    cut_once_then_identical("target", Direction::ToServer, true);
}

#[test]
fn target_cut_during_a_bulk_load_into_an_empty_table_is_retried() {
    cut_once_then_identical("target", Direction::ToServer, false);
}

#[test]
fn source_cut_mid_data_is_retried_and_the_run_ends_identical() {
    cut_once_then_identical("source", Direction::ToClient, true);
}

#[test]
fn without_retries_a_cut_fails_naming_the_side_and_a_rerun_converges() {
    let (source, target) = pair(true);
    let proxy = Proxy::cutting(Direction::ToServer, CUT_AFTER_BYTES);
    let (scratch, config) = config(0);
    let log = scratch.dir.join("lockstep.log").display().to_string();
    let (code, text) = sync(&config, &log, &source.url(), &proxy.url(&target.name));
    assert_eq!(proxy.cuts(), 1, "the proxy never cut:\n{text}");
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("the target connection"), "{text}");
    assert!(
        text.contains(&format!("127.0.0.1:{}", proxy.port)),
        "{text}"
    );
    assert!(text.contains("not retried (retries = 0)"), "{text}");

    let (code, text) = sync(&config, &log, &source.url(), &target.url());
    assert_eq!(code, 0, "{text}");
    assert_identical(&source, &target);
}
