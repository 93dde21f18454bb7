//! PostgreSQL user-defined types and domains changed in place, one kind
//! of change at a time, on the real server: each sync makes the change,
//! validate then finds nothing and a dry run plans nothing; what can take
//! data away is refused without `--allow-destructive` and says what to
//! do; what PostgreSQL cannot change in place (a domain's base type, a
//! range type) is refused by name. Columns that move from one type to
//! another (text to an enum with a default, one enum to another) keep
//! their values, and the type they left goes after them.

mod common;

use common::PgDb;

fn sync(source: &PgDb, target: &PgDb, extra: &[&str]) -> (i32, String, serde_json::Value) {
    common::sync_with_report(&source.url(), &target.url(), extra)
}

fn schema_changes(report: &serde_json::Value) -> usize {
    report["schema"]["changes"]
        .as_array()
        .map_or(usize::MAX, |c| c.len())
}

/// Every user-defined type as the catalog holds it: kind, enum labels in
/// order, a domain's base, default, NOT NULL and checks, a composite's
/// attributes, a range's subtype.
fn types(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query(
        "SELECT t.typname::text, t.typtype::text, \
           (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid), \
           format_type(t.typbasetype, t.typtypmod), t.typdefault, t.typnotnull::text, \
           (SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), ',' ORDER BY conname) \
              FROM pg_constraint WHERE contypid = t.oid), \
           (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ',' ORDER BY attnum) \
              FROM pg_attribute WHERE attrelid = t.typrelid AND attnum > 0 AND NOT attisdropped), \
           (SELECT format_type(rngsubtype, NULL) FROM pg_range WHERE rngtypid = t.oid) \
         FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'c', 'r') \
           AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c') \
         ORDER BY t.typname",
    )
}

fn rows(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query("SELECT t::text FROM t ORDER BY id")
}

/// The sync has left nothing to do: validate finds no difference and a
/// dry run plans no change; types and rows are the source's.
fn assert_in_sync(source: &PgDb, target: &PgDb) {
    let (code, out, report) = sync(source, target, &["--validate-only"]);
    assert_eq!(code, 0, "validate finds differences:\n{out}");
    assert_eq!(schema_changes(&report), 0, "{out}");
    let (code, out, report) = sync(source, target, &["--dry-run", "--allow-destructive"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        schema_changes(&report),
        0,
        "a second run plans changes:\n{out}"
    );
    assert_eq!(types(target), types(source));
    assert_eq!(rows(target), rows(source));
}

#[test]
fn a_domain_changes_its_default_not_null_and_checks_in_place() {
    let source = PgDb::new("pgdom_src");
    let target = PgDb::new("pgdom_tgt");
    // Target → source: a default set, NOT NULL set, a check dropped, a
    // check added, a check of the same name redefined; the second domain
    // the other way round (default and NOT NULL dropped).
    source.exec(
        "CREATE DOMAIN code AS text DEFAULT 'none' NOT NULL \
           CONSTRAINT short CHECK (length(VALUE) < 10) CONSTRAINT lower CHECK (VALUE = lower(VALUE)); \
         CREATE DOMAIN score AS integer; \
         CREATE TABLE t (id int PRIMARY KEY, c code, s score); \
         INSERT INTO t VALUES (1, 'abc', NULL), (2, 'none', 7)",
    );
    target.exec(
        "CREATE DOMAIN code AS text CONSTRAINT short CHECK (length(VALUE) < 20) \
           CONSTRAINT no_x CHECK (VALUE <> 'x'); \
         CREATE DOMAIN score AS integer DEFAULT 0 NOT NULL; \
         CREATE TABLE t (id int PRIMARY KEY, c code, s score); \
         INSERT INTO t VALUES (1, 'abc', 1), (3, 'Upper', 2)",
    );
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    for statement in [
        "ALTER DOMAIN \"code\" SET DEFAULT 'none'",
        "ALTER DOMAIN \"code\" SET NOT NULL",
        "ALTER DOMAIN \"code\" DROP CONSTRAINT \"no_x\"",
        "ALTER DOMAIN \"code\" ADD CONSTRAINT \"lower\"",
        "ALTER DOMAIN \"score\" DROP DEFAULT",
        "ALTER DOMAIN \"score\" DROP NOT NULL",
    ] {
        assert!(out.contains(statement), "no {statement} in:\n{out}");
    }
    assert!(!out.contains("DROP DOMAIN"), "a domain was rebuilt:\n{out}");
    assert_in_sync(&source, &target);
}

#[test]
fn a_domain_check_the_target_rows_fail_waits_for_the_rows_or_is_refused_first() {
    let source = PgDb::new("pgdomchk_src");
    let target = PgDb::new("pgdomchk_tgt");
    let table = "CREATE TABLE t (id int PRIMARY KEY, p price)";
    source.exec(&format!(
        "CREATE DOMAIN price AS numeric CONSTRAINT positive CHECK (VALUE > 0) NOT NULL; {table}; \
         INSERT INTO t VALUES (1, 5)"
    ));
    target.exec(&format!(
        "CREATE DOMAIN price AS numeric; {table}; INSERT INTO t VALUES (1, 5), (2, -3), (3, NULL)"
    ));
    let before = types(&target);

    // Schema only: the rows stay as they are, and they would refuse the
    // new check: nothing is changed, the column and what to do are named.
    let (code, out, _) = sync(&source, &target, &["--schema-only", "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("domain `price`") && out.contains("column \"p\" of table \"t\""),
        "the refusal names neither the domain nor the column:\n{out}"
    );
    assert!(out.contains("sync the rows too"), "{out}");
    assert_eq!(types(&target), before);

    // With the rows: they match the source first, then the check and
    // NOT NULL are added (safe: they change no value).
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_in_sync(&source, &target);
}

/// A type change PostgreSQL cannot make in place: refused without
/// permission as destructive, and with it the run stops saying to drop
/// the type and its columns (lockstep does not rebuild them); the
/// target's types are untouched either way. The two runs' output.
fn assert_refused_with_and_without_permission(source: &PgDb, target: &PgDb) -> [String; 2] {
    let before = types(target);
    let (code, without, _) = sync(source, target, &["--fix-schemas", "--yes"]);
    assert_ne!(code, 0, "{without}");
    let (code, with, _) = sync(
        source,
        target,
        &["--fix-schemas", "--allow-destructive", "--yes"],
    );
    assert_ne!(code, 0, "{with}");
    assert!(with.contains("drop the type and its columns"), "{with}");
    assert_eq!(types(target), before);
    [without, with]
}

#[test]
fn a_domain_over_another_base_type_is_refused_by_name() {
    let source = PgDb::new("pgdombase_src");
    let target = PgDb::new("pgdombase_tgt");
    source.exec("CREATE DOMAIN amount AS bigint; CREATE TABLE t (id int PRIMARY KEY, a amount)");
    target.exec("CREATE DOMAIN amount AS integer; CREATE TABLE t (id int PRIMARY KEY, a amount)");
    let out = assert_refused_with_and_without_permission(&source, &target);
    assert!(
        out[0].contains("domain `amount` changes its base type from integer to bigint"),
        "{}",
        out[0]
    );
    assert!(out[0].contains("--allow-destructive"), "{}", out[0]);
    assert!(out[1].contains("type `amount`"), "{}", out[1]);
}

#[test]
fn enum_labels_added_next_to_each_other_are_usable_in_the_same_run() {
    let source = PgDb::new("pgenumadd_src");
    let target = PgDb::new("pgenumadd_tgt");
    // Two new labels side by side, one first, one last; a default and
    // rows that use them, written in the same run.
    source.exec(
        "CREATE TYPE e AS ENUM ('zero', 'a', 'n1', 'n2', 'b', 'last'); \
         CREATE TABLE t (id int PRIMARY KEY, v e DEFAULT 'n2', vs e[]); \
         INSERT INTO t VALUES (1, 'n1', '{zero,last}'), (2, DEFAULT, '{n2}')",
    );
    target.exec(
        "CREATE TYPE e AS ENUM ('a', 'b'); \
         CREATE TABLE t (id int PRIMARY KEY, v e DEFAULT 'a', vs e[]); \
         INSERT INTO t VALUES (1, 'b', NULL)",
    );
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ADD VALUE 'n2' AFTER 'n1'"), "{out}");
    assert!(!out.contains("RENAME TO"), "the enum was rebuilt:\n{out}");
    assert_in_sync(&source, &target);
}

#[test]
fn a_composite_type_adds_and_drops_attributes_in_place_the_drop_with_permission() {
    let source = PgDb::new("pgcomp_src");
    let target = PgDb::new("pgcomp_tgt");
    source.exec(
        "CREATE TYPE pair AS (label text, n integer, added date); \
         CREATE TABLE t (id int PRIMARY KEY, p pair); \
         INSERT INTO t VALUES (1, ROW('a', 1, '2020-01-02'))",
    );
    target.exec(
        "CREATE TYPE pair AS (label text, gone text, n integer); \
         CREATE TABLE t (id int PRIMARY KEY, p pair); \
         INSERT INTO t VALUES (1, ROW('a', 'kept?', 1))",
    );
    let before = types(&target);
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("composite type `pair` drops the attributes gone"),
        "{out}"
    );
    assert!(out.contains("--allow-destructive"), "{out}");
    assert_eq!(types(&target), before);

    let (code, out, _) = sync(
        &source,
        &target,
        &["--fix-schemas", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    for statement in [
        "ALTER TYPE \"pair\" DROP ATTRIBUTE \"gone\"",
        "ALTER TYPE \"pair\" ADD ATTRIBUTE \"added\" date",
    ] {
        assert!(out.contains(statement), "no {statement} in:\n{out}");
    }
    assert_in_sync(&source, &target);
}

#[test]
fn a_composite_type_whose_stored_attribute_changes_type_is_rebuilt_keeping_values() {
    let source = PgDb::new("pgcomprb_src");
    let target = PgDb::new("pgcomprb_tgt");
    // PostgreSQL refuses ALTER ATTRIBUTE ... TYPE while a column stores
    // the type: it is rebuilt, each value taken apart by attribute name
    // (a row of NULLs stays one, a NULL stays NULL), an array through
    // its text.
    let rows = "INSERT INTO t VALUES (1, ROW('a', 1), '{\"(b,2)\"}'), (2, ROW(NULL, NULL), NULL), (3, NULL, '{}')";
    source.exec(&format!(
        "CREATE TYPE pair AS (label text, n bigint); \
         CREATE TABLE t (id int PRIMARY KEY, p pair, ps pair[]); {rows}"
    ));
    target.exec(&format!(
        "CREATE TYPE pair AS (label text, n integer); \
         CREATE TABLE t (id int PRIMARY KEY, p pair, ps pair[]); {rows}"
    ));
    // Lossy (values may not fit): refused without permission.
    let (code, out, _) = sync(&source, &target, &["--schema-only", "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("composite type `pair` changes an attribute's type"),
        "{out}"
    );
    let (code, out, _) = sync(
        &source,
        &target,
        &["--schema-only", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("RENAME TO"), "{out}");
    assert_in_sync(&source, &target);
    let nulls = "SELECT id, p IS NULL, p::text IS NULL FROM t ORDER BY id";
    assert_eq!(target.query(nulls), source.query(nulls));
}

#[test]
fn a_range_type_defined_otherwise_is_refused_by_name() {
    let source = PgDb::new("pgrange_src");
    let target = PgDb::new("pgrange_tgt");
    source.exec("CREATE TYPE span AS RANGE (subtype = float8, subtype_diff = float8mi)");
    target.exec("CREATE TYPE span AS RANGE (subtype = float8)");
    let out = assert_refused_with_and_without_permission(&source, &target);
    assert!(
        out[0].contains("type `span` is defined otherwise in the source"),
        "{}",
        out[0]
    );
    assert!(
        out[1].contains("type `span`: the source's range type is"),
        "{}",
        out[1]
    );
    let range = "SELECT rngsubdiff::text FROM pg_range WHERE rngtypid = 'span'::regtype";
    assert_eq!(target.query(range), [[Some("-".to_string())]]);
}

#[test]
fn columns_move_between_text_and_enums_with_their_values_and_the_old_type_goes_after() {
    let source = PgDb::new("pgretype_src");
    let target = PgDb::new("pgretype_tgt");
    // `s` moves from text with a default to an enum; `o` and the array
    // `os` from the enum `old_state`, which only the target has, to
    // `state`: there is no cast between two enums, so values go through
    // their text, and `old_state` is dropped after its last column left.
    source.exec(
        "CREATE TYPE state AS ENUM ('on', 'off'); \
         CREATE TABLE t (id int PRIMARY KEY, s state NOT NULL DEFAULT 'off', o state DEFAULT 'on', os state[]); \
         INSERT INTO t VALUES (1, 'on', 'off', '{on,off}'), (2, 'off', NULL, NULL)",
    );
    target.exec(
        "CREATE TYPE state AS ENUM ('on', 'off'); CREATE TYPE old_state AS ENUM ('off', 'on'); \
         CREATE TABLE t (id int PRIMARY KEY, s text NOT NULL DEFAULT 'x', o old_state DEFAULT 'off', os old_state[]); \
         INSERT INTO t VALUES (1, 'on', 'off', '{on,off}'), (2, 'off', NULL, NULL)",
    );
    // The type goes only with permission.
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("drops type `old_state`"), "{out}");

    let (code, out, _) = sync(
        &source,
        &target,
        &["--fix-schemas", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("no {s} in:\n{out}"));
    assert!(
        at("\"os\" TYPE state[]") < at("DROP TYPE \"old_state\""),
        "{out}"
    );
    assert_in_sync(&source, &target);
    let default = "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef \
                   WHERE adrelid = 't'::regclass ORDER BY adnum";
    assert_eq!(target.query(default), source.query(default));

    // And back, schema only: enum to text (rows kept), the enum `state`
    // dropped after its columns.
    source.exec(
        "ALTER TABLE t ALTER COLUMN s DROP DEFAULT, ALTER COLUMN o DROP DEFAULT, ALTER COLUMN s TYPE text, \
           ALTER COLUMN o TYPE text, ALTER COLUMN os TYPE text[]; DROP TYPE state",
    );
    let (code, out, _) = sync(
        &source,
        &target,
        &["--schema-only", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_in_sync(&source, &target);
}

#[test]
fn a_routine_a_domain_calls_comes_before_it_and_goes_after_it() {
    let source = PgDb::new("pgdomfn_src");
    let target = PgDb::new("pgdomfn_tgt");
    source.exec(
        "CREATE FUNCTION is_email(s text) RETURNS boolean LANGUAGE sql IMMUTABLE \
           AS $$ SELECT s LIKE '%@%' $$; \
         CREATE DOMAIN email AS text CHECK (is_email(VALUE))",
    );
    let (code, out, _) = sync(&source, &target, &["--schema-only", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(types(&target), types(&source));
    // Gone from the source: the domain goes first, then the routine.
    let empty = PgDb::new("pgdomfn_empty");
    let (code, out, _) = sync(
        &empty,
        &target,
        &["--schema-only", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(types(&target).is_empty());
    let routines = "SELECT proname::text FROM pg_proc WHERE proname = 'is_email'";
    assert!(target.query(routines).is_empty());
}

#[test]
fn a_domain_check_not_validated_on_the_source_is_added_after_its_rows() {
    let source = PgDb::new("pgdomnv_src");
    let target = PgDb::new("pgdomnv_tgt");
    // `-1` predates the check: CREATE DOMAIN cannot say NOT VALID, and
    // the row would refuse it, so the check comes after the rows.
    source.exec(
        "CREATE DOMAIN d AS integer; CREATE TABLE t (id int PRIMARY KEY, v d); \
         INSERT INTO t VALUES (1, -1), (2, 5); \
         ALTER DOMAIN d ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID",
    );
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_in_sync(&source, &target);
    let validated = "SELECT convalidated::text FROM pg_constraint WHERE conname = 'positive'";
    assert_eq!(target.query(validated), [[Some("false".to_string())]]);
}
