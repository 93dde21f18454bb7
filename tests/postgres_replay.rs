//! A `--sql-out` plan for a PostgreSQL target, replayed by `psql -v
//! ON_ERROR_STOP=1`, reaches what the real run reaches: the source's
//! schema (a missing table, a missing column), its rows with awkward
//! values (quotes, backslashes, newlines, emoji, bytea with NUL bytes,
//! NaN and infinite floats, numeric NaN, arrays, json and jsonb) and its
//! sequences; validate then finds nothing.

mod common;

use common::PgDb;

const SCHEMA: &str = "
CREATE TABLE odd (id serial PRIMARY KEY, t text, by bytea, d double precision, r real,
  n numeric, ia int[], ta text[], j json, jb jsonb, ts timestamptz);
";

const ROWS: &str = r#"
INSERT INTO odd (t, by, d, r, n, ia, ta, j, jb, ts) VALUES
 (E'it''s a "quote" \\ back\\slash\nnew line\ttab 😀', '\x00ff27005c', 'NaN', 'Infinity',
  'NaN', '{1,NULL,-3}', ARRAY['a,b', 'c"d', NULL, E'e\\f', ''], '{"a": [1, 2.50],  "b": null}',
  '{"z": "é", "a": {"k": "\\u0041"}}', '2024-02-29 23:59:59.123456+02'),
 ('', '', '-Infinity', '-0', 12345678901234567890.000000000001, '{}', '{}', '[]', '"x"',
  'infinity'),
 (NULL, NULL, '-0', 'NaN', '-0.0010', NULL, NULL, NULL, NULL, NULL),
 (E'\r\n', '\x5c78', 1e308, 3.4e38, 'NaN', '{{1,2},{3,4}}', '{{"a b"},{"c d"}}', 'null',
  'null', '-infinity');
"#;

/// Every row of the tables, as the server prints it (floats with every
/// digit), and where each sequence goes next.
fn contents(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query(
        "SET extra_float_digits = 3; \
         SELECT x::text FROM odd x ORDER BY id; \
         SELECT x::text FROM tags x ORDER BY id; \
         SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::text \
             FROM odd_id_seq UNION ALL \
         SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::text \
             FROM tags_id_seq",
    )
}

#[test]
fn a_plan_script_replayed_by_psql_reaches_the_source() {
    let (source, target) = (PgDb::new("pgreplay_src"), PgDb::new("pgreplay_tgt"));
    source.exec(SCHEMA);
    source.exec(ROWS);
    source.exec(
        "ALTER TABLE odd ADD COLUMN note varchar(10) DEFAULT 'n''1'; \
         CREATE TABLE tags (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
           odd_id int REFERENCES odd (id), tag text NOT NULL); \
         INSERT INTO tags (odd_id, tag) VALUES (1, 'a'), (2, E'b\\\\'), (NULL, 'c'); \
         DELETE FROM tags WHERE tag = 'c'; \
         UPDATE odd SET note = NULL WHERE id = 3",
    );
    // The target: the old schema, some rows changed, one gone, one more.
    target.exec(SCHEMA);
    target.exec(ROWS);
    target.exec(
        "UPDATE odd SET d = 0 WHERE id = 3; UPDATE odd SET t = 'x' WHERE id = 1; \
         DELETE FROM odd WHERE id = 2; INSERT INTO odd (t) VALUES ('extra')",
    );

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
    if let Err(e) = target.psql(&script) {
        panic!("psql stopped: {e}\n{script}");
    }
    assert_eq!(contents(&target), contents(&source), "{script}");
    assert_eq!(target.schema_dump(), source.schema_dump());
    let (code, out, _) =
        common::sync_with_report(&source.url(), &target.url(), &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
}
