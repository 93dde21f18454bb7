//! Bad input end to end through the binary: each case must exit 2 with a
//! message that says what failed and what to do, never print a password,
//! and leave the target exactly as it was.

mod common;

use std::process::Output;

use common::{assert_untouched, lockstep, MyDb};

fn target_with_data() -> MyDb {
    common::target_with_data("errs_tgt")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn expect_error(args: &[&str], must_contain: &[&str], must_not_contain: &[&str]) -> String {
    let out = lockstep(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "args {args:?}\nstderr: {err}");
    for s in must_contain {
        assert!(err.contains(s), "expected `{s}` in: {err}");
    }
    let all = format!("{err}{}", String::from_utf8_lossy(&out.stdout));
    for s in must_not_contain {
        assert!(!all.contains(s), "`{s}` leaked in: {all}");
    }
    err
}

#[test]
fn unreachable_host_is_a_clear_error_and_touches_nothing() {
    let target = target_with_data();
    let source = "mysql://root@127.0.0.1:1/nowhere";
    expect_error(
        &[
            "sync",
            "--schema-only",
            "--allow-destructive",
            "--source",
            source,
            "--target",
            &target.url(),
        ],
        &[
            "cannot connect to the source database",
            "127.0.0.1:1",
            "hint:",
        ],
        &[],
    );
    assert_untouched(&target);
}

#[test]
fn wrong_password_never_shows_the_password() {
    let target = target_with_data();
    let source = MyDb::new("errs_src");
    let server = common::mysql_server_url();
    let bad = server.replacen("mysql://root@", "mysql://root:Sup3rS3cretPw@", 1);
    let bad_source = format!("{bad}/{}", source.name);
    expect_error(
        &[
            "sync",
            "--schema-only",
            "--allow-destructive",
            "--source",
            &bad_source,
            "--target",
            &target.url(),
        ],
        &["cannot connect to the source database", "password"],
        &["Sup3rS3cretPw"],
    );
    assert_untouched(&target);
}

#[test]
fn unknown_database_says_which() {
    let target = target_with_data();
    let source = format!("{}/lockstep_no_such_db_here", common::mysql_server_url());
    expect_error(
        &[
            "sync",
            "--schema-only",
            "--source",
            &source,
            "--target",
            &target.url(),
        ],
        &["lockstep_no_such_db_here"],
        &[],
    );
    assert_untouched(&target);
}

#[test]
fn malformed_url_is_rejected_before_connecting() {
    let target = target_with_data();
    expect_error(
        &[
            "sync",
            "--schema-only",
            "--source",
            "mysql://root:hunter2@host:notaport/db",
            "--target",
            &target.url(),
        ],
        &["invalid database URL", "port"],
        &["hunter2"],
    );
    assert_untouched(&target);
}

fn write_config(dir: &common::SqliteDb, text: &str) -> String {
    let path = dir.dir.join("lockstep.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn malformed_toml_points_at_the_line() {
    let target = target_with_data();
    let scratch = common::SqliteDb::new("errs_cfg");
    let config = write_config(
        &scratch,
        &format!(
            "[source]\nurl = \"{}\"\n[target]\nurl = \"{}\"\n[sync]\norder = \n",
            target.url(),
            target.url()
        ),
    );
    expect_error(
        &["sync", "--schema-only", "-c", &config],
        &["lockstep.toml:6:"],
        &[],
    );
    assert_untouched(&target);
}

#[test]
fn unknown_key_is_named_with_its_position() {
    let target = target_with_data();
    let scratch = common::SqliteDb::new("errs_key");
    let config = write_config(
        &scratch,
        &format!(
            "[source]\nurl = \"{}\"\n[target]\nurl = \"{}\"\n[sync]\nfk_retries = 3\n",
            target.url(),
            target.url()
        ),
    );
    expect_error(
        &["sync", "--schema-only", "-c", &config],
        &["lockstep.toml:6:", "fk_retries"],
        &[],
    );
    assert_untouched(&target);
}

#[test]
fn two_modes_at_once_is_a_usage_error() {
    let out = lockstep(&[
        "sync",
        "--dry-run",
        "--schema-only",
        "--source",
        "sqlite:a",
        "--target",
        "sqlite:b",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}

/// A password holding `/`, `?` or `#` left unencoded moves the URL's
/// parts around (the host becomes `root`, the port `TopSecret99`): however
/// the URL breaks, no part of the password is printed, and the message
/// says to percent-encode it.
#[test]
fn unencoded_special_characters_in_a_password_never_print_it() {
    let target = target_with_data();
    let cases: &[(&str, &[&str])] = &[
        (
            "mysql://root:TopSecret99/?@127.0.0.1:3306/db",
            &["TopSecret99"],
        ),
        (
            "mysql://root:Top/Secret99@127.0.0.1:3306/db",
            &["Top", "Secret99"],
        ),
        (
            "mysql://root:Top?Secret99@127.0.0.1/db",
            &["Top", "Secret99"],
        ),
        (
            "mysql://root:Top#Sec/ret99@127.0.0.1/db",
            &["Top#", "ret99"],
        ),
        (
            "mariadb://app:Top:Sec/ret?99@db.example:3306/db",
            &["Top", "ret", "99@"],
        ),
    ];
    for (url, secrets) in cases {
        let err = expect_error(
            &[
                "sync",
                "--schema-only",
                "--source",
                url,
                "--target",
                &target.url(),
            ],
            &["invalid database URL", "percent-encode"],
            secrets,
        );
        assert!(err.contains(":***@"), "the URL is shown masked: {err}");
    }
    assert_untouched(&target);
}

/// `[tables.<name>]` for a table neither side has (a typo) is an error at
/// its line, as the README says, not a setting silently unused.
#[test]
fn unknown_table_section_is_named_at_its_line() {
    let target = target_with_data();
    let source = MyDb::new("errs_tsrc");
    source.exec("CREATE TABLE keepme (id INT PRIMARY KEY, v VARCHAR(10))");
    let scratch = common::SqliteDb::new("errs_tsec");
    let config = write_config(
        &scratch,
        &format!(
            "[source]\nurl = \"{}\"\n[target]\nurl = \"{}\"\n\n[tables.keepme]\nkey = [\"id\"]\n\n[tables.keep_me]\nkey = [\"id\"]\n",
            source.url(),
            target.url()
        ),
    );
    expect_error(
        &["sync", "-c", &config],
        &[
            "lockstep.toml:9:",
            "keep_me",
            "neither the source nor the target",
        ],
        &[],
    );
    assert_untouched(&target);
}
