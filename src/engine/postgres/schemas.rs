//! PostgreSQL's schemas as the catalog lists them: every user schema but
//! the connection's current one (see `names`), each with what it holds
//! that lockstep does not sync, and the statement that drops one only
//! the target has (never with `CASCADE`).

use tokio_postgres::Row;

use super::ddl::refuse;
use super::names::user_schema;
use super::types::quote_ident;
use crate::catalog::schemas::Schema;

/// Each user schema but the current one, with what lies in it (every
/// object records a dependency on its schema) that lockstep does not
/// sync: not its tables, views, sequences, user-defined types, routines
/// and aggregates, nor an extension and what an extension or another
/// object owns (they go with their owner). Each as the server describes
/// it (`collation billing.german`).
pub(super) const SCHEMAS: &str = concat!(
    "SELECT n.nspname::text, ARRAY(SELECT o.type || ' ' || o.identity \
        FROM pg_depend d, pg_identify_object(d.classid, d.objid, d.objsubid) AS o \
        WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = n.oid AND d.deptype = 'n' \
        AND d.classid <> 'pg_extension'::regclass \
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = d.classid \
           AND e.objid = d.objid AND e.deptype IN ('e', 'i')) \
        AND NOT (d.classid = 'pg_class'::regclass AND (SELECT relkind FROM pg_class \
           WHERE oid = d.objid) IN ('r', 'p', 'v', 'm', 'S', 'c')) \
        AND NOT (d.classid = 'pg_proc'::regclass AND (SELECT prokind FROM pg_proc \
           WHERE oid = d.objid) IN ('f', 'p', 'a')) \
        AND NOT (d.classid = 'pg_type'::regclass AND (SELECT typtype FROM pg_type \
           WHERE oid = d.objid) IN ('e', 'd', 'c', 'r', 'm')) \
        ORDER BY 1) \
     FROM pg_namespace n WHERE n.nspname <> current_schema() AND ",
    user_schema!(),
    " ORDER BY n.nspname COLLATE \"C\""
);

/// The schemas of `rows` (from [`SCHEMAS`]).
pub(super) fn schemas(rows: Vec<Row>) -> Vec<Schema> {
    rows.into_iter()
        .map(|row| Schema {
            name: row.get(0),
            unsynced: row.get(1),
        })
        .collect()
}

/// `DROP SCHEMA` without `CASCADE` (the server refuses while anything is
/// in it); refused, naming what is in it, where it holds what lockstep
/// does not sync.
pub(super) fn drop(schema: &Schema) -> String {
    match schema.unsynced.is_empty() {
        true => format!("DROP SCHEMA {}", quote_ident(&schema.name)),
        false => refuse(&schema.refusal()),
    }
}
