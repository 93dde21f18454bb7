//! PostgreSQL table privileges in a schema sync: what the source grants
//! (to roles, to PUBLIC, with the grant option, on columns) is granted on the
//! target, on tables it has and tables it creates; what only the target
//! grants is revoked only with `--allow-destructive`; a second run finds
//! nothing; a `--sql-out` script replays with psql; a grant to a role
//! the target server lacks is skipped with a warning naming the table,
//! the role and what to do, and the rest is granted. Sequences' and
//! views' privileges (a serial column's sequence and one made on its own,
//! a view created again and a materialized view) are synced the same way,
//! and so are routines' and schemas' (a routine's `EXECUTE` to PUBLIC,
//! which every routine is made with, is no difference).

mod common;

use common::private_pg::PrivatePg;
use common::{PgDb, PgRole};

/// Each grant on `t` and `fresh` but the owner's: table, grantee (`-`
/// for PUBLIC), privilege, grantable.
const ACL: &str = "SELECT c.relname::text, a.grantee::regrole::text, a.privilege_type::text, \
     a.is_grantable::text FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a \
     WHERE c.relname IN ('t', 'fresh') AND a.grantee <> c.relowner ORDER BY 1, 2, 3";

fn acl(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query(ACL)
}

fn source_schema(app: &str, reader: &str) -> String {
    format!(
        "CREATE TABLE t (id int PRIMARY KEY, v text); \
         CREATE TABLE fresh (id int PRIMARY KEY); \
         GRANT SELECT, INSERT ON t TO \"{app}\"; \
         GRANT UPDATE ON t TO \"{app}\" WITH GRANT OPTION; \
         GRANT SELECT ON t TO PUBLIC; \
         GRANT SELECT (v) ON t TO \"{reader}\"; \
         GRANT SELECT ON fresh TO \"{reader}\""
    )
}

#[test]
fn grants_are_synced_and_revokes_wait_for_allow_destructive() {
    let (app, reader) = (PgRole::new("pgpriv_app"), PgRole::new("pgpriv_ro"));
    let (source, target) = (PgDb::new("pgpriv_src"), PgDb::new("pgpriv_tgt"));
    source.exec(&source_schema(&app.name, &reader.name));
    // The target: SELECT for `app` with the grant option (too much),
    // DELETE for `reader` (only the target's), no table `fresh`.
    target.exec(&format!(
        "CREATE TABLE t (id int PRIMARY KEY, v text); \
         GRANT SELECT ON t TO \"{0}\" WITH GRANT OPTION; GRANT DELETE ON t TO \"{1}\"; \
         GRANT UPDATE (v) ON t TO \"{1}\"",
        app.name, reader.name
    ));
    let (code, out, _) =
        common::sync_with_report(&source.url(), &target.url(), &["--schema-only", "--yes"]);
    let granted = acl(&target);
    let row = |table: &str, role: &str, privilege: &str, grantable: bool| {
        vec![
            Some(table.to_string()),
            Some(role.to_string()),
            Some(privilege.to_string()),
            Some(grantable.to_string()),
        ]
    };
    // Everything granted; nothing taken away without the permission:
    // `reader`'s DELETE and `app`'s grant option on SELECT stay.
    let expected = [
        row("fresh", &reader.name, "SELECT", false),
        row("t", "-", "SELECT", false),
        row("t", &app.name, "INSERT", false),
        row("t", &app.name, "SELECT", true),
        row("t", &app.name, "UPDATE", true),
        row("t", &reader.name, "DELETE", false),
    ];
    assert_eq!(granted, expected, "{out}");
    assert!(
        out.contains(&format!("revokes DELETE from {}", reader.name)),
        "the refusal names the revoke: {out}"
    );
    assert_ne!(code, 0, "a refused change is not a clean run: {out}");
    // Column privileges too: the source's granted, the target's own kept.
    let dump = target.schema_dump();
    let column_grants = format!(
        "GRANT SELECT(v),UPDATE(v) ON TABLE public.t TO {};",
        reader.name
    );
    assert!(dump.contains(&column_grants), "{column_grants}: {dump}");

    let (code, out, _) = common::sync_with_report(
        &source.url(),
        &target.url(),
        &["--schema-only", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(acl(&target), acl(&source), "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());

    // Nothing is left to do.
    let again = common::lockstep_sync("--validate-only", &source.url(), &target.url());
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        common::output_text(&again)
    );
}

#[test]
fn a_plan_script_with_grants_and_revokes_replays_with_psql() {
    let (app, reader) = (PgRole::new("pgpriv_sql_app"), PgRole::new("pgpriv_sql_ro"));
    let (source, target) = (PgDb::new("pgpriv_sql_src"), PgDb::new("pgpriv_sql_tgt"));
    source.exec(&source_schema(&app.name, &reader.name));
    let target_schema = format!(
        "CREATE TABLE t (id int PRIMARY KEY, v text); GRANT ALL ON t TO \"{}\"",
        reader.name
    );
    target.exec(&target_schema);
    let plan = std::env::temp_dir().join(format!("{}.sql", target.name));
    let (code, out, _) = common::sync_with_report(
        &source.url(),
        &target.url(),
        &[
            "--dry-run",
            "--allow-destructive",
            "--sql-out",
            plan.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "a dry run with differences exits 1: {out}");
    let script = std::fs::read_to_string(&plan).unwrap();
    let _ = std::fs::remove_file(&plan);
    assert!(script.contains("REVOKE "), "{script}");

    let replayed = PgDb::new("pgpriv_sql_replay");
    replayed.exec(&target_schema);
    if let Err(e) = replayed.psql(&script) {
        panic!("psql stopped: {e}\n{script}");
    }
    assert_eq!(acl(&replayed), acl(&source), "{script}");
    assert_eq!(replayed.schema_dump(), source.schema_dump(), "{script}");
}

#[test]
fn a_grant_to_a_role_the_target_server_lacks_is_skipped_with_a_warning() {
    let app = PgRole::new("pgpriv_gone");
    let source = PgDb::new("pgpriv_gone_src");
    source.exec(&format!(
        "CREATE TABLE t (id int PRIMARY KEY, v text); \
         GRANT SELECT, UPDATE ON t TO \"{0}\"; GRANT SELECT ON t TO PUBLIC",
        app.name
    ));
    // A server of its own, without the role.
    let server = PrivatePg::start("pgpriv_server");
    server.exec("CREATE TABLE t (id int PRIMARY KEY, v text)");
    let public = |server: &PrivatePg| {
        server.query(
            "SELECT a.grantee::regrole::text || ' ' || a.privilege_type FROM pg_class c \
             CROSS JOIN LATERAL aclexplode(c.relacl) a \
             WHERE c.relname = 't' AND a.grantee <> c.relowner ORDER BY 1",
        )
    };
    for run in ["first", "second"] {
        let (code, out, report) =
            common::sync_with_report(&source.url(), &server.url(), &["--schema-only", "--yes"]);
        assert_eq!(code, 0, "{run} run: {out}");
        assert!(
            out.contains(&format!(
                "table `t`: the source grants SELECT, UPDATE to role `{}`",
                app.name
            )) && out.contains(&format!("CREATE ROLE \"{}\"", app.name)),
            "{run} run: {out}"
        );
        assert!(
            report
                .to_string()
                .contains("the target server does not have"),
            "{run} run, the report's warnings: {report}"
        );
        // What can be granted is.
        assert_eq!(public(&server), ["- SELECT"], "{run} run: {out}");
    }
}

#[test]
fn the_same_grants_made_in_another_order_are_no_difference() {
    let (app, reader) = (PgRole::new("pgpriv_ord_app"), PgRole::new("pgpriv_ord_ro"));
    let (source, target) = (PgDb::new("pgpriv_ord_src"), PgDb::new("pgpriv_ord_tgt"));
    let table = "CREATE TABLE t (id int PRIMARY KEY)";
    let to = |role: &PgRole| format!("GRANT SELECT ON t TO \"{}\"", role.name);
    source.exec(&format!("{table}; {}; {}", to(&app), to(&reader)));
    target.exec(&format!("{table}; {}; {}", to(&reader), to(&app)));
    let check = common::lockstep_sync("--validate-only", &source.url(), &target.url());
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        common::output_text(&check)
    );
}

/// Each grant on a sequence or view but the owner's: its name, grantee
/// (`-` for PUBLIC), privilege, grantable.
fn sequence_acl(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query(
        "SELECT c.relname::text, a.grantee::regrole::text, a.privilege_type::text, \
         a.is_grantable::text FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a \
         WHERE c.relkind IN ('S', 'v', 'm') AND c.relnamespace = 'public'::regnamespace \
         AND a.grantee <> c.relowner ORDER BY 1, 2, 3",
    )
}

/// A serial column's sequence, a sequence made on its own, views (one
/// the sync creates again, its definition differing) and a materialized
/// view: what the source grants on them is granted (also on a sequence
/// created in the same run, and on the view made again, which lost the
/// target's grants), what only the target grants is revoked only with
/// `--allow-destructive`.
#[test]
fn sequence_and_view_privileges_are_granted_and_revoked_as_tables_are() {
    let (app, reader) = (PgRole::new("pgseqpriv_app"), PgRole::new("pgseqpriv_ro"));
    let (source, target) = (PgDb::new("pgseqpriv_src"), PgDb::new("pgseqpriv_tgt"));
    let schema = "CREATE TABLE counters (id bigint PRIMARY KEY, n serial); \
         CREATE SEQUENCE tickets; CREATE VIEW same AS SELECT id FROM counters; \
         CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n FROM counters;";
    source.exec(&format!(
        "{schema} CREATE SEQUENCE fresh; \
         CREATE VIEW remade AS SELECT id FROM counters; \
         GRANT USAGE, SELECT ON SEQUENCE counters_n_seq TO \"{0}\"; \
         GRANT UPDATE ON SEQUENCE tickets TO \"{0}\" WITH GRANT OPTION; \
         GRANT USAGE ON SEQUENCE fresh TO PUBLIC; \
         GRANT SELECT ON remade TO \"{0}\"; GRANT SELECT ON totals TO \"{1}\"",
        app.name, reader.name
    ));
    target.exec(&format!(
        "{schema} GRANT USAGE, SELECT, UPDATE ON SEQUENCE counters_n_seq TO \"{0}\"; \
         GRANT SELECT ON SEQUENCE tickets TO \"{1}\"; \
         CREATE VIEW remade AS SELECT n FROM counters; GRANT SELECT ON remade TO \"{0}\"; \
         GRANT SELECT ON same TO \"{1}\"",
        app.name, reader.name
    ));
    let (code, out, _) =
        common::sync_with_report(&source.url(), &target.url(), &["--schema-only", "--yes"]);
    assert_ne!(code, 0, "the revokes are refused: {out}");
    assert!(out.contains("revokes UPDATE from"), "{out}");
    let row = |sequence: &str, role: &str, privilege: &str, grantable: bool| {
        vec![
            Some(sequence.to_string()),
            Some(role.to_string()),
            Some(privilege.to_string()),
            Some(grantable.to_string()),
        ]
    };
    assert_eq!(
        sequence_acl(&target),
        [
            row("counters_n_seq", &app.name, "SELECT", false),
            row("counters_n_seq", &app.name, "UPDATE", false),
            row("counters_n_seq", &app.name, "USAGE", false),
            row("fresh", "-", "USAGE", false),
            row("remade", &app.name, "SELECT", false),
            row("same", &reader.name, "SELECT", false),
            row("tickets", &app.name, "UPDATE", true),
            row("tickets", &reader.name, "SELECT", false),
            row("totals", &reader.name, "SELECT", false),
        ],
        "{out}"
    );
    let (code, out, _) = common::sync_with_report(
        &source.url(),
        &target.url(),
        &["--schema-only", "--yes", "--allow-destructive"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(sequence_acl(&target), sequence_acl(&source));
    assert_eq!(target.schema_dump(), source.schema_dump());
    let (code, out, _) =
        common::sync_with_report(&source.url(), &target.url(), &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn routine_and_schema_privileges_are_granted_and_revoked_as_tables_are() {
    let app = PgRole::new("pgfnpriv_app");
    let (source, target) = (PgDb::new("pgfnpriv_src"), PgDb::new("pgfnpriv_tgt"));
    let schema = "CREATE SCHEMA billing; \
         CREATE FUNCTION plain(x int) RETURNS int LANGUAGE sql AS $$ SELECT x $$; \
         CREATE FUNCTION billing.total(x int, y int) RETURNS int LANGUAGE sql AS $$ SELECT x + y $$; \
         CREATE PROCEDURE tidy() LANGUAGE sql AS $$ SELECT 1 $$;";
    source.exec(&format!(
        "{schema} CREATE SCHEMA reports; CREATE FUNCTION fresh() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$; \
         REVOKE EXECUTE ON FUNCTION billing.total(int, int) FROM PUBLIC; \
         GRANT EXECUTE ON FUNCTION billing.total(int, int) TO \"{0}\" WITH GRANT OPTION; \
         GRANT EXECUTE ON PROCEDURE tidy() TO \"{0}\"; \
         REVOKE EXECUTE ON FUNCTION fresh() FROM PUBLIC; \
         GRANT USAGE ON SCHEMA billing TO \"{0}\"; GRANT USAGE, CREATE ON SCHEMA reports TO \"{0}\"",
        app.name
    ));
    target.exec(&format!(
        "{schema} GRANT EXECUTE ON FUNCTION plain(int) TO \"{0}\"; \
         GRANT CREATE ON SCHEMA billing TO \"{0}\"",
        app.name
    ));
    let (code, out, _) =
        common::sync_with_report(&source.url(), &target.url(), &["--schema-only", "--yes"]);
    assert_ne!(code, 0, "the revokes are refused: {out}");
    assert!(out.contains("revokes EXECUTE from"), "{out}");
    let (code, out, _) = common::sync_with_report(
        &source.url(),
        &target.url(),
        &["--schema-only", "--yes", "--allow-destructive"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());
    let (_, out, _) = common::sync_with_report(&source.url(), &target.url(), &["--validate-only"]);
    assert!(out.contains("Schema mismatches found: 0"), "{out}");
}
