//! PostgreSQL row-level security in a schema sync: the ENABLE and FORCE
//! flags and the policies are created, changed in place (roles,
//! expressions) or dropped and created again (command, restrictive),
//! a policy only the target has is dropped only with
//! `--allow-destructive`, a second run finds nothing (also where the
//! server prints a policy's expression otherwise once printed); a `--sql-out`
//! script replays with psql, and stops with the policy and the role
//! named where the role is missing; a table whose policies would filter
//! lockstep's own reads is refused, not read in part.

mod common;

use common::{PgDb, PgRole};

/// The source's table `notes`, its row security and policies (one for
/// `role`), as the tests want the target to end up.
fn source_schema(role: &str) -> String {
    format!(
        "CREATE TABLE notes (id int PRIMARY KEY, owner text NOT NULL, body text); \
         ALTER TABLE notes ENABLE ROW LEVEL SECURITY; \
         ALTER TABLE notes FORCE ROW LEVEL SECURITY; \
         CREATE POLICY reader ON notes FOR SELECT TO \"{role}\" USING (owner = current_user); \
         CREATE POLICY writer ON notes AS RESTRICTIVE FOR UPDATE USING (owner = current_user) \
            WITH CHECK (owner = current_user); \
         CREATE POLICY everyone ON notes USING (body IS NOT NULL); \
         COMMENT ON POLICY everyone ON notes IS 'rows with a body'"
    )
}

/// The policies of `notes`, as pg_policies shows them.
fn policies(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query(
        "SELECT policyname::text, permissive, roles::text, cmd, qual, with_check, \
            obj_description(p.oid, 'pg_policy') \
         FROM pg_policies JOIN pg_policy p ON p.polname = policyname \
         WHERE tablename = 'notes' ORDER BY 1",
    )
}

fn flags(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query(
        "SELECT relrowsecurity::text, relforcerowsecurity::text FROM pg_class \
         WHERE relname = 'notes'",
    )
}

#[test]
fn flags_and_policies_are_created_changed_and_then_left_alone() {
    let role = PgRole::new("pgrls_reader");
    let (source, target) = (PgDb::new("pgrls_src"), PgDb::new("pgrls_tgt"));
    source.exec(&source_schema(&role.name));
    // The target: no row security; `reader` on other roles with another
    // expression (altered in place), `writer` permissive and for
    // DELETE (dropped and created again), `everyone` missing.
    target.exec(
        "CREATE TABLE notes (id int PRIMARY KEY, owner text NOT NULL, body text); \
         CREATE POLICY reader ON notes FOR SELECT USING (false); \
         CREATE POLICY writer ON notes FOR DELETE USING (true)",
    );
    let (code, out, _) =
        common::sync_with_report(&source.url(), &target.url(), &["--schema-only", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(policies(&target), policies(&source), "{out}");
    assert_eq!(
        flags(&target),
        vec![vec![Some("true".into()), Some("true".into())]]
    );
    assert_eq!(target.schema_dump(), source.schema_dump());

    // Nothing is left to do.
    let again = common::lockstep_sync("--validate-only", &source.url(), &target.url());
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        common::output_text(&again)
    );

    // The source turns row security off: so does the target.
    source.exec(
        "ALTER TABLE notes NO FORCE ROW LEVEL SECURITY; \
         ALTER TABLE notes DISABLE ROW LEVEL SECURITY; \
         COMMENT ON POLICY everyone ON notes IS NULL",
    );
    let (code, out, _) =
        common::sync_with_report(&source.url(), &target.url(), &["--schema-only", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        flags(&target),
        vec![vec![Some("false".into()), Some("false".into())]]
    );
    assert_eq!(target.schema_dump(), source.schema_dump());
}

#[test]
fn a_policy_only_the_target_has_is_dropped_only_when_drops_are_allowed() {
    let (source, target) = (PgDb::new("pgrls_drop_src"), PgDb::new("pgrls_drop_tgt"));
    let table = "CREATE TABLE t (id int PRIMARY KEY, tenant int); \
                 ALTER TABLE t ENABLE ROW LEVEL SECURITY; \
                 CREATE POLICY tenant_one ON t USING (tenant = 1);";
    source.exec(&format!(
        "{table} CREATE POLICY tenant_two ON t USING (tenant = 2)"
    ));
    target.exec(&format!(
        "{table} CREATE POLICY extra ON t USING (tenant = 3)"
    ));
    let (_, out, report) =
        common::sync_with_report(&source.url(), &target.url(), &["--schema-only", "--yes"]);
    let names = |db: &PgDb| -> Vec<String> {
        db.query("SELECT polname::text FROM pg_policy ORDER BY 1")
            .into_iter()
            .map(|r| r[0].clone().unwrap())
            .collect()
    };
    // The missing policy is created; the extra one stays, refused.
    assert_eq!(
        names(&target),
        ["extra", "tenant_one", "tenant_two"],
        "{out}"
    );
    assert!(
        out.contains("drops policy `extra`"),
        "the refusal names the policy: {out}"
    );
    assert!(!report.is_null(), "{out}");

    let (code, out, _) = common::sync_with_report(
        &source.url(),
        &target.url(),
        &["--schema-only", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(names(&target), ["tenant_one", "tenant_two"], "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());
}

#[test]
fn a_plan_script_replays_and_stops_on_a_role_the_server_lacks() {
    let role = PgRole::new("pgrls_gone");
    let (source, target) = (PgDb::new("pgrls_sql_src"), PgDb::new("pgrls_sql_tgt"));
    source.exec(&source_schema(&role.name));
    target.exec("CREATE TABLE notes (id int PRIMARY KEY, owner text NOT NULL, body text)");
    let plan = std::env::temp_dir().join(format!("{}.sql", target.name));
    let (code, out, _) = common::sync_with_report(
        &source.url(),
        &target.url(),
        &["--dry-run", "--sql-out", plan.to_str().unwrap()],
    );
    assert_eq!(code, 1, "a dry run with differences exits 1: {out}");
    let script = std::fs::read_to_string(&plan).unwrap();
    let _ = std::fs::remove_file(&plan);

    // Replayed as it is, it reaches the source.
    let replayed = PgDb::new("pgrls_sql_replay");
    replayed.exec("CREATE TABLE notes (id int PRIMARY KEY, owner text NOT NULL, body text)");
    if let Err(e) = replayed.psql(&script) {
        panic!("psql stopped: {e}\n{script}");
    }
    assert_eq!(replayed.schema_dump(), source.schema_dump());
    drop(replayed);

    // Without the role (gone from the server), it stops before the
    // policy, naming both.
    drop(source);
    let role_name = role.name.clone();
    drop(role);
    let err = target
        .psql(&script)
        .expect_err("a policy for a missing role must stop the script");
    assert!(
        err.contains("policy `reader` on `notes`") && err.contains(&role_name),
        "{err}"
    );
    assert!(err.contains("CREATE ROLE"), "{err}");
    assert!(
        !policies(&target)
            .iter()
            .any(|p| p[0].as_deref() == Some("reader")),
        "{err}"
    );
}

#[test]
fn rows_a_policy_would_hide_from_lockstep_are_refused_not_read_in_part() {
    let role = PgRole::new("pgrls_sync");
    let (source, target) = (PgDb::new("pgrls_rows_src"), PgDb::new("pgrls_rows_tgt"));
    let schema = "CREATE TABLE t (id int PRIMARY KEY, secret bool NOT NULL)";
    source.exec(&format!(
        "{schema}; INSERT INTO t VALUES (1, false), (2, true); \
         ALTER TABLE t ENABLE ROW LEVEL SECURITY; \
         CREATE POLICY open_rows ON t FOR SELECT USING (NOT secret); \
         GRANT SELECT ON t TO \"{}\"",
        role.name
    ));
    target.exec(&format!("{schema}; INSERT INTO t VALUES (2, true)"));
    // The role reads the source through the policy, which would hide row 2:
    // without the refusal, row 2 would be deleted from the target.
    let (code, out, _) = common::sync_with_report(
        &role.url(&source),
        &target.url(),
        &["--data-only", "--allow-destructive", "--yes"],
    );
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("row-level security policy for table \"t\"") && out.contains("BYPASSRLS"),
        "{out}"
    );
    assert_eq!(
        target.query("SELECT id::text FROM t"),
        vec![vec![Some("2".into())]],
        "{out}"
    );
}

#[test]
fn a_policy_the_server_prints_otherwise_once_printed_is_left_alone_after_the_sync() {
    let (source, target) = (PgDb::new("pgrls_print_src"), PgDb::new("pgrls_print_tgt"));
    let table = "CREATE TABLE t (id int PRIMARY KEY, status varchar(10))";
    // `IN` on a varchar prints as `= ANY ((ARRAY[...])::text[])`, and that,
    // created again, as `= ANY (ARRAY[(...)::text, ...])`.
    source.exec(&format!(
        "{table}; CREATE POLICY listed ON t USING (status IN ('draft', 'gone')) \
         WITH CHECK (status = ANY (ARRAY['x', 'y']))"
    ));
    target.exec(table);
    let (code, out, _) =
        common::sync_with_report(&source.url(), &target.url(), &["--schema-only", "--yes"]);
    assert_eq!(code, 0, "{out}");
    let printed = |db: &PgDb| db.query("SELECT qual, with_check FROM pg_policies");
    assert_ne!(printed(&target), printed(&source), "the prints differ");
    let again = common::lockstep_sync("--validate-only", &source.url(), &target.url());
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        common::output_text(&again)
    );
}
