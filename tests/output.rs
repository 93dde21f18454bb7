//! What a person (or cron) reads: refused rows grouped, a verdict that
//! names every kind of problem left, `-q` that still says what is not in
//! sync, options a command would ignore refused, `--report-json -`,
//! `--log FILE`, and the question before destructive changes listing
//! them. Through the binary.

mod common;

use std::process::Command;

use common::{lockstep, lockstep_bin, output_text, MyDb, SqliteDb};

/// Each of these is an option the command would ignore: exit 2, named.
#[test]
fn options_a_command_does_not_use_are_errors() {
    let cases: &[&[&str]] = &[
        &["graph", "--sql-out", "plan.sql"],
        &["graph", "--report-json", "r.json"],
        &["graph", "--allow-destructive"],
        &["graph", "--target", "sqlite:t.db"],
        &["validate", "--sql-out", "plan.sql"],
        &["validate", "--yes"],
        &["validate", "--parallelism", "2"],
        &["sync", "--validate-only", "--sql-out", "plan.sql"],
        &["sync", "--dry-run", "--yes"],
    ];
    for args in cases {
        let mut args = args.to_vec();
        args.extend(["--source", "sqlite:nowhere.db"]);
        let out = lockstep(&args);
        let text = output_text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        let flag = args[1..].iter().find(|a| a.starts_with("--")).unwrap();
        assert!(text.contains(flag), "{args:?}: {text}");
    }
}

/// A source whose rows the target cannot all take: 30 `child` rows point
/// at parents that do not exist (the source's checks were off), `skipme`
/// has another schema on each side, and `extra` exists only in the target.
fn troubled_pair() -> (MyDb, MyDb) {
    let source = MyDb::new("out_src");
    let target = MyDb::new("out_tgt");
    for db in [&source, &target] {
        db.exec(
            "CREATE TABLE parent (id INT PRIMARY KEY);
             CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL,
                 CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id));",
        );
    }
    source.exec(
        "CREATE TABLE skipme (id INT PRIMARY KEY, v INT);
         SET FOREIGN_KEY_CHECKS=0; INSERT INTO parent VALUES (1);
         INSERT INTO child VALUES (1, 1);
         INSERT INTO child SELECT seq, 1000 + seq FROM seq_2_to_31;
         SET FOREIGN_KEY_CHECKS=1;",
    );
    target.exec(
        "CREATE TABLE skipme (id INT PRIMARY KEY, v VARCHAR(5));
         CREATE TABLE extra (id INT PRIMARY KEY);",
    );
    (source, target)
}

/// 30 refused rows are one group (table, constraint, count, first keys),
/// not 30 lines; the JSON keeps every one. The verdict names the schema
/// differences, the refused rows and the skipped table; so does `-q`.
#[test]
fn problems_are_grouped_and_every_kind_is_in_the_verdict() {
    let (source, target) = troubled_pair();
    let (code, out, report) =
        common::sync_with_report(&source.url(), &target.url(), &["--data-only"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(report["data"]["errors"].as_array().unwrap().len(), 30);
    assert!(
        out.contains("child: 30 rows refused by constraint child_parent (keys id=2, id=3, id=4, id=5, id=6, …)"),
        "{out}"
    );
    assert_eq!(
        out.matches("Cannot add or update a child row").count(),
        1,
        "{out}"
    );
    let result = out
        .lines()
        .find(|l| l.starts_with("Result:"))
        .unwrap_or_else(|| panic!("no Result line: {out}"));
    for words in [
        "2 schema differences (extra, skipme)",
        "30 rows refused (child: 30)",
        "1 table skipped (skipme)",
    ] {
        assert!(result.contains(words), "`{words}` in {result}");
    }

    let (src, tgt) = (source.url(), target.url());
    let out = lockstep(&[
        "sync",
        "--data-only",
        "-q",
        "--source",
        &src,
        "--target",
        &tgt,
    ]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for words in [
        "differences remain",
        "(child: 30)",
        "(skipme)",
        "(extra, skipme)",
    ] {
        assert!(text.contains(words), "-q: `{words}` in {text}");
    }
    assert!(text.lines().count() <= 5, "-q stays short: {text}");
}

/// SQLite files with the same table `t (id, v)`: the source gets
/// `source_rows`, the target `target_rows` (SQL VALUES lists).
fn sqlite_pair(prefix: &str, source_rows: &str, target_rows: &str) -> (SqliteDb, SqliteDb) {
    let source = SqliteDb::new(&format!("{prefix}_src"));
    let target = SqliteDb::new(&format!("{prefix}_tgt"));
    for (db, rows) in [(&source, source_rows), (&target, target_rows)] {
        db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE u (id INTEGER PRIMARY KEY);");
        if !rows.is_empty() {
            db.exec(&format!("INSERT INTO t VALUES {rows};"));
        }
    }
    (source, target)
}

/// A validate names the tables whose rows differ, with their counts.
#[test]
fn validate_names_the_tables_whose_rows_differ() {
    let (source, target) = sqlite_pair("val", "(1, 'a'), (2, 'b')", "(1, 'x')");
    let (src, tgt) = (source.url(), target.url());
    let out = lockstep(&["validate", "-q", "--source", &src, "--target", &tgt]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("rows differ in 1 table (t: 1 to insert, 1 to update)"),
        "{text}"
    );
}

/// `--report-json -` prints the JSON to stdout (the report for people goes
/// to stderr); no file named `-` appears.
#[test]
fn report_json_dash_is_stdout() {
    let (source, target) = sqlite_pair("dash", "(1, 'a')", "");
    let (src, tgt) = (source.url(), target.url());
    let out = Command::new(lockstep_bin())
        .args([
            "validate",
            "--report-json",
            "-",
            "--source",
            &src,
            "--target",
            &tgt,
        ])
        .current_dir(&target.dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", output_text(&out)));
    assert_eq!(json["data"]["rows_inserted"], 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Result: differences remain"));
    assert!(
        !target.dir.join("-").exists(),
        "a file named `-` was written"
    );
}

/// `--log FILE` appends one timestamped record per run, for cron: mode,
/// databases (password masked), verdict, exit code and counts, the
/// problems; a run that fails logs its error too.
#[test]
fn log_appends_a_timestamped_record_of_each_run() {
    let (source, target) = sqlite_pair("log", "(1, 'a'), (2, 'b')", "");
    let log = target.dir.join("lockstep.log");
    let log_arg = log.to_str().unwrap();
    let (src, tgt) = (source.url(), target.url());
    let runs: [&[&str]; 3] = [
        &[
            "validate", "--log", log_arg, "--source", &src, "--target", &tgt,
        ],
        &["sync", "--log", log_arg, "--source", &src, "--target", &tgt],
        &[
            "sync",
            "--log",
            log_arg,
            "--source",
            "mysql://app:Sup3rS3cret@127.0.0.1:1/db",
            "--target",
            &tgt,
        ],
    ];
    let codes: Vec<Option<i32>> = runs
        .iter()
        .map(|args| lockstep(args).status.code())
        .collect();
    assert_eq!(codes, [Some(1), Some(0), Some(2)]);
    let text = std::fs::read_to_string(&log).unwrap();
    let records: Vec<&str> = text.lines().filter(|l| !l.contains("Z   ")).collect();
    assert_eq!(records.len(), 3, "{text}");
    for line in text.lines() {
        let stamp = line.split(' ').next().unwrap();
        assert!(
            stamp.len() == 20 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
            "every line starts with a UTC time: {line}"
        );
    }
    assert!(
        records[0].contains(&format!(
            "validate {src} -> {tgt}: differences remain (exit 1)"
        )),
        "{text}"
    );
    assert!(records[0].contains("rows 2 to insert"), "{text}");
    assert!(
        text.contains("rows differ in 1 table (t: 2 to insert)"),
        "{text}"
    );
    assert!(records[1].contains("sync full"), "{text}");
    assert!(
        records[1].contains("in sync (exit 0)") && records[1].contains("rows 2 inserted"),
        "{text}"
    );
    assert!(records[2].contains("error (exit 2)"), "{text}");
    assert!(
        text.contains("cannot connect to the source database"),
        "{text}"
    );
    assert!(
        text.contains("app:***@127.0.0.1:1/db") && !text.contains("Sup3rS3cret"),
        "{text}"
    );
}

/// On a terminal, the question before destructive changes lists them
/// first; answering no changes nothing.
#[test]
fn the_destructive_prompt_lists_the_changes_before_asking() {
    let source = MyDb::new("ask_src");
    let target = MyDb::new("ask_tgt");
    for db in [&source, &target] {
        db.exec("CREATE TABLE kept (id INT PRIMARY KEY, v VARCHAR(40))");
    }
    source.exec("ALTER TABLE kept MODIFY v VARCHAR(10)");
    target.exec("CREATE TABLE old (id INT PRIMARY KEY)");
    let before = target.show_create_tables();
    // `script` gives lockstep a terminal; the answer comes on its stdin.
    let command = format!(
        "{} sync --schema-only --allow-destructive --no-color --source '{}' --target '{}'",
        lockstep_bin().display(),
        source.url(),
        target.url()
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"n\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    let asked = text
        .find("Continue?")
        .unwrap_or_else(|| panic!("no question: {text}"));
    for change in [
        "DROP TABLE `old`",
        "ALTER TABLE `kept`",
        "[destructive]",
        "[lossy]",
    ] {
        let at = text
            .find(change)
            .unwrap_or_else(|| panic!("`{change}` not listed: {text}"));
        assert!(at < asked, "`{change}` listed before the question: {text}");
    }
    assert_eq!(target.show_create_tables(), before, "{text}");
}
