//! Running row writes, session settings and DDL on a PostgreSQL session,
//! each batch in one transaction (PostgreSQL's DDL is transactional
//! too), and classifying refused writes by SQLSTATE.

use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use super::connect::error_text;
use super::transient;
use crate::engine::{WriteError, WriteErrorKind};
use crate::error::{Error, Result};

/// A failed write by its SQLSTATE: 23503 a foreign key, 23505 a unique
/// index (the constraint's name as the server gives it), 42501 and 25006
/// (no privilege, a read-only transaction) a denied write; a lost
/// connection, deadlock or serialization failure a transient one.
pub(super) fn write_error(e: &tokio_postgres::Error) -> WriteError {
    let kind = match e.as_db_error() {
        Some(db) if *db.code() == SqlState::FOREIGN_KEY_VIOLATION => WriteErrorKind::ForeignKey {
            constraint: db.constraint().map(str::to_string),
        },
        Some(db) if *db.code() == SqlState::UNIQUE_VIOLATION => WriteErrorKind::Duplicate {
            index: db.constraint().map(str::to_string),
        },
        Some(db)
            if *db.code() == SqlState::INSUFFICIENT_PRIVILEGE
                || *db.code() == SqlState::READ_ONLY_SQL_TRANSACTION =>
        {
            WriteErrorKind::Denied
        }
        _ if transient::is_transient(e) => WriteErrorKind::Transient,
        _ => WriteErrorKind::Other,
    };
    WriteError {
        kind,
        message: error_text(e),
    }
}

/// Runs `statements` as one transaction; on failure rolls back and
/// returns the failed statement's error (a deferred foreign key fails the
/// COMMIT).
async fn in_transaction(
    client: &Client,
    statements: &[String],
) -> std::result::Result<(), (tokio_postgres::Error, String)> {
    let run = |sql: String| async move { client.batch_execute(&sql).await.map_err(|e| (e, sql)) };
    run("BEGIN".to_string()).await?;
    for statement in statements {
        if let Err(failed) = run(statement.clone()).await {
            // The statement's error is what matters; a failed rollback
            // leaves nothing more to undo.
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(failed);
        }
    }
    if let Err(failed) = run("COMMIT".to_string()).await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(failed);
    }
    Ok(())
}

/// Row writes: all or nothing, refusals classified.
pub(super) async fn write_rows(
    client: &Client,
    statements: &[String],
) -> std::result::Result<(), WriteError> {
    in_transaction(client, statements)
        .await
        .map_err(|(e, _)| write_error(&e))
}

/// Schema changes: all or nothing; the error names the statement.
pub(super) async fn run_ddl(client: &Client, statements: &[String]) -> Result<()> {
    in_transaction(client, statements)
        .await
        .map_err(|(e, sql)| Error::statement("changing the schema", &sql, error_text(&e)))
}

/// One session setting.
pub(super) async fn session(client: &Client, sql: &str) -> Result<()> {
    client
        .batch_execute(sql)
        .await
        .map_err(|e| transient::query_error("changing a session setting", sql, &e))
}
