//! Bulk loads of empty tables with `COPY ... FROM STDIN` in its text
//! format, in one transaction: rows are written as they arrive, each
//! value exactly (the same text forms as the literals of `write`).

use bytes::Bytes;
use futures_util::SinkExt;
use tokio_postgres::Client;

use super::execute::write_error;
use super::names::relation;
use super::transient;
use super::types::{float_text, quote_ident, Kind};
use crate::data::table::TableData;
use crate::data::value::{Row, Value};
use crate::engine::{BulkLoad, RowReceiver};
use crate::error::Result;

/// `COPY t (columns) FROM STDIN`.
fn copy_sql(table: &TableData) -> String {
    let names: Vec<String> = table.columns.iter().map(|c| quote_ident(&c.name)).collect();
    format!(
        "COPY {} ({}) FROM STDIN",
        relation(&table.name),
        names.join(", ")
    )
}

/// Text with COPY's escapes for backslash, newline, carriage return, tab.
fn escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.push(b),
        }
    }
}

/// One value in COPY's text format.
fn value(out: &mut Vec<u8>, kind: Kind, value: &Value) {
    use std::io::Write;
    match (kind, value) {
        (_, Value::Null) => out.extend_from_slice(b"\\N"),
        (Kind::Bool, Value::Int(v)) => out.push(if *v != 0 { b't' } else { b'f' }),
        (_, Value::Int(v)) => {
            let _ = write!(out, "{v}");
        }
        (_, Value::UInt(v)) => {
            let _ = write!(out, "{v}");
        }
        (_, Value::Float(v)) => out.extend_from_slice(float_text(f64::from(*v), true).as_bytes()),
        (_, Value::Double(v)) => out.extend_from_slice(float_text(*v, false).as_bytes()),
        (_, Value::Decimal(d)) => escaped(out, d.as_bytes()),
        (_, Value::Text(b)) => escaped(out, b),
        (_, Value::Bytes(b)) => {
            out.extend_from_slice(b"\\\\x");
            for byte in b {
                let _ = write!(out, "{byte:02x}");
            }
        }
        (_, v @ (Value::DateTime { .. } | Value::Time { .. })) => {
            escaped(out, v.temporal_text().unwrap_or_default().as_bytes())
        }
    }
}

/// Rows as COPY text: values apart by tabs, rows ended by newlines.
fn encode(kinds: &[Kind], rows: &[Row]) -> Bytes {
    let mut out = Vec::new();
    for row in rows {
        for (i, (kind, v)) in kinds.iter().zip(row).enumerate() {
            if i > 0 {
                out.push(b'\t');
            }
            value(&mut out, *kind, v);
        }
        out.push(b'\n');
    }
    Bytes::from(out)
}

/// What a COPY came to: loaded, refused by the server, or stopped
/// because the rows could not be read (`Err`).
pub(super) async fn copy(
    client: &Client,
    table: &TableData,
    mut rows: RowReceiver,
) -> Result<BulkLoad> {
    let kinds: Vec<Kind> = table.columns.iter().map(Kind::of).collect();
    let sql = copy_sql(table);
    let context = || format!("loading the rows of `{}`", table.name);
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| transient::query_error(context(), "BEGIN", &e))?;
    let rollback = || async {
        // The load's own error is what matters; a failed rollback leaves
        // nothing more to undo.
        let _ = client.batch_execute("ROLLBACK").await;
    };
    let mut sink: std::pin::Pin<Box<tokio_postgres::CopyInSink<Bytes>>> =
        match client.copy_in(sql.as_str()).await {
            Ok(sink) => Box::pin(sink),
            Err(e) => {
                rollback().await;
                return Ok(BulkLoad::Refused(write_error(&e)));
            }
        };
    while let Some(chunk) = rows.recv().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                // Dropping the sink unfinished aborts the COPY.
                drop(sink);
                rollback().await;
                return Err(e);
            }
        };
        if let Err(e) = sink.send(encode(&kinds, &chunk)).await {
            rollback().await;
            return Ok(BulkLoad::Refused(write_error(&e)));
        }
    }
    if let Err(e) = sink.as_mut().finish().await {
        rollback().await;
        return Ok(BulkLoad::Refused(write_error(&e)));
    }
    match client.batch_execute("COMMIT").await {
        Ok(()) => Ok(BulkLoad::Loaded),
        Err(e) => {
            rollback().await;
            Ok(BulkLoad::Refused(write_error(&e)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        let rows = vec![vec![
            Value::Int(1),
            Value::Text(b"a\tb\\c\nd".to_vec()),
            Value::Null,
            Value::Bytes(vec![0, 255]),
            Value::Int(0),
        ]];
        let kinds = [Kind::Int, Kind::Text, Kind::Text, Kind::Bytes, Kind::Bool];
        assert_eq!(
            &encode(&kinds, &rows)[..],
            b"1\ta\\tb\\\\c\\nd\t\\N\t\\\\x00ff\tf\n"
        );
    }
}
