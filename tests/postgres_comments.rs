//! PostgreSQL comments on indexes, constraints (primary key, unique,
//! foreign key, check), views, materialized views, functions,
//! procedures, triggers, enum types and domains: created, changed and taken off as the
//! source has them, kept on an index created again and on the triggers
//! taken out of the rows' way and put back; a second run finds nothing,
//! and a `--sql-out` script replayed by psql gets there too.

mod common;

use common::PgDb;

const SCHEMA: &str = "
CREATE TABLE parent (id int PRIMARY KEY, code text UNIQUE);
CREATE TABLE child (id int PRIMARY KEY,
  parent_id int CONSTRAINT child_parent_fk REFERENCES parent,
  qty int CONSTRAINT qty_positive CHECK (qty > 0));
CREATE INDEX child_qty_idx ON child (qty);
CREATE VIEW big_children AS SELECT id, qty FROM child WHERE qty > 10;
CREATE MATERIALIZED VIEW child_count AS SELECT count(*) AS n FROM child;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE PROCEDURE noop(x int) LANGUAGE sql AS $$ SELECT 1 $$;
CREATE TRIGGER child_touch BEFORE INSERT ON child FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TYPE mood AS ENUM ('calm', 'busy');
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
";

/// The source: `SCHEMA`, an index the target has otherwise, comments on
/// all but the function, two new tables in a foreign key cycle (the key
/// closing it is added after the rows, its comment with it), and rows
/// (so a full sync writes `child`).
fn source() -> PgDb {
    let db = PgDb::new("pgcomment_src");
    db.exec(SCHEMA);
    db.exec(
        "CREATE INDEX child_parent_idx ON child (parent_id);
         COMMENT ON CONSTRAINT parent_pkey ON parent IS 'the key';
         COMMENT ON CONSTRAINT parent_code_key ON parent IS 'codes are unique';
         COMMENT ON CONSTRAINT child_parent_fk ON child IS 'belongs to';
         COMMENT ON CONSTRAINT qty_positive ON child IS 'no empty lines';
         COMMENT ON INDEX child_qty_idx IS 'by quantity';
         COMMENT ON INDEX child_parent_idx IS 'by parent';
         COMMENT ON VIEW big_children IS 'large ones';
         COMMENT ON MATERIALIZED VIEW child_count IS 'how many';
         COMMENT ON PROCEDURE noop(int) IS 'it''s a no-op';
         COMMENT ON TRIGGER child_touch ON child IS 'fires first';
         COMMENT ON TYPE mood IS 'how it feels';
         COMMENT ON DOMAIN positive IS 'above zero';
         CREATE TABLE ring_a (id int PRIMARY KEY, b_id int);
         CREATE TABLE ring_b (id int PRIMARY KEY, a_id int REFERENCES ring_a);
         ALTER TABLE ring_a ADD CONSTRAINT ring_a_b FOREIGN KEY (b_id) REFERENCES ring_b;
         COMMENT ON CONSTRAINT ring_a_b ON ring_a IS 'closes the ring';
         COMMENT ON CONSTRAINT ring_b_a_id_fkey ON ring_b IS 'opens it';
         INSERT INTO parent VALUES (1, 'a'), (2, 'b');
         INSERT INTO child VALUES (1, 1, 5), (2, 2, 20);",
    );
    db
}

/// The target: `SCHEMA`, the index on other columns, other comments on
/// some, one on the function the source's has not, none on the rest.
fn target() -> PgDb {
    let db = PgDb::new("pgcomment_tgt");
    db.exec(SCHEMA);
    db.exec(
        "CREATE INDEX child_parent_idx ON child (parent_id, id);
         COMMENT ON INDEX child_parent_idx IS 'by parent';
         COMMENT ON CONSTRAINT qty_positive ON child IS 'old words';
         COMMENT ON VIEW big_children IS 'old words';
         COMMENT ON FUNCTION touch() IS 'stale';
         COMMENT ON TYPE mood IS 'old words';
         INSERT INTO parent VALUES (1, 'a');",
    );
    db
}

/// Every comment on an object the user made but a schema, by object.
fn comments(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query(
        "SELECT pg_describe_object(classoid, objoid, objsubid), description \
         FROM pg_description WHERE objoid >= 16384 \
         AND classoid <> 'pg_namespace'::regclass ORDER BY 1",
    )
}

#[test]
fn comments_on_every_kind_of_object_are_synced_and_then_left_alone() {
    let (source, target) = (source(), target());
    let (code, out, _) =
        common::sync_with_report(&source.url(), &target.url(), &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(comments(&target), comments(&source), "{out}");
    assert_eq!(comments(&source).len(), 14);
    assert_eq!(target.schema_dump(), source.schema_dump());

    let again = common::lockstep_sync("--validate-only", &source.url(), &target.url());
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        common::output_text(&again)
    );
}

#[test]
fn a_plan_script_with_comments_replays_with_psql() {
    let (source, target) = (source(), target());
    let plan = std::env::temp_dir().join(format!("{}.sql", target.name));
    let (code, out, _) = common::sync_with_report(
        &source.url(),
        &target.url(),
        &["--dry-run", "--sql-out", plan.to_str().unwrap()],
    );
    assert_eq!(code, 1, "a dry run with differences exits 1: {out}");
    let script = std::fs::read_to_string(&plan).unwrap();
    let _ = std::fs::remove_file(&plan);
    if let Err(e) = target.psql(&script) {
        panic!("psql stopped: {e}\n{script}");
    }
    assert_eq!(comments(&target), comments(&source), "{script}");
    assert_eq!(target.schema_dump(), source.schema_dump());
}
