//! Reading SQLite rows exactly, in key order.
//!
//! Every value keeps its storage class (the integer 1, the real 1.0, the
//! text '1' and the blob x'31' are four values), and rows come sorted the
//! way [`Value::key_cmp`] sorts them: SQLite orders NULL < INTEGER/REAL (by
//! numeric value) < TEXT < BLOB, and with `COLLATE BINARY` compares text
//! and blobs with memcmp, shorter first on a tie, as byte vectors compare.

use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::quote_ident;
use crate::data::table::TableData;
use crate::data::value::{Row, Value};
use crate::engine::{RowSender, ROW_CHUNK};
use crate::error::{Error, Result};

/// Streams `table`'s stored columns in key order (the whole row without a
/// key) into `tx`, ROW_CHUNK rows at a time. A receiver that went away
/// ends the stream quietly: nobody wants the rest.
pub(super) fn stream(conn: &Connection, table: &TableData, tx: &RowSender) -> Result<()> {
    let sql = select_sql(table);
    let failed = |e: rusqlite::Error| {
        Error::statement(format!("reading the rows of `{}`", table.name), &sql, e)
    };
    let mut stmt = conn.prepare(&sql).map_err(failed)?;
    let width = table.columns.len();
    let mut rows = stmt.query([]).map_err(failed)?;
    let mut chunk = Vec::with_capacity(ROW_CHUNK);
    while let Some(row) = rows.next().map_err(failed)? {
        let mut values: Row = Vec::with_capacity(width);
        for i in 0..width {
            values.push(value(row.get_ref(i).map_err(failed)?));
        }
        chunk.push(values);
        if chunk.len() == ROW_CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(ROW_CHUNK));
            if tx.blocking_send(Ok(full)).is_err() {
                return Ok(());
            }
        }
    }
    if !chunk.is_empty() {
        // A closed receiver wants nothing more; the stream is over anyway.
        let _ = tx.blocking_send(Ok(chunk));
    }
    Ok(())
}

/// `SELECT <stored columns> FROM t ORDER BY <key> COLLATE BINARY, ...`.
/// The collation only matters for text; it overrides a NOCASE or RTRIM
/// column so text sorts by its bytes.
fn select_sql(table: &TableData) -> String {
    let columns: Vec<String> = table.columns.iter().map(|c| quote_ident(&c.name)).collect();
    let order: Vec<String> = if table.key.is_empty() {
        columns
            .iter()
            .map(|c| format!("{c} COLLATE BINARY"))
            .collect()
    } else {
        table
            .key
            .iter()
            .map(|&i| format!("{} COLLATE BINARY", columns[i]))
            .collect()
    };
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        columns.join(", "),
        quote_ident(&table.name),
        order.join(", ")
    )
}

/// One stored value, by its storage class.
fn value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Double(f),
        ValueRef::Text(bytes) => Value::Text(bytes.to_vec()),
        ValueRef::Blob(bytes) => Value::Bytes(bytes.to_vec()),
    }
}
