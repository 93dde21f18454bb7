//! PostgreSQL functions and views in a schema sync: a function whose
//! result type changes (which CREATE OR REPLACE cannot do), one the
//! source no longer has that the target's column default still calls
//! (dropped after the column), and a view that changes under a view and a
//! materialized view reading it (PostgreSQL refuses to drop it alone):
//! `pg_dump --schema-only` equal after.

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
    target.converge_schema_from(&source);
}

#[test]
fn a_view_that_changes_under_views_reading_it_is_synced() {
    let (source, target) = (PgDb::new("pgview_src"), PgDb::new("pgview_tgt"));
    let schema = |base: &str| {
        format!(
            "CREATE TABLE t (id int PRIMARY KEY, price int); \
             CREATE VIEW cheap AS {base}; \
             CREATE VIEW cheap_ids AS SELECT id FROM cheap; \
             CREATE MATERIALIZED VIEW cheap_count AS SELECT count(*) AS n FROM cheap_ids"
        )
    };
    source.exec(&schema("SELECT id, price FROM t WHERE price < 10"));
    target.exec(&schema("SELECT id, price FROM t WHERE price < 5"));
    target.converge_schema_from(&source);
}

#[test]
fn functions_a_table_calls_are_created_before_it() {
    let (source, target) = (PgDb::new("pgfncall_src"), PgDb::new("pgfncall_tgt"));
    let functions = "CREATE FUNCTION zz_code() RETURNS text LANGUAGE sql AS $$ SELECT 'c' $$; \
         CREATE FUNCTION zz_positive(x int) RETURNS boolean LANGUAGE sql IMMUTABLE \
         AS $$ SELECT x > 0 $$; \
         CREATE FUNCTION zz_twice(x int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 2 * x $$";
    source.exec(&format!(
        "{functions}; \
         CREATE TABLE made (id int PRIMARY KEY CHECK (zz_positive(id)), \
           code text DEFAULT zz_code(), \
           double int GENERATED ALWAYS AS (zz_twice(id)) STORED); \
         CREATE INDEX made_twice ON made (zz_twice(id)) WHERE zz_positive(id); \
         CREATE TABLE altered (id int PRIMARY KEY, code text DEFAULT zz_code())"
    ));
    target.exec("CREATE TABLE altered (id int PRIMARY KEY)");
    target.converge_schema_from(&source);
}
