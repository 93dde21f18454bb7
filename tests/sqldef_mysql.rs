//! sqldef's MySQL schema-diff cases as a convergence test: load `current`
//! into the target and `desired` into the source, run
//! `lockstep sync --schema-only --allow-destructive`, then require the
//! target's `SHOW CREATE TABLE` (and views) to equal the source's, and a
//! second run to find nothing to do. Cases MariaDB cannot load, or that
//! are for another flavor, are skipped with the reason printed.

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;

use common::MyDb;

struct Case {
    file: String,
    name: String,
    current: String,
    desired: String,
}

enum Verdict {
    Pass,
    Skip(String),
    Fail(String),
}

fn load_cases() -> (Vec<Case>, Vec<(String, String)>) {
    let mut cases = Vec::new();
    let mut skipped = Vec::new();
    for case in common::sqldef::load("sqldef/cmd/mysqldef") {
        let id = case.id();
        if let Some(flavor) = case.text("flavor") {
            let flavor = flavor.trim();
            if flavor == "!mariadb" || (!flavor.starts_with('!') && flavor != "mariadb") {
                skipped.push((id, format!("flavor `{flavor}` excludes MariaDB")));
                continue;
            }
        }
        if case.has("error") {
            skipped.push((id, "expects sqldef itself to fail".into()));
            continue;
        }
        if case.flag("enable_drop") == Some(false) {
            skipped.push((
                id,
                "tests sqldef's enable_drop=false, not a convergence".into(),
            ));
            continue;
        }
        // sqldef runs its cases in a database named `mysqldef_test`;
        // ours have their own names.
        let local = |k: &str| {
            case.text(k)
                .unwrap_or_default()
                .replace("`mysqldef_test`.", "")
                .replace("mysqldef_test.", "")
        };
        cases.push(Case {
            current: local("current"),
            desired: local("desired"),
            file: case.file,
            name: case.name,
        });
    }
    (cases, skipped)
}

/// Views by name, with the database name taken out of their text.
fn views(db: &MyDb) -> BTreeMap<String, String> {
    db.query(&format!(
        "SELECT table_name, view_definition FROM information_schema.views WHERE table_schema='{}'",
        db.name
    ))
    .into_iter()
    .map(|r| {
        let def = r[1]
            .clone()
            .unwrap_or_default()
            .replace(&format!("`{}`.", db.name), "");
        (r[0].clone().unwrap(), def)
    })
    .collect()
}

fn lockstep(source: &MyDb, target: &MyDb, mode: &str) -> (i32, String) {
    let out = common::lockstep_sync(mode, &source.url(), &target.url());
    (out.status.code().unwrap_or(-1), common::output_text(&out))
}

fn run_case(case: &Case) -> Verdict {
    let source = MyDb::new("sqldef_src");
    let target = MyDb::new("sqldef_tgt");
    if !case.current.trim().is_empty() {
        if let Err(e) = target.try_exec(&case.current) {
            return Verdict::Skip(format!("MariaDB rejects `current`: {e}"));
        }
    }
    if !case.desired.trim().is_empty() {
        if let Err(e) = source.try_exec(&case.desired) {
            return Verdict::Skip(format!("MariaDB rejects `desired`: {e}"));
        }
    }
    let (code, out) = lockstep(&source, &target, "--schema-only");
    if code != 0 {
        return Verdict::Fail(format!("first run exited {code}:\n{out}"));
    }
    let (want, got) = (source.show_create_tables(), target.show_create_tables());
    if want != got {
        return Verdict::Fail(format!(
            "tables differ after sync\nsource: {want:#?}\ntarget: {got:#?}\n{out}"
        ));
    }
    let (want, got) = (views(&source), views(&target));
    if want != got {
        return Verdict::Fail(format!(
            "views differ after sync\nsource: {want:#?}\ntarget: {got:#?}"
        ));
    }
    let (code, out) = lockstep(&source, &target, "--validate-only");
    if code != 0 {
        return Verdict::Fail(format!("second run is not a no-op (exit {code}):\n{out}"));
    }
    Verdict::Pass
}

#[test]
fn sqldef_mysql_cases_converge() {
    let (cases, mut skipped) = load_cases();
    let queue = Mutex::new(cases.iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let Some(case) = queue.lock().unwrap().next() else {
                    break;
                };
                let verdict = run_case(case);
                results
                    .lock()
                    .unwrap()
                    .push((format!("{}::{}", case.file, case.name), verdict));
            });
        }
    });
    let mut passed = 0;
    let mut failures = Vec::new();
    for (id, verdict) in results.into_inner().unwrap() {
        match verdict {
            Verdict::Pass => passed += 1,
            Verdict::Skip(why) => skipped.push((id, why)),
            Verdict::Fail(why) => failures.push((id, why)),
        }
    }
    skipped.sort();
    failures.sort();
    common::report_cases("sqldef mysqldef cases", passed, &skipped, &failures);
}
