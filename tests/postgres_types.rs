//! PostgreSQL user-defined types end to end: enums (one with a name that
//! needs quotes), domains over numeric, text and an enum, a composite
//! type, a range type, and arrays of an enum, created on an empty target
//! with their rows (COPY), kept through drifted rows (upserts, deletes,
//! checksums), a second run a no-op. Then the types themselves change:
//! an enum gains labels in place, loses one only with permission and
//! never while a row holds it, a domain's checks and default change, a
//! composite type gains and loses attributes, and a type only the target
//! has is dropped after its table, dependents first, with permission.

mod common;

use common::PgDb;

const SCHEMA: &str = r#"
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE "Odd Name" AS ENUM ('x', 'it''s', 'a "q"');
CREATE DOMAIN price AS numeric(8,2) DEFAULT 0 NOT NULL CONSTRAINT price_positive CHECK (VALUE >= 0);
CREATE DOMAIN short_text AS text COLLATE "C" CONSTRAINT short CHECK (length(VALUE) < 20);
CREATE DOMAIN mood_domain AS mood;
CREATE TYPE pair AS (label text, m mood, n numeric);
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TABLE things (
  id serial PRIMARY KEY,
  m mood DEFAULT 'ok',
  odd "Odd Name",
  p price,
  s short_text,
  pr pair,
  fr floatrange,
  ir int4range,
  tr tstzrange,
  moods mood[],
  md mood_domain
);
CREATE TABLE by_mood (m mood PRIMARY KEY, note text);
INSERT INTO things (m, odd, p, s, pr, fr, ir, tr, moods, md) VALUES
 ('happy', 'it''s', 12.5, 'abc', ROW('a "q", b', 'sad', 1.50), '[1.5,2.25)', 'empty',
  '[2020-01-01 00:00+00,infinity)', '{sad,happy}', 'ok'),
 ('sad', 'a "q"', 0, '', ROW(NULL, NULL, NULL), '(,)', '[1,)', '(,2021-06-01 12:00+02]',
  '{}', NULL),
 (NULL, NULL, 99999.99, NULL, NULL, 'empty', '(,5]', 'empty', '{NULL,ok}', 'happy'),
 ('ok', 'x', 1, 'z', ROW('', 'happy', -0.0), '[-Infinity,Infinity]', '[3,4)', NULL, NULL, 'sad');
INSERT INTO by_mood VALUES ('happy', 'h'), ('sad', 's'), ('ok', 'o');
"#;

/// Every row as the server prints it, and every type as the catalog
/// holds it (enum labels in order, domain bases, defaults and checks,
/// composite attributes, range subtypes and functions).
fn contents(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query(
        "SET extra_float_digits = 3; \
         SELECT t::text FROM things t ORDER BY id; \
         SELECT b::text FROM by_mood b ORDER BY m; \
         SELECT t.typname::text, t.typtype::text, \
           (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid), \
           format_type(t.typbasetype, t.typtypmod), t.typdefault, t.typnotnull::text, \
           (SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), ',' ORDER BY conname) \
              FROM pg_constraint WHERE contypid = t.oid), \
           (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ',' ORDER BY attnum) \
              FROM pg_attribute WHERE attrelid = t.typrelid AND attnum > 0 AND NOT attisdropped), \
           (SELECT format_type(rngsubtype, NULL) || ' ' || rngsubdiff::text FROM pg_range WHERE rngtypid = t.oid) \
         FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'c', 'r') \
           AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c') \
         ORDER BY t.typname",
    )
}

fn rows_written(report: &serde_json::Value) -> u64 {
    ["rows_inserted", "rows_updated", "rows_deleted"]
        .iter()
        .map(|k| report["data"][k].as_u64().unwrap_or(0))
        .sum()
}

fn schema_changes(report: &serde_json::Value) -> usize {
    report["schema"]["changes"]
        .as_array()
        .map_or(usize::MAX, |c| c.len())
}

fn sync(source: &PgDb, target: &PgDb, extra: &[&str]) -> (i32, String, serde_json::Value) {
    common::sync_with_report(&source.url(), &target.url(), extra)
}

#[test]
fn user_types_and_their_values_sync_into_an_empty_and_a_drifted_target() {
    let source = PgDb::new("pgtypes_src");
    let target = PgDb::new("pgtypes_tgt");
    source.exec(SCHEMA);

    // Into an empty target: the types first, then tables, then COPY.
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 7, "{out}");
    let expected = contents(&source);
    assert_eq!(expected.len(), 4 + 3 + 7, "{expected:?}");
    assert_eq!(contents(&target), expected);

    // Again: no schema change, no row.
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(schema_changes(&report), 0, "{out}");
    assert_eq!(rows_written(&report), 0, "{out}");

    // Drift in values of every kind: checksums see each, upserts and
    // deletes put them back.
    target.exec(
        "UPDATE things SET ir = '[1,2)' WHERE id = 1; \
         UPDATE things SET pr = ROW('a \"q\", b', 'sad', 1.5) WHERE id = 1; \
         UPDATE things SET fr = '(,0]', moods = '{happy}' WHERE id = 2; \
         UPDATE things SET odd = 'x', md = 'ok' WHERE id = 3; \
         DELETE FROM things WHERE id = 4; \
         INSERT INTO things (m, p) VALUES ('sad', 3); \
         UPDATE by_mood SET m = 'ok', note = 'moved' WHERE m = 'ok'; \
         DELETE FROM by_mood WHERE m = 'sad'",
    );
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_ne!(code, 0, "validate found nothing:\n{out}");
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 7, "{out}");
    assert_eq!(contents(&target), expected);
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
}

/// Enum labels in sort order.
fn labels(db: &PgDb, name: &str) -> Vec<Vec<Option<String>>> {
    db.query(&format!(
        "SELECT enumlabel::text FROM pg_enum WHERE enumtypid = '{name}'::regtype ORDER BY enumsortorder"
    ))
}

#[test]
fn an_enum_gains_labels_in_place_and_loses_one_only_with_permission_and_no_row_holding_it() {
    let source = PgDb::new("pgenum_src");
    let target = PgDb::new("pgenum_tgt");
    let table = "CREATE TABLE t (id int PRIMARY KEY, m mood DEFAULT 'ok', ms mood[])";
    source.exec(&format!(
        "CREATE TYPE mood AS ENUM ('awful', 'sad', 'meh', 'ok', 'happy'); {table}; \
         INSERT INTO t VALUES (1, 'meh', '{{awful,ok}}'), (2, 'happy', NULL)"
    ));
    target.exec(&format!(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); {table}; \
         INSERT INTO t VALUES (1, 'sad', '{{sad}}')"
    ));

    // New labels, before the first and between two: safe, in place, and
    // the rows that hold them are written in the same run.
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(labels(&target, "mood"), labels(&source, "mood"));
    let rows = "SELECT t::text FROM t ORDER BY id";
    assert_eq!(target.query(rows), source.query(rows));

    // The source loses `meh` and reorders `sad`/`awful`: a rebuild,
    // destructive, while the target has rows holding `meh`.
    source.exec(
        "UPDATE t SET m = 'ok', ms = '{sad,awful}' WHERE id = 1; \
         ALTER TYPE mood RENAME TO mood_old; \
         CREATE TYPE mood AS ENUM ('sad', 'awful', 'ok', 'happy'); \
         ALTER TABLE t ALTER COLUMN m DROP DEFAULT; \
         ALTER TABLE t ALTER COLUMN m TYPE mood USING m::text::mood, \
           ALTER COLUMN ms TYPE mood[] USING ms::text[]::mood[]; \
         ALTER TABLE t ALTER COLUMN m SET DEFAULT 'ok'; DROP TYPE mood_old",
    );
    target.exec("INSERT INTO t VALUES (3, 'meh', '{happy,meh}')");
    let before = labels(&target, "mood");
    // Schema only, with permission: the rows holding `meh` are named and
    // nothing changes.
    let (code, out, _) = sync(
        &source,
        &target,
        &["--schema-only", "--allow-destructive", "--yes"],
    );
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("(1,meh,") && out.contains("(3,meh,\"{happy,meh}\")"),
        "the rows holding the label are not named:\n{out}"
    );
    assert_eq!(labels(&target, "mood"), before);

    // Without permission: refused, naming the type and the label.
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("mood") && out.contains("meh"),
        "the refusal names neither the type nor the label:\n{out}"
    );
    assert_eq!(labels(&target, "mood"), before);

    // With permission and the rows: the rows first, then the rebuild.
    let (code, out, _) = sync(
        &source,
        &target,
        &["--fix-schemas", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(labels(&target, "mood"), labels(&source, "mood"));
    assert_eq!(target.query(rows), source.query(rows));
    let default =
        "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 't'::regclass";
    assert_eq!(target.query(default), source.query(default));
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(schema_changes(&report), 0, "{out}");
}

#[test]
fn domains_and_composite_types_change_in_place() {
    let source = PgDb::new("pgdomain_src");
    let target = PgDb::new("pgdomain_tgt");
    source.exec(
        "CREATE DOMAIN price AS numeric(8,2) DEFAULT 1 CONSTRAINT under_1000 CHECK (VALUE < 1000) \
           CONSTRAINT positive CHECK (VALUE > 0); \
         CREATE TYPE pair AS (label text, n numeric, extra int); \
         CREATE TABLE t (id int PRIMARY KEY, p price, pr pair); \
         INSERT INTO t VALUES (1, 5, ROW('a', 1, 7)), (2, 999, NULL)",
    );
    target.exec(
        "CREATE DOMAIN price AS numeric(8,2) CONSTRAINT under_100 CHECK (VALUE < 100); \
         CREATE TYPE pair AS (label text, gone text, n numeric); \
         CREATE TABLE t (id int PRIMARY KEY, p price, pr pair); \
         INSERT INTO t VALUES (1, 5, ROW('a', 'lost', 1)), (3, -4, NULL)",
    );
    // Dropping the attribute `gone` destroys its values: refused without
    // permission.
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("pair") && out.contains("gone"), "{out}");

    // With it: the old check goes before the rows (999 passes), the new
    // ones after them (-4 is gone by then).
    let (code, out, _) = sync(
        &source,
        &target,
        &["--fix-schemas", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    let types = "SELECT t.typname::text, t.typdefault, \
           (SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), ',' ORDER BY conname) \
              FROM pg_constraint WHERE contypid = t.oid), \
           (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ',' ORDER BY attnum) \
              FROM pg_attribute WHERE attrelid = t.typrelid AND attnum > 0 AND NOT attisdropped) \
         FROM pg_type t WHERE t.typname IN ('price', 'pair') ORDER BY 1";
    assert_eq!(target.query(types), source.query(types));
    let rows = "SELECT t::text FROM t ORDER BY id";
    assert_eq!(target.query(rows), source.query(rows));
    let (code, out, report) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(schema_changes(&report), 0, "{out}");
}

#[test]
fn a_type_only_the_target_has_goes_after_its_table_and_only_with_permission() {
    let source = PgDb::new("pgxtype_src");
    let target = PgDb::new("pgxtype_tgt");
    source.exec("CREATE TABLE kept (id int PRIMARY KEY)");
    target.exec(
        "CREATE TABLE kept (id int PRIMARY KEY); \
         CREATE TYPE colour AS ENUM ('red'); CREATE DOMAIN shade AS colour; \
         CREATE TABLE paint (id int PRIMARY KEY, c shade); INSERT INTO paint VALUES (1, 'red')",
    );
    let present =
        "SELECT typname::text FROM pg_type WHERE typname IN ('colour', 'shade') ORDER BY 1";
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("drops type `colour`"), "{out}");
    assert_eq!(target.query(present).len(), 2);

    // The dry run shows the order: the table, then the domain, then the
    // enum it is over.
    let (_, out, _) = sync(&source, &target, &["--dry-run", "--allow-destructive"]);
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("no {s} in:\n{out}"));
    assert!(
        at("DROP TABLE \"paint\"") < at("DROP DOMAIN \"shade\""),
        "{out}"
    );
    assert!(
        at("DROP DOMAIN \"shade\"") < at("DROP TYPE \"colour\""),
        "{out}"
    );

    let (code, out, _) = sync(
        &source,
        &target,
        &["--fix-schemas", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(target.query(present).is_empty());
}
