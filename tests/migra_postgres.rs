//! migra's PostgreSQL diff fixtures as a convergence measure: `a.sql` in
//! the target, `b.sql` in the source, `lockstep sync --fix-schemas
//! --allow-destructive`, then validate must find nothing and
//! `pg_dump --schema-only` of both sides must be equal. A fixture that
//! does not converge is counted under its reason (most use what lockstep
//! does not sync: collations, moving a column); the table of reasons is
//! printed and the converging count may not fall below the floor
//! recorded here. The role migra's own test setup makes for its
//! fixtures' policies exists for the run.

mod common;

use common::pg_corpus::{converge, unsupported_feature, Miss};
use common::tally::Tally;
use common::PgDb;

/// Converging fixtures when this was last measured (PostgreSQL 15: 15 of 26).
const FLOOR: usize = 15;

/// The role the fixtures' policies are for (roles are the server's).
const ROLE: &str = "schemainspect_test_role";

fn run_fixture(dir: &std::path::Path) -> Result<(), Miss> {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let (a_sql, b_sql) = (read("a.sql"), read("b.sql"));
    let feature = unsupported_feature(&format!("{a_sql}\n{b_sql}"));
    let reason = |m: Miss| match feature {
        Some(f) => Miss {
            reason: f.to_string(),
            detail: format!("{}\n{}", m.reason, m.detail),
        },
        None => m,
    };
    let (target, source) = (PgDb::new("migra_a"), PgDb::new("migra_b"));
    for (db, sql, which) in [(&target, &a_sql, "a.sql"), (&source, &b_sql, "b.sql")] {
        db.try_exec(sql).map_err(|e| {
            reason(Miss {
                reason: format!("{which} does not load here"),
                detail: e,
            })
        })?;
    }
    converge(&source, &target, "--fix-schemas").map_err(reason)
}

#[test]
fn migra_fixtures_converge() {
    let root = common::corpus_dir().join("migra/FIXTURES");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    let admin = PgDb::new("migra_roles");
    admin.exec(&format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') \
         THEN CREATE ROLE {ROLE}; END IF; END $$"
    ));
    let mut tally = Tally::new("migra a->b");
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        match run_fixture(&dir) {
            Ok(()) => tally.converged(),
            Err(m) => tally.missed(&name, &m.reason, &m.detail),
        }
    }
    // Each fixture's databases are gone: nothing depends on the role.
    admin.exec(&format!("DROP ROLE {ROLE}"));
    tally.print();
    tally.assert_floor(FLOOR);
}
