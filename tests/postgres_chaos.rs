//! PostgreSQL connections cut in the middle of a sync, by a TCP proxy in
//! front of one side: a lost session is a transient failure (as on
//! MySQL), so with retries the run reconnects, redoes the table from a
//! fresh look at the target and ends identical in one run, no row
//! duplicated (a keyless table of duplicate rows included), the retry
//! named in the report; with `retries = 0` it fails naming the side, and
//! a plain rerun converges.

mod common;

use common::proxy::{Direction, Proxy, Upstream};
use common::retries::{cut_once_is_retried, cut_without_retries_then_rerun};
use common::PgDb;

/// Rows of the keyless table (each value twice) and of the keyed one.
const KEYLESS_ROWS: u32 = 40_000;
const KEYED_ROWS: u32 = 3_000;
/// Where the cut falls: past the keyed table's rows (about 0.4 MB) and
/// well inside the keyless table's (about 5 MB).
const CUT_AFTER_BYTES: u64 = 2_000_000;

/// A source with a keyed table and a keyless one holding every row
/// twice; a target with both tables and, when `drifted`, a row of each
/// that differs (so both are diffed and written in batches; else both are
/// empty and copied by one COPY each).
fn pair(drifted: bool) -> (PgDb, PgDb) {
    let source = PgDb::new("pgchaos_src");
    let target = PgDb::new("pgchaos_tgt");
    for db in [&source, &target] {
        db.exec(
            "CREATE TABLE keyed (id int PRIMARY KEY, v varchar(100));
             CREATE TABLE keyless (n int, v varchar(100));",
        );
    }
    source.exec(&format!(
        "INSERT INTO keyed SELECT g, repeat('k', 100) FROM generate_series(1, {KEYED_ROWS}) g;
         INSERT INTO keyless SELECT g / 2, repeat('d', 100) FROM generate_series(0, {}) g;",
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

/// Asserts the target holds exactly the source's rows: the same multiset
/// in each table (a duplicated or lost row would show).
fn assert_identical(source: &PgDb, target: &PgDb) {
    for sql in [
        "SELECT id, v FROM keyed ORDER BY id",
        "SELECT n, v, count(*) FROM keyless GROUP BY n, v ORDER BY n, v",
    ] {
        assert!(source.query(sql) == target.query(sql), "differs: {sql}");
    }
    let count = |db: &PgDb| db.query("SELECT count(*) FROM keyless")[0][0].clone();
    assert_eq!(count(target).as_deref(), Some("40000"));
}

fn cut_once_then_identical(side: &str, direction: Direction, drifted: bool) {
    let (source, target) = pair(drifted);
    let proxy = Proxy::cutting_to(Upstream::Postgres, direction, CUT_AFTER_BYTES);
    let (source_url, target_url) = match side {
        "source" => (proxy.url(&source.name), target.url()),
        _ => (source.url(), proxy.url(&target.name)),
    };
    let text = cut_once_is_retried(&proxy, side, &source_url, &target_url, "keyless");
    assert!(text.contains("(postgres://"), "{text}");
    assert_identical(&source, &target);
}

#[test]
fn target_cut_mid_data_is_retried_and_the_run_ends_identical() {
    cut_once_then_identical("target", Direction::ToServer, true);
}

#[test]
fn target_cut_during_a_copy_into_an_empty_table_is_retried() {
    cut_once_then_identical("target", Direction::ToServer, false);
}

#[test]
fn source_cut_mid_data_is_retried_and_the_run_ends_identical() {
    cut_once_then_identical("source", Direction::ToClient, true);
}

#[test]
fn without_retries_a_cut_fails_naming_the_side_and_a_rerun_converges() {
    let (source, target) = pair(true);
    let proxy = Proxy::cutting_to(Upstream::Postgres, Direction::ToServer, CUT_AFTER_BYTES);
    cut_without_retries_then_rerun(
        &proxy,
        &source.url(),
        &proxy.url(&target.name),
        &target.url(),
    );
    assert_identical(&source, &target);
}
