//! PostgreSQL's table hierarchies: a range-partitioned table (three
//! partitions, a DEFAULT one, an index of the parent's and one of a
//! partition's own) and a list-partitioned one with a partition
//! sub-partitioned by hash, synced into an empty target (identical
//! schema by `pg_dump`, identical rows in each partition), then again (a
//! no-op), then after drift: changed rows in one partition, a partition
//! the source gained, a partition whose bound moved (destructive: refused
//! without permission, done with it). Tables inheriting from another, with
//! rows in the parent and in each child: each keeps its own rows (a read
//! of the parent that took the children's with it counted them twice and
//! wrote them into the parent). A partition's or child's own default,
//! NOT NULL and column comment (not its parent's) are created with it and
//! changed on it alone, also while the parent's change too. Extensions (citext, hstore, btree_gist)
//! are created on the target and their values round-trip; an EXCLUDE
//! constraint over btree_gist is created, compared and dropped.

mod common;

use common::PgDb;

fn sync(source: &PgDb, target: &PgDb, extra: &[&str]) -> (i32, String, serde_json::Value) {
    common::sync_with_report(&source.url(), &target.url(), extra)
}

/// Rows written by a run, from its JSON report.
fn rows_written(report: &serde_json::Value) -> u64 {
    ["rows_inserted", "rows_updated", "rows_deleted"]
        .iter()
        .map(|k| report["data"][k].as_u64().unwrap_or(0))
        .sum()
}

fn schema_changes(report: &serde_json::Value) -> usize {
    report["schema"]["changes"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(usize::MAX)
}

const PARTITIONED: &str = "
CREATE TABLE measure (id int NOT NULL, at date NOT NULL, v text, PRIMARY KEY (id, at))
  PARTITION BY RANGE (at);
CREATE TABLE measure_2020 PARTITION OF measure FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE measure_2021 PARTITION OF measure FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE TABLE measure_2022 PARTITION OF measure FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
CREATE TABLE measure_other PARTITION OF measure DEFAULT;
CREATE INDEX measure_v ON measure (v);
CREATE INDEX measure_2021_own ON measure_2021 (v, id);
INSERT INTO measure SELECT g, date '2020-01-01' + g, 'v' || g FROM generate_series(0, 1130) g;
CREATE TABLE region (code text NOT NULL, id int NOT NULL, name text, PRIMARY KEY (code, id))
  PARTITION BY LIST (code);
CREATE TABLE region_eu PARTITION OF region FOR VALUES IN ('de', 'fr') PARTITION BY HASH (id);
CREATE TABLE region_eu_0 PARTITION OF region_eu FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE region_eu_1 PARTITION OF region_eu FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE region_us PARTITION OF region FOR VALUES IN ('us');
INSERT INTO region SELECT (ARRAY['de', 'fr', 'us'])[1 + g % 3], g, 'r' || g
  FROM generate_series(1, 300) g;
";

/// Every row with the partition that holds it, as the server prints it.
fn partitioned_rows(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query(
        "SELECT tableoid::regclass::text, m::text FROM measure m ORDER BY 1, 2; \
         SELECT tableoid::regclass::text, r::text FROM region r ORDER BY 1, 2",
    )
}

fn leaf_count(db: &PgDb, table: &str) -> String {
    db.query(&format!("SELECT count(*)::text FROM ONLY {table}"))[0][0]
        .clone()
        .unwrap()
}

#[test]
fn partitions_are_created_under_their_parents_and_their_rows_synced() {
    let source = PgDb::new("pgparts_src");
    let target = PgDb::new("pgparts_tgt");
    source.exec(PARTITIONED);

    // Into an empty target: every partition with its bound, the rows in
    // the same partitions.
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 1431, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());
    assert_eq!(partitioned_rows(&target), partitioned_rows(&source));
    assert_eq!(leaf_count(&target, "measure_other"), "35");
    assert_eq!(leaf_count(&target, "region_us"), "100");
    assert_eq!(
        leaf_count(&target, "region_eu_1"),
        leaf_count(&source, "region_eu_1")
    );
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");

    // Again: nothing to do.
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(schema_changes(&report), 0, "{out}");
    assert_eq!(rows_written(&report), 0, "{out}");

    // Drift: rows changed in one partition on the target, a partition the
    // source gained (its rows out of the DEFAULT one).
    target.exec("UPDATE measure SET v = 'drift' WHERE at >= '2021-03-01' AND at < '2021-04-01'");
    source.exec(
        "DELETE FROM measure WHERE at >= '2023-01-01' AND at < '2024-01-01'; \
         CREATE TABLE measure_2023 PARTITION OF measure \
           FOR VALUES FROM ('2023-01-01') TO ('2024-01-01'); \
         INSERT INTO measure SELECT g, date '2020-01-01' + g, 'again' || g \
           FROM generate_series(1096, 1150) g",
    );
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_ne!(code, 0, "validate found nothing:\n{out}");
    assert!(out.contains("measure_2023"), "{out}");
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());
    assert_eq!(partitioned_rows(&target), partitioned_rows(&source));
    assert_eq!(leaf_count(&target, "measure_2023"), "55");
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");

    // A bound that moved: the target's partition must be emptied,
    // which needs permission.
    source.exec(
        "ALTER TABLE measure DETACH PARTITION measure_2022; \
         DELETE FROM measure_2022 WHERE at >= '2022-07-01'; \
         ALTER TABLE measure ATTACH PARTITION measure_2022 \
           FOR VALUES FROM ('2022-01-01') TO ('2022-07-01'); \
         INSERT INTO measure SELECT g, date '2020-01-01' + g, 'moved' || g \
           FROM generate_series(912, 1095) g",
    );
    let before = target.schema_dump();
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_ne!(code, 0, "a destructive change went through:\n{out}");
    assert!(out.contains("measure_2022"), "{out}");
    assert_eq!(target.schema_dump(), before);
    let (code, out, _) = sync(
        &source,
        &target,
        &["--fix-schemas", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());
    assert_eq!(partitioned_rows(&target), partitioned_rows(&source));
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");

    // A partition only the target has goes when drops are allowed.
    target.exec("CREATE TABLE region_fr_extra PARTITION OF region FOR VALUES IN ('xx')");
    let (code, out, _) = sync(
        &source,
        &target,
        &["--fix-schemas", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());

    // A partitioned table's size is its partitions': a big one is cut
    // into key ranges that lanes sync side by side.
    source.exec("ANALYZE measure");
    target.exec("UPDATE measure SET v = 'drift' WHERE id % 100 = 0");
    let scratch = common::SqliteDb::new("pgparts_cfg");
    let path = scratch.dir.join("lockstep.toml");
    std::fs::write(&path, "[sync]\nrange_rows = 300\nparallelism = 3\n").unwrap();
    let config = path.display().to_string();
    let (code, out, report) = sync(
        &source,
        &target,
        &["-c", &config, "--data-only", "--diff-algorithm", "stream"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(partitioned_rows(&target), partitioned_rows(&source));
    let measure = report["data"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "measure")
        .unwrap();
    assert!(
        measure["found_by"]
            .as_str()
            .unwrap()
            .contains("key ranges side by side"),
        "{measure}"
    );
    assert_eq!(measure["rows_updated"], 12, "{measure}");
}

/// A partition that leaves its parent keeps its rows and the columns it
/// had (detached before the parent gains one); a table that joins a
/// parent is attached.
#[test]
fn partitions_are_detached_and_attached() {
    let source = PgDb::new("pgdetach_src");
    let target = PgDb::new("pgdetach_tgt");
    let schema = "CREATE TABLE m (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at); \
         CREATE TABLE m_1 PARTITION OF m FOR VALUES FROM ('2020-01-01') TO ('2021-01-01'); \
         CREATE TABLE m_2 PARTITION OF m FOR VALUES FROM ('2021-01-01') TO ('2022-01-01'); \
         CREATE TABLE m_3 (id int NOT NULL, at date NOT NULL); \
         INSERT INTO m VALUES (1, '2020-05-01'), (2, '2021-05-01'); \
         INSERT INTO m_3 VALUES (3, '2022-05-01')";
    source.exec(schema);
    target.exec(schema);
    source.exec(
        "ALTER TABLE m DETACH PARTITION m_2; ALTER TABLE m ADD COLUMN extra text; \
         ALTER TABLE m_3 ADD COLUMN extra text; \
         ALTER TABLE m ATTACH PARTITION m_3 FOR VALUES FROM ('2022-01-01') TO ('2023-01-01')",
    );
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());
    let rows = |db: &PgDb| {
        db.query(
            "SELECT tableoid::regclass::text, id::text FROM m ORDER BY 2; SELECT id::text FROM m_2",
        )
    };
    assert_eq!(rows(&target), rows(&source));
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
}

const INHERITING: &str = "
CREATE TABLE animal (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE dog (breed text) INHERITS (animal);
ALTER TABLE dog ADD PRIMARY KEY (id);
CREATE TABLE cat (lives int DEFAULT 9 CHECK (lives <= 9)) INHERITS (animal);
INSERT INTO animal VALUES (1, 'generic'), (2, 'other');
INSERT INTO dog VALUES (10, 'rex', 'lab'), (11, 'fido', NULL), (12, 'max', 'pug');
INSERT INTO cat VALUES (20, 'tom', 7), (21, 'kit', 9);
";

/// Each table's own rows, as the server prints them.
fn own_rows(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query(
        "SELECT a::text FROM ONLY animal a ORDER BY 1; \
         SELECT d::text FROM ONLY dog d ORDER BY 1; \
         SELECT c::text FROM ONLY cat c ORDER BY 1",
    )
}

#[test]
fn inheriting_tables_keep_their_own_rows() {
    let source = PgDb::new("pginh_src");
    let target = PgDb::new("pginh_tgt");
    source.exec(INHERITING);

    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    // Two of the parent's own, five of the children's: none twice.
    assert_eq!(rows_written(&report), 7, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());
    for table in ["animal", "dog", "cat"] {
        assert_eq!(
            leaf_count(&target, table),
            leaf_count(&source, table),
            "{table}"
        );
    }
    assert_eq!(own_rows(&target), own_rows(&source));
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(schema_changes(&report), 0, "{out}");
    assert_eq!(rows_written(&report), 0, "{out}");

    // Drift in each table; the parent's rows are deleted, updated and
    // counted without the children's.
    target.exec(
        "DELETE FROM ONLY animal WHERE id = 2; UPDATE ONLY animal SET name = 'x'; \
         UPDATE dog SET breed = 'mutt' WHERE id = 11; DELETE FROM cat WHERE id = 21; \
         INSERT INTO cat VALUES (22, 'new', 1)",
    );
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_ne!(code, 0, "validate found nothing:\n{out}");
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 5, "{out}");
    assert_eq!(own_rows(&target), own_rows(&source));
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");

    // A column the parent gains is the children's too: added once.
    source.exec("ALTER TABLE animal ADD COLUMN born date");
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());
}

const EXTENDED: &str = "
CREATE EXTENSION citext;
CREATE EXTENSION hstore;
CREATE EXTENSION btree_gist;
CREATE TABLE person (id int PRIMARY KEY, email citext UNIQUE, attrs hstore);
INSERT INTO person VALUES (1, 'Ann@Example.com', 'a=>1, b=>\"x y\"'),
  (2, 'bob@example.com', NULL), (3, 'ÉVE@x', '\"k\"=>NULL, \"\"=>\"\"');
CREATE TABLE booking (id int PRIMARY KEY, room int NOT NULL, during tsrange NOT NULL,
  CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&));
INSERT INTO booking VALUES (1, 1, '[2024-01-01 10:00, 2024-01-01 12:00)'),
  (2, 1, '[2024-01-01 12:00, 2024-01-01 13:00)'), (3, 2, '[2024-01-01 10:00, 2024-01-01 12:00)');
";

/// The extensions with their versions, and every row as the server
/// prints it.
fn extended(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query(
        "SELECT extname::text, extversion FROM pg_extension ORDER BY 1; \
         SELECT p::text FROM person p ORDER BY id; \
         SELECT b::text FROM booking b ORDER BY id",
    )
}

#[test]
fn extensions_are_created_and_updated_and_exclusions_kept() {
    let source = PgDb::new("pgext_src");
    let target = PgDb::new("pgext_tgt");
    source.exec(EXTENDED);
    // The target has citext already, at an older version.
    target.exec("CREATE EXTENSION citext VERSION '1.5'");

    let (_, out, _) = sync(&source, &target, &["--validate-only"]);
    assert!(
        out.contains("citext") && out.contains("1.5") && out.contains("hstore"),
        "the extensions' differences are not reported:\n{out}"
    );
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rows_written(&report), 6, "{out}");
    assert_eq!(extended(&target), extended(&source));
    assert_eq!(target.schema_dump(), source.schema_dump());
    // citext compares without case on the target too; the exclusion holds.
    assert_eq!(
        target.query("SELECT id::text FROM person WHERE email = 'ann@EXAMPLE.com'"),
        vec![vec![Some("1".to_string())]]
    );
    let overlap = "INSERT INTO booking VALUES (9, 1, '[2024-01-01 11:00, 2024-01-01 11:30)')";
    assert!(
        target.try_exec(overlap).is_err(),
        "the exclusion is missing"
    );
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, report) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(schema_changes(&report), 0, "{out}");
    assert_eq!(rows_written(&report), 0, "{out}");

    // An exclusion that changes, and one that goes.
    source.exec(
        "ALTER TABLE booking DROP CONSTRAINT no_overlap; \
         ALTER TABLE booking ADD CONSTRAINT no_overlap \
           EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (id > 0); \
         ALTER TABLE booking ADD CONSTRAINT one_id EXCLUDE USING gist (id WITH =)",
    );
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());
    source.exec("ALTER TABLE booking DROP CONSTRAINT one_id");
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());

    // An extension only the target has stays unless drops are allowed.
    target.exec("CREATE EXTENSION pgcrypto");
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_ne!(code, 0, "a destructive change went through:\n{out}");
    assert!(out.contains("pgcrypto"), "{out}");
    assert_eq!(
        target
            .query("SELECT 1 FROM pg_extension WHERE extname = 'pgcrypto'")
            .len(),
        1
    );
    let (code, out, _) = sync(
        &source,
        &target,
        &["--fix-schemas", "--allow-destructive", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(extended(&target), extended(&source));
}

/// The default, NOT NULL and comment of each column of `tables`, as the
/// server keeps them per table.
fn own_columns(db: &PgDb, tables: &str) -> Vec<Vec<Option<String>>> {
    db.query(&format!(
        "SELECT c.relname::text, a.attname::text, pg_get_expr(d.adbin, d.adrelid), \
         a.attnotnull::text, col_description(c.oid, a.attnum) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE c.relname IN ({tables}) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2"
    ))
}

/// A partition and an inheriting child with defaults, NOT NULL and
/// comments of their own on columns of their parents: created with
/// them in an empty target; then the source changes the parents'
/// defaults and NOT NULL and the children's own (a child keeping NOT NULL
/// that its parent drops, a child keeping its default while the parent's
/// changes): each table ends as the source's.
#[test]
fn a_partitions_or_childs_own_default_and_not_null_are_synced() {
    let (source, target) = (PgDb::new("pgown_src"), PgDb::new("pgown_tgt"));
    source.exec(
        "CREATE TABLE events (id int NOT NULL, kind text DEFAULT 'plain', note text, \
           at date NOT NULL) PARTITION BY RANGE (id);
         CREATE TABLE events_low PARTITION OF events FOR VALUES FROM (0) TO (100);
         CREATE TABLE events_high PARTITION OF events FOR VALUES FROM (100) TO (200);
         ALTER TABLE ONLY events_high ALTER COLUMN kind SET DEFAULT 'bulk';
         ALTER TABLE events_high ALTER COLUMN note SET NOT NULL;
         COMMENT ON COLUMN events_high.note IS 'always filled here';
         CREATE TABLE people (id int, name text DEFAULT 'anon', age int NOT NULL);
         CREATE TABLE staff (badge int) INHERITS (people);
         ALTER TABLE staff ALTER COLUMN name DROP DEFAULT;
         ALTER TABLE staff ALTER COLUMN id SET DEFAULT 0;
         INSERT INTO events VALUES (1, DEFAULT, NULL, '2024-01-01'), (150, DEFAULT, 'n', '2024-01-02');
         INSERT INTO staff (name, age, badge) VALUES ('s', 30, 7)",
    );
    // Synced, each table's own columns as the source's, nothing left.
    let converges = |tables: &str| {
        let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
        assert_eq!(code, 0, "{out}");
        assert_eq!(own_columns(&target, tables), own_columns(&source, tables));
        assert_eq!(target.schema_dump(), source.schema_dump());
        let (code, out, _) = sync(&source, &target, &["--validate-only"]);
        assert_eq!(code, 0, "{out}");
    };
    converges("'events', 'events_low', 'events_high', 'people', 'staff'");

    source.exec(
        "ALTER TABLE ONLY events ALTER COLUMN kind SET DEFAULT 'new';
         ALTER TABLE ONLY events_low ALTER COLUMN kind SET DEFAULT 'new';
         ALTER TABLE events ALTER COLUMN at DROP NOT NULL;
         ALTER TABLE events_high ALTER COLUMN at SET NOT NULL;
         ALTER TABLE ONLY events_high ALTER COLUMN kind SET DEFAULT 'bulkier';
         ALTER TABLE people ALTER COLUMN age DROP NOT NULL;
         ALTER TABLE staff ALTER COLUMN age SET NOT NULL;
         ALTER TABLE ONLY people ALTER COLUMN name SET DEFAULT 'nobody';
         CREATE TABLE events_mid PARTITION OF events FOR VALUES FROM (200) TO (300);
         ALTER TABLE ONLY events_mid ALTER COLUMN kind DROP DEFAULT;
         ALTER TABLE events_mid ALTER COLUMN id SET DEFAULT 250",
    );
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 1, "{out}");
    converges("'events', 'events_low', 'events_high', 'events_mid', 'people', 'staff'");
}
