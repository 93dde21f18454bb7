//! Running statements on a MySQL/MariaDB target: row writes as one
//! transaction each (a warning, i.e. a value the server would change,
//! fails the write), DDL with FK checks off, and session settings.

use mysql_async::prelude::Queryable;

use super::{lexer, write};
use crate::catalog::model::Flavor;
use crate::engine::{WriteError, WriteErrorKind};
use crate::error::{Error, Result};

/// Warnings that do not mean a value changed: deprecated syntax
/// (MySQL 8.0.20+ flags `VALUES()` in ON DUPLICATE KEY UPDATE).
const HARMLESS_WARNINGS: &[u32] = &[1287];

/// Runs the statements in one transaction, each in its wire form
/// (`write::wire_form`); on failure rolls back and classifies the error
/// (1451/1452 foreign key, 1062 duplicate). A statement that leaves a
/// warning (a value the server changed) fails too, and so does one longer
/// than the server's `max_allowed_packet`, before it is sent (the server
/// would drop the connection).
pub(super) async fn write_rows(
    conn: &mut mysql_async::Conn,
    flavor: &Flavor,
    max_allowed_packet: usize,
    statements: &[String],
) -> Result<(), WriteError> {
    if statements.is_empty() {
        return Ok(());
    }
    let outcome = transaction(conn, flavor, max_allowed_packet, statements).await;
    if outcome.is_err() {
        // The failure is what matters; a lost connection rolls back too.
        let _ = conn.query_drop("ROLLBACK").await;
    }
    outcome
}

async fn transaction(
    conn: &mut mysql_async::Conn,
    flavor: &Flavor,
    max_allowed_packet: usize,
    statements: &[String],
) -> Result<(), WriteError> {
    let fail = |e: mysql_async::Error| write::write_error(flavor, &e);
    conn.query_drop("START TRANSACTION").await.map_err(fail)?;
    for sql in statements {
        let wire = write::wire_form(sql);
        // The packet holds the statement and a command byte.
        if wire.len() + 1 > max_allowed_packet {
            return Err(too_large(wire.len(), max_allowed_packet));
        }
        conn.query_drop(wire).await.map_err(fail)?;
        if conn.get_warnings() > 0 {
            refuse_warnings(conn, sql).await?;
        }
    }
    conn.query_drop("COMMIT").await.map_err(fail)
}

/// A write that cannot be sent: its statement (one row's, as batches are
/// kept smaller) is longer than the server takes.
fn too_large(statement: usize, max_allowed_packet: usize) -> WriteError {
    const MIB: usize = 1 << 20;
    // Room for the command byte and framing, in whole MiB.
    let needed = (statement + 1024).div_ceil(MIB) * MIB;
    WriteError {
        kind: WriteErrorKind::Other,
        message: format!(
            "the row is too large for the target: writing it takes a statement of {statement} bytes, \
             more than the target's max_allowed_packet ({max_allowed_packet} bytes); \
             raise max_allowed_packet on the target to at least {needed} \
             (SET GLOBAL max_allowed_packet = {needed}, or max_allowed_packet in the server's \
             configuration) and sync again"
        ),
    }
}

/// Fails with the last statement's warnings unless all are harmless.
async fn refuse_warnings(conn: &mut mysql_async::Conn, sql: &str) -> Result<(), WriteError> {
    let rows: Vec<(Vec<u8>, u32, Vec<u8>)> =
        conn.query("SHOW WARNINGS").await.map_err(|e| WriteError {
            kind: WriteErrorKind::Other,
            message: format!("reading the warnings of a row write: {e}"),
        })?;
    let serious: Vec<String> = rows
        .iter()
        .filter(|(_, code, _)| !HARMLESS_WARNINGS.contains(code))
        .map(|(level, code, message)| {
            format!(
                "{} {code}: {}",
                String::from_utf8_lossy(level),
                String::from_utf8_lossy(message)
            )
        })
        .collect();
    if serious.is_empty() {
        return Ok(());
    }
    let mut shown: String = sql.chars().take(200).collect();
    if shown.len() < sql.len() {
        shown.push('…');
    }
    Err(WriteError {
        kind: WriteErrorKind::Other,
        message: format!(
            "the server would not store the values exactly ({}) in: {shown}",
            serious.join("; ")
        ),
    })
}

/// Runs DDL with foreign key checks off, restoring them afterwards even
/// when a statement fails.
pub(super) async fn run_ddl(conn: &mut mysql_async::Conn, statements: &[String]) -> Result<()> {
    const OFF: &str = "SET FOREIGN_KEY_CHECKS=0";
    const ON: &str = "SET FOREIGN_KEY_CHECKS=1";
    conn.query_drop(OFF)
        .await
        .map_err(|e| Error::statement("preparing schema changes", OFF, e))?;
    let mut outcome = Ok(());
    for sql in statements {
        if let Err(e) = conn.query_drop(sql).await {
            let context = match statement_object(sql) {
                Some(name) => format!("schema change on `{name}` failed"),
                None => "schema change failed".to_string(),
            };
            outcome = Err(Error::statement(context, sql, e));
            break;
        }
    }
    let restored = conn
        .query_drop(ON)
        .await
        .map_err(|e| Error::statement("restoring foreign key checks", ON, e));
    outcome.and(restored)
}

/// Runs one session-setting statement.
pub(super) async fn session(conn: &mut mysql_async::Conn, sql: &str) -> Result<()> {
    conn.query_drop(sql)
        .await
        .map_err(|e| super::transient::query_error("changing a session setting", sql, e))
}

/// The first quoted name in a DDL statement after its DEFINER clause: the
/// table, view or routine it changes.
fn statement_object(sql: &str) -> Option<String> {
    let from = match sql.find("DEFINER=") {
        Some(at) => at + sql[at..].find(char::is_whitespace)?,
        None => 0,
    };
    let at = from + sql[from..].find('`')?;
    lexer::read_ident(&sql[at..]).map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::statement_object;

    #[test]
    fn a_failed_statement_names_its_object_not_its_definer() {
        assert_eq!(
            statement_object("ALTER TABLE `t` ADD COLUMN `c` int").as_deref(),
            Some("t")
        );
        assert_eq!(
            statement_object("CREATE DEFINER=`root`@`localhost` PROCEDURE `p`() SELECT 1")
                .as_deref(),
            Some("p")
        );
        assert_eq!(statement_object("SET SESSION sql_mode = ''"), None);
    }
}
