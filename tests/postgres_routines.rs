//! PostgreSQL functions in a schema sync: one whose result type changes
//! (which CREATE OR REPLACE cannot do), and one the source no longer has
//! that the target's column default still calls (dropped after the
//! column): `pg_dump --schema-only` equal after.

mod common;

use common::PgDb;

#[test]
fn a_function_changing_its_result_type_and_one_a_default_calls_are_synced() {
    let (source, target) = (PgDb::new("pgfn_src"), PgDb::new("pgfn_tgt"));
    source.exec(
        "CREATE FUNCTION label(x int) RETURNS text LANGUAGE sql AS $$ SELECT 'n' || x $$; \
         CREATE TABLE t (id int PRIMARY KEY)",
    );
    target.exec(
        "CREATE FUNCTION label(x int) RETURNS int LANGUAGE sql AS $$ SELECT x $$; \
         CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'c' $$; \
         CREATE TABLE t (id int PRIMARY KEY, code text DEFAULT next_code())",
    );
    let (code, out, _) = common::sync_with_report(
        &source.url(),
        &target.url(),
        &["--schema-only", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());
}
