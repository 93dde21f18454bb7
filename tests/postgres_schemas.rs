//! PostgreSQL databases of several schemas: `public`, `billing` and
//! `"Audit Log"` (quoted, mixed case, a space), with foreign keys from
//! `billing` to `public` and back, a view in `billing` reading both, an
//! enum of `billing` used by a `public` column, identity and serial keys
//! outside `public`, a trigger calling a function of another schema, a
//! materialized view there, and a `public` table with a `.` in its name. Synced into an empty target: `pg_dump` and
//! every row equal, sequences continued, validate clean, a rerun a no-op.
//! Drift in the other schemas converges (a column, rows, an enum's labels
//! added and renamed, the target's own index, function and trigger there
//! dropped), a schema only the target has stays, with its table, unless
//! destructive changes are allowed, and is refused, naming them, while it
//! holds what lockstep does not sync (a collation); a `--dry-run --sql-out` script replayed by psql
//! reaches the source; `--tables billing.*` and `--exclude` cover a
//! schema. A schema with a `.` in its name is refused, named; an account
//! that may not create schemas syncs into the ones it owns; a standalone
//! sequence of another schema is continued.

mod common;

use common::{PgDb, PgRole, SqliteDb};

const SCHEMA: &str = r#"
CREATE SCHEMA billing;
CREATE SCHEMA "Audit Log";
CREATE TYPE billing.status AS ENUM ('open', 'paid', 'void');
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, last_invoice int,
  state billing.status NOT NULL DEFAULT 'open');
CREATE TABLE billing.invoices (
  id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers (id),
  total numeric(10,2) NOT NULL CHECK (total >= 0),
  status billing.status NOT NULL DEFAULT 'open');
CREATE INDEX invoices_customer ON billing.invoices (customer_id);
ALTER TABLE customers ADD CONSTRAINT customers_last_invoice
  FOREIGN KEY (last_invoice) REFERENCES billing.invoices (id);
CREATE TYPE billing.channel AS ENUM ('web', 'shop', 'phone');
CREATE TABLE billing.payments (id serial PRIMARY KEY,
  invoice_id int REFERENCES billing.invoices (id), amount numeric(10,2),
  channel billing.channel DEFAULT 'web');
COMMENT ON TABLE billing.payments IS 'money in';
CREATE VIEW billing.open_totals AS
  SELECT c.name, sum(i.total) AS total FROM customers c
  JOIN billing.invoices i ON i.customer_id = c.id WHERE i.status = 'open' GROUP BY c.name;
CREATE TABLE "Audit Log"."Entries" (id bigserial PRIMARY KEY, happened text NOT NULL,
  "Detail" text);
CREATE FUNCTION "Audit Log".record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "Audit Log"."Entries" (happened, "Detail") VALUES (TG_OP, NEW.id::text);
  RETURN NEW;
END $$;
CREATE TRIGGER payments_audit AFTER INSERT ON billing.payments
  FOR EACH ROW EXECUTE FUNCTION "Audit Log".record();
CREATE MATERIALIZED VIEW "Audit Log".daily AS
  SELECT happened, count(*) AS n FROM "Audit Log"."Entries" GROUP BY happened;
CREATE TABLE "dotted.name" (id int PRIMARY KEY, customer_id int REFERENCES customers (id));
"#;

const ROWS: &str = r#"
INSERT INTO customers (id, name) VALUES (1, 'Ada'), (2, 'Bob');
INSERT INTO billing.invoices (customer_id, total, status)
  VALUES (1, 10.50, 'open'), (1, 20, 'paid'), (2, 7.25, 'open');
UPDATE customers SET last_invoice = 2, state = 'paid' WHERE id = 1;
INSERT INTO billing.payments (invoice_id, amount) VALUES (2, 20);
INSERT INTO "Audit Log"."Entries" (happened) VALUES ('manual');
INSERT INTO "dotted.name" VALUES (1, 2);
SELECT setval('billing.payments_id_seq', 40);
REFRESH MATERIALIZED VIEW "Audit Log".daily;
"#;

/// Every row of every table and materialized view, and where each
/// sequence goes next.
fn contents(db: &PgDb) -> Vec<Vec<Option<String>>> {
    db.query(
        r#"SELECT x::text FROM customers x ORDER BY id;
           SELECT x::text FROM billing.invoices x ORDER BY id;
           SELECT x::text FROM billing.payments x ORDER BY id;
           SELECT x::text FROM "Audit Log"."Entries" x ORDER BY id;
           SELECT x::text FROM "Audit Log".daily x ORDER BY happened;
           SELECT x::text FROM "dotted.name" x ORDER BY id;
           SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::text
             FROM billing.invoices_id_seq UNION ALL
           SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::text
             FROM billing.payments_id_seq UNION ALL
           SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::text
             FROM "Audit Log"."Entries_id_seq""#,
    )
}

fn sync(source: &PgDb, target: &PgDb, extra: &[&str]) -> (i32, String, serde_json::Value) {
    common::sync_with_report(&source.url(), &target.url(), extra)
}

/// A source with the three schemas and their rows.
fn source() -> PgDb {
    let source = PgDb::new("pgschemas_src");
    source.exec(SCHEMA);
    source.exec(ROWS);
    source
}

#[test]
fn every_schema_syncs_into_an_empty_target_and_a_rerun_changes_nothing() {
    let (source, target) = (source(), PgDb::new("pgschemas_tgt"));
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());
    assert_eq!(contents(&target), contents(&source));
    // The sequences continue where the source's do.
    let next = "SELECT nextval('billing.payments_id_seq')::text, \
                nextval('billing.invoices_id_seq')::text, \
                nextval('\"Audit Log\".\"Entries_id_seq\"')::text";
    assert_eq!(
        target.query(next),
        vec![vec![Some("41".into()), Some("4".into()), Some("3".into())]]
    );
    target.exec(
        "SELECT setval('billing.payments_id_seq', 40); SELECT setval('billing.invoices_id_seq', 3); \
         SELECT setval('\"Audit Log\".\"Entries_id_seq\"', 2)",
    );

    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
    // A dry run with nothing to do exits 0 and plans no statement.
    target.assert_nothing_planned_from(&source);
}

#[test]
fn drift_in_other_schemas_converges_and_a_target_only_schema_goes_only_when_drops_are_allowed() {
    let (source, target) = (source(), PgDb::new("pgschemas_drift"));
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");

    source.exec(
        r#"ALTER TABLE billing.invoices ADD COLUMN note text;
           UPDATE billing.invoices SET note = 'late' WHERE id = 3;
           UPDATE "Audit Log"."Entries" SET "Detail" = 'changed' WHERE happened = 'manual';
           ALTER TYPE billing.status ADD VALUE 'refunded';
           ALTER TYPE billing.channel RENAME VALUE 'phone' TO 'call';
           CREATE TABLE "Audit Log".notes (id int PRIMARY KEY, body text);
           INSERT INTO "Audit Log".notes VALUES (1, 'n')"#,
    );
    target.exec(
        r#"UPDATE billing.invoices SET total = 0 WHERE id = 1;
           DELETE FROM billing.payments;
           INSERT INTO "Audit Log"."Entries" (happened) VALUES ('extra');
           CREATE INDEX payments_amount ON billing.payments (amount);
           CREATE FUNCTION billing.gone() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
           CREATE TRIGGER invoices_audit AFTER UPDATE ON billing.invoices
             FOR EACH ROW EXECUTE FUNCTION "Audit Log".record();
           CREATE SCHEMA scratch;
           CREATE TABLE scratch.kept (id int PRIMARY KEY);
           INSERT INTO scratch.kept VALUES (1)"#,
    );
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_ne!(code, 0, "validate found nothing:\n{out}");
    for named in ["billing.invoices", "Audit Log.Entries", "scratch.kept"] {
        assert!(out.contains(named), "{named} not named:\n{out}");
    }

    // Without destructive changes the target-only table stays (and the
    // enum losing a label is not rebuilt, so its table waits) ...
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 1, "the kept table is a difference left:\n{out}");
    let entries = r#"SELECT x::text FROM "Audit Log"."Entries" x ORDER BY id"#;
    assert_eq!(target.query(entries), source.query(entries), "{out}");
    assert_eq!(
        target.query("SELECT count(*)::text FROM scratch.kept"),
        vec![vec![Some("1".into())]]
    );

    // ... and with them it goes, and its schema after it.
    let (code, out, _) = sync(
        &source,
        &target,
        &["--fix-schemas", "--yes", "--allow-destructive"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(contents(&target), contents(&source));
    assert_eq!(
        target.query("SELECT 1 FROM pg_namespace WHERE nspname = 'scratch'"),
        Vec::<Vec<Option<String>>>::new(),
        "{out}"
    );
    assert_eq!(target.schema_dump(), source.schema_dump());
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_plan_script_creating_the_schemas_replays_with_psql() {
    let (source, target) = (source(), PgDb::new("pgschemas_replay"));
    let plan = std::env::temp_dir().join(format!("{}.sql", target.name));
    let (code, out, _) = sync(
        &source,
        &target,
        &["--dry-run", "--sql-out", plan.to_str().unwrap()],
    );
    assert_eq!(code, 1, "a dry run with differences exits 1: {out}");
    // The plan shows the schemas being made, and made nothing.
    assert!(out.contains("CREATE SCHEMA \"Audit Log\""), "{out}");
    assert_eq!(
        target.query("SELECT count(*)::text FROM pg_namespace WHERE nspname = 'billing'"),
        vec![vec![Some("0".into())]]
    );
    let script = std::fs::read_to_string(&plan).unwrap();
    let _ = std::fs::remove_file(&plan);
    if let Err(e) = target.psql(&script) {
        panic!("psql stopped: {e}\n{script}");
    }
    assert_eq!(target.schema_dump(), source.schema_dump(), "{script}");
    assert_eq!(contents(&target), contents(&source), "{script}");
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_schema_pattern_selects_that_schemas_tables_only() {
    let (source, target) = (source(), PgDb::new("pgschemas_filter"));
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    let drift = r#"UPDATE customers SET name = 'drifted' WHERE id = 2;
                   UPDATE billing.invoices SET total = 1 WHERE id = 3;
                   DELETE FROM "Audit Log"."Entries""#;
    target.exec(drift);
    let customers = "SELECT name FROM customers WHERE id = 2";
    let entries = r#"SELECT count(*)::text FROM "Audit Log"."Entries""#;
    let invoices = "SELECT x::text FROM billing.invoices x ORDER BY id";

    // Only billing's tables are looked at and written.
    let (code, out, _) = sync(
        &source,
        &target,
        &["--fix-schemas", "--yes", "--tables", "billing.*"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.query(invoices), source.query(invoices));
    assert_eq!(target.query(customers), vec![vec![Some("drifted".into())]]);
    assert_eq!(target.query(entries), vec![vec![Some("0".into())]]);

    // Every schema but one, from a config file, whose per-table section
    // names a table of another schema too.
    let scratch = SqliteDb::new("pgschemas_cfg");
    let path = scratch.dir.join("lockstep.toml");
    std::fs::write(
        &path,
        "[sync]\nexclude = [\"Audit Log.*\"]\n[tables.\"billing.payments\"]\nkey = [\"id\"]\n",
    )
    .unwrap();
    let config = path.display().to_string();
    let (code, out, _) = sync(&source, &target, &["-c", &config, "--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.query(customers), source.query(customers));
    assert_eq!(target.query(entries), vec![vec![Some("0".into())]]);

    // A pattern that covers nothing is an error naming it.
    let (code, out, _) = sync(
        &source,
        &target,
        &["--validate-only", "--tables", "nosuch.*"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("nosuch.*"), "{out}");
}

#[test]
fn a_schema_with_a_dot_in_its_name_is_refused_with_its_name() {
    let (source, target) = (PgDb::new("pgschemas_dot"), PgDb::new("pgschemas_dot_tgt"));
    source.exec(r#"CREATE SCHEMA "v1.2"; CREATE TABLE "v1.2".t (id int PRIMARY KEY)"#);
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("schema `v1.2`") && out.contains("RENAME"),
        "{out}"
    );
    assert!(target
        .query("SELECT 1 FROM pg_namespace WHERE nspname = 'v1.2'")
        .is_empty());
}

/// An account that owns the schemas but may not create one (no CREATE on
/// the database, as by default) syncs into them: a schema is created only
/// where it is missing.
#[test]
fn an_account_that_may_not_create_schemas_syncs_into_the_ones_it_owns() {
    let role = PgRole::new("lst_schemas");
    let (source, target) = (source(), PgDb::new("pgschemas_role"));
    let owner = &role.name;
    target.exec(&format!(
        "ALTER SCHEMA public OWNER TO \"{owner}\"; \
         CREATE SCHEMA billing AUTHORIZATION \"{owner}\"; \
         CREATE SCHEMA \"Audit Log\" AUTHORIZATION \"{owner}\""
    ));
    let (code, out, _) = common::sync_with_report(
        &source.url(),
        &role.url(&target),
        &["--fix-schemas", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(contents(&target), contents(&source));
    assert_eq!(target.schema_dump(), source.schema_dump());
}

/// A sequence created on its own in one schema and drawn from by a
/// default in another (as pg_dump's older dumps make them): its counter is
/// read, reported and set like an owned one's.
#[test]
fn a_standalone_sequence_of_another_schema_continues_where_the_sources_does() {
    let (source, target) = (PgDb::new("pgschemas_seq"), PgDb::new("pgschemas_seq_tgt"));
    let schema = r#"CREATE SCHEMA billing; CREATE SCHEMA "Audit Log";
        CREATE SEQUENCE "Audit Log"."Ticket_seq";
        CREATE TABLE billing.tickets (
          id bigint PRIMARY KEY DEFAULT nextval('"Audit Log"."Ticket_seq"'), note text);
        INSERT INTO billing.tickets (note) VALUES ('a'), ('b')"#;
    source.exec(schema);
    target.exec(schema);
    source.exec(r#"SELECT setval('"Audit Log"."Ticket_seq"', 500)"#);
    let next = r#"SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::text
                  FROM "Audit Log"."Ticket_seq""#;

    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("billing.tickets"), "{out}");
    let (code, out, _) = sync(&source, &target, &["--fix-schemas", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.query(next), vec![vec![Some("501".into())]]);
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 0, "{out}");
}

/// A schema only the target has that holds what lockstep does not sync
/// (here a collation) is not dropped with it: the run stops naming the collation and what to
/// do, the target keeps the schema and the collation; once the user drops
/// the collation, the schema goes.
#[test]
fn a_target_only_schema_holding_what_lockstep_does_not_sync_is_not_dropped() {
    let (source, target) = (PgDb::new("pgschemas_keep"), PgDb::new("pgschemas_keep_tgt"));
    source.exec("CREATE TABLE t (id int PRIMARY KEY)");
    target.exec(
        r#"CREATE TABLE t (id int PRIMARY KEY);
           CREATE SCHEMA "Old Stuff";
           CREATE COLLATION "Old Stuff".german (provider = icu, locale = 'de-DE');
           CREATE TABLE "Old Stuff".notes (id int, body text)"#,
    );
    let (code, out, _) = sync(&source, &target, &["--validate-only"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("schema `Old Stuff` exists only in the target"),
        "{out}"
    );

    let (code, out, _) = sync(
        &source,
        &target,
        &["--fix-schemas", "--yes", "--allow-destructive"],
    );
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("collation \"Old Stuff\".german") && out.contains("--exclude"),
        "{out}"
    );
    let kept = r#"SELECT 1 FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
                  WHERE n.nspname = 'Old Stuff'"#;
    assert_eq!(target.query(kept).len(), 1, "{out}");

    target.exec(r#"DROP COLLATION "Old Stuff".german"#);
    let (code, out, _) = sync(
        &source,
        &target,
        &["--fix-schemas", "--yes", "--allow-destructive"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(target.schema_dump(), source.schema_dump());
}
