//! Several statements in one round trip: one multi-statement text query
//! whose answers are read in order. Over a link each statement sent alone
//! waits a round trip (20 ms to a data centre); sent together they wait
//! one. The server stops at the first statement that fails, so a batch
//! holds only statements whose failure fails the whole step.

use mysql_async::prelude::{FromRow, FromValue, Queryable};
use mysql_async::Row;

use crate::error::{Error, Result};

/// One statement of a batch and what it does, for its error.
pub(super) struct Statement {
    pub what: String,
    pub sql: String,
}

impl Statement {
    pub fn new(what: impl Into<String>, sql: impl Into<String>) -> Self {
        Statement {
            what: what.into(),
            sql: sql.into(),
        }
    }
}

/// The rows each statement returned, in order (none for a statement that
/// returns no rows, such as SET). A failure becomes `fail(what, sql,
/// error)` of the statement that failed.
pub(super) async fn query_all(
    conn: &mut mysql_async::Conn,
    statements: &[Statement],
    fail: impl Fn(&str, &str, mysql_async::Error) -> Error,
) -> Result<Vec<Vec<Row>>> {
    let mut answers = Vec::with_capacity(statements.len());
    let Some(first) = statements.first() else {
        return Ok(answers);
    };
    let text: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
    let mut results = conn
        .query_iter(text.join(";\n"))
        .await
        .map_err(|e| fail(&first.what, &first.sql, e))?;
    for statement in statements {
        let rows: Vec<Row> = results
            .collect()
            .await
            .map_err(|e| fail(&statement.what, &statement.sql, e))?;
        answers.push(rows);
    }
    Ok(answers)
}

/// The schema-reading failure of a statement: its text and the server's
/// message.
pub(super) fn schema_error(what: &str, sql: &str, error: mysql_async::Error) -> Error {
    Error::statement(what, sql, error)
}

/// Rows of one answer as `T`; a row of another shape names what was read.
pub(super) fn typed<T: FromRow>(rows: Vec<Row>, what: &str) -> Result<Vec<T>> {
    rows.into_iter()
        .map(|row| {
            mysql_async::from_row_opt(row).map_err(|e| {
                Error::database(what, format!("the server answered an unexpected row: {e}"))
            })
        })
        .collect()
}

/// Column `column` of an answer's first row, if it has one and it reads
/// as `T`.
pub(super) fn first_value<T: FromValue>(rows: Vec<Row>, column: usize) -> Option<T> {
    rows.into_iter()
        .next()
        .and_then(|row| row.get::<T, _>(column))
}

/// A name as a string literal in a batch (the text protocol has no
/// parameters): its UTF-8 bytes in hex, read as utf8mb4, so no quote,
/// backslash or server `sql_mode` can change it.
pub(super) fn name_literal(name: &str) -> String {
    format!(
        "CONVERT({} USING utf8mb4)",
        super::write::hex(name.as_bytes())
    )
}
