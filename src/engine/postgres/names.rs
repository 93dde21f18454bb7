//! How the PostgreSQL engine names what lives in a schema: the one rule
//! between a (schema, name) pair and the neutral model's plain `String`
//! name, and back to SQL.
//!
//! An object of the connection's current schema (normally `public`) is
//! named by its bare name, `orders`; an object of any other schema as
//! `schema.name`, `billing.invoices`. A current-schema object whose own
//! name holds a `.` is named `schema.name` too (`public.a.b`), so a name
//! splits at its first dot, always the same way. A schema whose name
//! holds a `.` could not be told apart, and is refused.

use super::types::{quote_ident, quote_text};
use crate::error::{Error, Result};

/// The condition on `n` (a `pg_namespace` row) that keeps the schemas
/// lockstep syncs: every one but the system's (PostgreSQL reserves names
/// starting `pg_` for them: `pg_catalog`, `pg_toast`, the temporary
/// schemas), `information_schema`, and those an extension created.
macro_rules! user_schema {
    () => {
        "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' \
         AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_namespace'::regclass \
            AND e.objid = n.oid AND e.deptype = 'e')"
    };
}
pub(super) use user_schema;

/// The model's names for one connection.
pub(super) struct Namer {
    /// The connection's current schema, unquoted.
    pub current: String,
}

impl Namer {
    /// The model's name of `name` in `schema`.
    pub fn name(&self, schema: &str, name: &str) -> Result<String> {
        if schema.contains('.') {
            return Err(Error::database(
                format!("reading `{name}` in schema `{schema}`"),
                "lockstep names objects outside the current schema `schema.name`, so it cannot \
                 sync a schema whose own name holds a `.`: rename the schema (ALTER SCHEMA ... \
                 RENAME TO ...), or sync from a copy without it",
            ));
        }
        Ok(if schema == self.current && !name.contains('.') {
            name.to_string()
        } else {
            format!("{schema}.{name}")
        })
    }
}

/// The schema a model name names (`None`: the current schema) and the
/// object's own name.
pub fn split(name: &str) -> (Option<&str>, &str) {
    match name.split_once('.') {
        Some((schema, own)) => (Some(schema), own),
        None => (None, name),
    }
}

/// The SQL reference of a table, view, sequence, type or routine by its
/// model name: `"billing"."invoices"`, or `"orders"` in the current schema.
pub fn relation(name: &str) -> String {
    match split(name) {
        (Some(schema), own) => format!("{}.{}", quote_ident(schema), quote_ident(own)),
        (None, own) => quote_ident(own),
    }
}

/// The SQL reference of `own` (an index's name, say) in the schema of the
/// object named `beside` (its table).
pub fn beside(beside: &str, own: &str) -> String {
    match split(beside) {
        (Some(schema), _) => format!("{}.{}", quote_ident(schema), quote_ident(own)),
        (None, _) => quote_ident(own),
    }
}

/// The statement that creates the schema of the object named `name`
/// unless it is there (none for the current schema's objects): it must be
/// before the object is. Not `CREATE SCHEMA IF NOT EXISTS`, which needs
/// the CREATE privilege on the database even when the schema exists, so
/// an account that may create tables in its schemas but no schema would
/// be refused.
pub fn schema_prelude(name: &str) -> Option<String> {
    split(name).0.map(|schema| {
        format!(
            "DO $lockstep$ BEGIN IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = {}) \
             THEN CREATE SCHEMA {}; END IF; END $lockstep$",
            quote_text(schema.as_bytes()),
            quote_ident(schema)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn namer() -> Namer {
        Namer {
            current: "public".into(),
        }
    }

    #[test]
    fn the_current_schema_is_left_out_unless_the_name_holds_a_dot() {
        let n = namer();
        assert_eq!(n.name("public", "orders").unwrap(), "orders");
        assert_eq!(n.name("public", "a.b").unwrap(), "public.a.b");
        assert_eq!(n.name("billing", "invoices").unwrap(), "billing.invoices");
        assert_eq!(n.name("Audit Log", "e.v").unwrap(), "Audit Log.e.v");
        let refused = n.name("a.b", "t").unwrap_err().to_string();
        assert!(
            refused.contains("`a.b`") && refused.contains("RENAME"),
            "{refused}"
        );
    }

    #[test]
    fn names_split_at_the_first_dot_into_sql() {
        assert_eq!(relation("orders"), "\"orders\"");
        assert_eq!(relation("billing.invoices"), "\"billing\".\"invoices\"");
        assert_eq!(relation("public.a.b"), "\"public\".\"a.b\"");
        assert_eq!(relation("Audit Log.x\"y"), "\"Audit Log\".\"x\"\"y\"");
        assert_eq!(beside("billing.t", "t_idx"), "\"billing\".\"t_idx\"");
        assert_eq!(beside("t", "t_idx"), "\"t_idx\"");
        assert_eq!(schema_prelude("orders"), None);
        assert_eq!(
            schema_prelude("Audit Log.entries").as_deref(),
            Some(
                "DO $lockstep$ BEGIN IF NOT EXISTS (SELECT FROM pg_namespace \
                 WHERE nspname = 'Audit Log') THEN CREATE SCHEMA \"Audit Log\"; END IF; END $lockstep$"
            )
        );
    }
}
