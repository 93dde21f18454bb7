//! What is checked before the first write: each case exits 2 with a
//! message that says what to do, and leaves the target exactly as it was.
//! Through the binary, on MariaDB and SQLite.

mod common;

use std::process::Output;

use common::{assert_untouched, lockstep, output_text, target_with_data, SqliteDb};

/// Asserts exit code 2 and that the output holds every one of `words`.
#[track_caller]
fn assert_refused(out: &Output, words: &[&str]) {
    let text = output_text(out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    for word in words {
        assert!(text.contains(word), "expected `{word}` in: {text}");
    }
}

fn sync(source: &str, target: &str, extra: &[&str]) -> Output {
    let mut args = vec!["sync", "--no-color", "--source", source, "--target", target];
    args.extend_from_slice(extra);
    lockstep(&args)
}

/// The same database as source and target: by the same URL, or by another
/// URL that reaches the same server (another host name for it). Refused
/// before anything is written, in every mode.
#[test]
fn source_and_target_the_same_mysql_database_is_refused() {
    let db = target_with_data("same_db");
    let url = db.url();
    let mut other_ways = vec![url.clone()];
    if url.contains("@127.0.0.1:") {
        other_ways.push(url.replacen("@127.0.0.1:", "@localhost:", 1));
    }
    for other in &other_ways {
        for mode in ["--fix-schemas", "--validate-only", "--dry-run"] {
            let out = sync(&url, other, &[mode, "--allow-destructive"]);
            assert_refused(&out, &["same database", &db.name]);
        }
    }
    assert_untouched(&db);
}

/// One SQLite file reached by two paths (`dir/./db.sqlite`, a hard link):
/// the same database, refused, where it used to end in "database is locked".
#[test]
fn source_and_target_the_same_sqlite_file_is_refused() {
    let db = SqliteDb::new("same_file");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'x');");
    let dotted = format!("sqlite:{}/./db.sqlite", db.dir.display());
    let link = db.dir.join("link.sqlite");
    std::fs::hard_link(&db.path, &link).unwrap();
    let linked = format!("sqlite:{}", link.display());
    for other in [db.url(), dotted, linked] {
        let out = sync(&db.url(), &other, &["--fix-schemas"]);
        assert_refused(&out, &["same database"]);
    }
}

/// `validate` and `--dry-run` write nothing, so a target file that does not
/// exist is not created (an empty file would be left behind): they say the
/// file does not exist.
#[test]
fn read_only_modes_never_create_a_missing_sqlite_target() {
    let source = SqliteDb::new("ro_src");
    source.exec("CREATE TABLE t (id INTEGER PRIMARY KEY);");
    let target = SqliteDb::new("ro_tgt");
    let (source_url, target_url) = (source.url(), target.url());
    for args in [
        vec!["validate"],
        vec!["sync", "--validate-only"],
        vec!["sync", "--dry-run"],
    ] {
        let mut args = args.clone();
        args.extend(["--source", &source_url, "--target", &target_url]);
        let out = lockstep(&args);
        assert_refused(&out, &["target", "does not exist"]);
        assert!(!target.path.exists(), "{args:?} created the target file");
    }
}

/// An output file that cannot be written (its directory is missing) is
/// found before the target is touched; it used to fail after the sync.
#[test]
fn unwritable_output_paths_are_refused_before_the_first_write() {
    let source = target_with_data("out_src");
    source.exec("INSERT INTO keepme VALUES (2, 'y')");
    let target = target_with_data("out_tgt");
    let scratch = SqliteDb::new("out_paths");
    let missing = scratch.dir.join("no/such/dir/file.out");
    let missing = missing.to_str().unwrap();
    for flag in ["--report-json", "--sql-out", "--log"] {
        let out = sync(
            &source.url(),
            &target.url(),
            &["--fix-schemas", flag, missing],
        );
        assert_refused(&out, &[missing, "nothing was written"]);
        assert_untouched(&target);
    }
}
