//! PostgreSQL's extensions: reading the database's (all but `plpgsql`,
//! which every database has) and the statements that create, update and
//! drop them. Their objects are not read as the schema's own (the type
//! and routine queries leave out what an extension owns).

use tokio_postgres::Client;

use super::introspect::query;
use super::types::{quote_ident, quote_text};
use crate::catalog::extensions::{Extension, ExtensionChange};
use crate::error::Result;

const EXTENSIONS: &str = "SELECT e.extname::text, n.nspname::text, e.extversion \
     FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
     WHERE e.extname <> 'plpgsql' ORDER BY e.extname COLLATE \"C\"";

/// The database's extensions, by name.
pub(super) async fn read(client: &Client) -> Result<Vec<Extension>> {
    Ok(query(client, "extensions", EXTENSIONS)
        .await?
        .into_iter()
        .map(|row| Extension {
            name: row.get(0),
            schema: row.get(1),
            version: row.get(2),
        })
        .collect())
}

/// One extension change as statements: created in the source's schema at
/// the source's version (the server must have that version's files);
/// moved and updated in place; dropped (without CASCADE: the server
/// refuses while a column is of one of its types).
pub(super) fn render(change: &ExtensionChange) -> Vec<String> {
    let version = |e: &Extension| quote_text(e.version.as_bytes());
    match change {
        ExtensionChange::Create(e) => vec![format!(
            "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {} VERSION {}",
            quote_ident(&e.name),
            quote_ident(&e.schema),
            version(e)
        )],
        ExtensionChange::Update { current, desired } => {
            let name = quote_ident(&desired.name);
            let mut out = Vec::new();
            if current.schema != desired.schema {
                out.push(format!(
                    "ALTER EXTENSION {name} SET SCHEMA {}",
                    quote_ident(&desired.schema)
                ));
            }
            if current.version != desired.version {
                out.push(format!(
                    "ALTER EXTENSION {name} UPDATE TO {}",
                    version(desired)
                ));
            }
            out
        }
        ExtensionChange::Drop(e) => vec![format!("DROP EXTENSION {}", quote_ident(&e.name))],
    }
}
