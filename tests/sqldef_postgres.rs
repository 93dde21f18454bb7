//! sqldef's PostgreSQL schema-diff cases (psqldef) as a convergence
//! measure, in both directions: `desired` synced into `current` (up) and
//! `current` into `desired` (down), each with
//! `lockstep sync --schema-only --allow-destructive`, then validate must
//! find nothing and `pg_dump --schema-only` of both sides must be equal.
//!
//! Not every case converges: some use what lockstep does not sync
//! (the order of an ACL's entries, moving a column), some
//! `desired` texts only sqldef's
//! parser takes. Each miss is counted under its reason, the table of
//! reasons is printed, and the converging count per direction may not
//! fall below the floor recorded here. Cases that test sqldef itself
//! (expected errors, enable_drop=false, offline, another role and
//! schema) or need what this server lacks (pgvector, a newer version)
//! are not run.

mod common;

use std::collections::BTreeSet;
use std::sync::Mutex;

use common::pg_corpus::{converge, unsupported_feature, Miss};
use common::sqldef::Case;
use common::tally::Tally;
use common::PgDb;

/// Converging cases per direction when this was last measured
/// (PostgreSQL 15, with user-defined types, partitions, inheritance,
/// extensions, every schema (dropped where only the target has it),
/// row-level security, comments on every object, sequences with their
/// owners, a partition's own defaults and NOT NULL, identity options,
/// routines before the tables calling them, and table, column, sequence,
/// view, routine and schema privileges, the cases' roles made for the
/// run, user-defined types and domains changed in place or rebuilt,
/// columns moved between types, and a new table's foreign keys added
/// after its rows: 713 up and 715 down of the 756 cases run; 82 not run).
const FLOOR_UP: usize = 713;
const FLOOR_DOWN: usize = 715;

/// The server's major version, for `min_version`.
const SERVER_MAJOR: u32 = 15;

/// Why a case is not run at all, if it is not.
fn not_run(case: &Case) -> Option<String> {
    if case.has("error") {
        return Some("expects sqldef itself to fail".into());
    }
    if case.flag("offline") == Some(true) {
        return Some("offline (Aurora DSQL) text diff".into());
    }
    if case.flag("enable_drop") == Some(false) {
        return Some("tests sqldef's enable_drop=false".into());
    }
    if case.has("user") {
        return Some("runs as another role with its own schema".into());
    }
    if let Some(flavor) = case.text("flavor") {
        return Some(format!("needs flavor `{}`", flavor.trim()));
    }
    if let Some(min) = case.text("min_version") {
        let major: u32 = min.split('.').next().unwrap().trim().parse().unwrap();
        if major > SERVER_MAJOR {
            return Some(format!("needs PostgreSQL {min}"));
        }
    }
    None
}

/// One direction's outcome: converged, or why not.
type Outcome = Result<(), Miss>;

/// Both directions of one case: `(up, down)`, in databases `a`, `b`
/// and `c` (emptied first): `current` in `a` and `c`, `desired` in `b`;
/// up syncs `b` into `a`, down `c` into `b`.
fn run_case(case: &Case, [a, b, c]: &[PgDb; 3]) -> (Outcome, Outcome) {
    let current = case.text("current").unwrap_or_default();
    let desired = case.text("desired").unwrap_or_default();
    let load = |db: &PgDb, sql: &str, which: &str| -> Result<(), Miss> {
        if sql.trim().is_empty() {
            return Ok(());
        }
        db.try_exec(sql).map_err(|e| Miss {
            reason: unsupported_feature(sql)
                .map(str::to_string)
                .unwrap_or_else(|| format!("`{which}` does not run as written (sqldef parses it)")),
            detail: e,
        })
    };
    for db in [a, b, c] {
        db.reset();
    }
    let loaded = load(a, &current, "current")
        .and_then(|()| load(b, &desired, "desired"))
        .and_then(|()| load(c, &current, "current"));
    if let Err(miss) = loaded {
        let again = Miss {
            reason: miss.reason.clone(),
            detail: miss.detail.clone(),
        };
        return (Err(miss), Err(again));
    }
    let feature = unsupported_feature(&format!("{current}\n{desired}"));
    let classify = |r: Outcome| {
        r.map_err(|m| match feature {
            Some(f) => Miss {
                reason: f.to_string(),
                detail: format!("{}\n{}", m.reason, m.detail),
            },
            None => m,
        })
    };
    let up = classify(converge(b, a, "--schema-only"));
    let down = classify(converge(c, b, "--schema-only"));
    (up, down)
}

/// The roles the cases' SQL grants to, revokes from or gives objects
/// to (`GRANT ... TO`, `REVOKE ... FROM`, `OWNER TO`), unquoted: roles
/// are the server's, not a database's, so the run makes them.
fn roles_named(cases: &[Case]) -> BTreeSet<String> {
    let mut roles = BTreeSet::new();
    let texts = cases
        .iter()
        .flat_map(|c| [c.text("current"), c.text("desired")])
        .flatten();
    for text in texts {
        for statement in text.split(';') {
            let upper = statement.to_ascii_uppercase();
            let head = upper.trim_start();
            let after = match () {
                _ if head.starts_with("GRANT ") => upper.rfind(" TO ").map(|at| at + 4),
                _ if head.starts_with("REVOKE ") => upper.rfind(" FROM ").map(|at| at + 6),
                _ => upper.find(" OWNER TO ").map(|at| at + 10),
            };
            let Some(at) = after else { continue };
            let end = upper[at..].find(" WITH ").map_or(upper.len(), |e| at + e);
            for name in statement[at..end].split(',') {
                let name = name.trim();
                let special = ["PUBLIC", "CURRENT_USER", "SESSION_USER", "CURRENT_ROLE"];
                if name.is_empty() || special.contains(&name.to_ascii_uppercase().as_str()) {
                    continue;
                }
                let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
                    Some(quoted) => quoted.replace("\"\"", "\""),
                    None if name.contains(char::is_whitespace) => continue,
                    None => name.to_lowercase(),
                };
                roles.insert(name);
            }
        }
    }
    roles
}

/// Creates each of `roles` the server lacks; returns those it created.
fn make_roles(admin: &PgDb, roles: &BTreeSet<String>) -> Vec<String> {
    let quoted = |r: &str| r.replace('"', "\"\"");
    roles
        .iter()
        .filter(|r| {
            admin
                .try_exec(&format!("CREATE ROLE \"{}\"", quoted(r)))
                .is_ok()
        })
        .map(|r| quoted(r))
        .collect()
}

#[test]
fn psqldef_cases_converge_in_both_directions() {
    let mut skipped = Vec::new();
    let mut cases = Vec::new();
    for case in common::sqldef::load("sqldef/cmd/psqldef") {
        match not_run(&case) {
            Some(why) => skipped.push((case.id(), why)),
            None => cases.push(case),
        }
    }
    let admin = PgDb::new("psqldef_roles");
    let created = make_roles(&admin, &roles_named(&cases));
    let queue = Mutex::new(cases.iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                // Databases of this worker, emptied for each case (cheaper
                // than new ones).
                let dbs = ["a", "b", "c"].map(|x| PgDb::new(&format!("psqldef_{x}")));
                loop {
                    let Some(case) = queue.lock().unwrap().next() else {
                        break;
                    };
                    // A case that breaks the harness (a database it cannot
                    // empty) is counted, not the end of the run.
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run_case(case, &dbs)
                    }))
                    .unwrap_or_else(|_| {
                        let broke = || Miss {
                            reason: "the test harness failed on this case".to_string(),
                            detail: String::new(),
                        };
                        (Err(broke()), Err(broke()))
                    });
                    let said = |o: &Outcome| match o {
                        Ok(()) => "converges".to_string(),
                        Err(m) => m.reason.clone(),
                    };
                    println!(
                        "CASE {}: up {}; down {}",
                        case.id(),
                        said(&outcome.0),
                        said(&outcome.1)
                    );
                    results.lock().unwrap().push((case.id(), outcome));
                }
            });
        }
    });
    let (mut up, mut down) = (Tally::new("psqldef up"), Tally::new("psqldef down"));
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    for (id, (u, d)) in results {
        for (tally, outcome) in [(&mut up, u), (&mut down, d)] {
            match outcome {
                Ok(()) => tally.converged(),
                Err(m) => tally.missed(&id, &m.reason, &m.detail),
            }
        }
    }
    // Each worker's databases are gone: nothing of the cases' depends on
    // the roles any more (a role another run's database still uses stays).
    for role in created {
        let _ = admin.try_exec(&format!("DROP ROLE \"{role}\""));
    }
    skipped.sort();
    for (id, why) in &skipped {
        println!("NOT RUN {id}: {why}");
    }
    up.print();
    down.print();
    println!("{} cases not run", skipped.len());
    up.assert_floor(FLOOR_UP);
    down.assert_floor(FLOOR_DOWN);
}
