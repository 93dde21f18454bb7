//! Connections cut in the middle of a sync, by a TCP proxy in front of
//! one side: with retries the run reconnects, redoes the table from a
//! fresh look at the target and ends identical in one run, no row
//! duplicated (a keyless table of duplicate rows included), the retry
//! named in the report; with `retries = 0` it fails naming the side, and
//! a plain rerun converges.

mod common;

use common::proxy::{Direction, Proxy};
use common::retries::{cut_once_is_retried, cut_without_retries_then_rerun};
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

/// `url` with the compressed protocol off: `compress = auto` turns it on
/// when a busy machine makes loopback's round trip look like a network's,
/// and the rows then cross the proxy in far fewer bytes than
/// `CUT_AFTER_BYTES`, so the cut would never come.
fn uncompressed(url: &str) -> String {
    format!("{url}?compress=false")
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
    let (source_url, target_url) = (uncompressed(&source_url), uncompressed(&target_url));
    let text = cut_once_is_retried(&proxy, side, &source_url, &target_url, "keyless");
    if !drifted {
        // The retry names the load that was cut, not a later symptom.
        assert!(text.contains("failed: bulk loading `keyless`"), "{text}");
    }
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
    cut_without_retries_then_rerun(
        &proxy,
        &uncompressed(&source.url()),
        &uncompressed(&proxy.url(&target.name)),
        &uncompressed(&target.url()),
    );
    assert_identical(&source, &target);
}
