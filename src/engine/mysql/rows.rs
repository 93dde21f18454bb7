//! Reading MySQL/MariaDB rows exactly, in key order.
//!
//! Rows are read with the binary protocol (a prepared statement), so FLOAT
//! and DOUBLE arrive as their exact bits and dates and times as components;
//! the session sends text as the stored bytes (`character_set_results =
//! binary`). Each column's value kind comes from its neutral type.

use mysql_async::prelude::Queryable;
use mysql_async::Value as MyValue;

use super::ddl::quote_ident;
use crate::catalog::model::SqlType;
use crate::data::table::{DataColumn, TableData};
use crate::data::value::{Row, Value};
use crate::engine::{RowSender, ROW_CHUNK};
use crate::error::{Error, Result};

/// What a column's values become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Int,
    UInt,
    Float,
    Double,
    Decimal,
    Text,
    Bytes,
    /// DATE, DATETIME, TIMESTAMP and TIME: by the protocol's value.
    Temporal,
    /// A type lockstep does not know (MariaDB's INET6 ...): by the
    /// protocol's value, strings as text (every binary type is known, and
    /// with binary results the protocol marks every string binary).
    Unknown,
}

impl Kind {
    pub(super) fn of(sql_type: &SqlType) -> Kind {
        match sql_type {
            SqlType::Integer { unsigned: true, .. } => Kind::UInt,
            SqlType::Integer { .. } | SqlType::Year | SqlType::Boolean => Kind::Int,
            SqlType::Decimal { .. } => Kind::Decimal,
            SqlType::Float { double: false, .. } => Kind::Float,
            SqlType::Float { double: true, .. } => Kind::Double,
            SqlType::Char { .. }
            | SqlType::Text { .. }
            | SqlType::Enum { .. }
            | SqlType::Set { .. }
            | SqlType::Json
            | SqlType::Uuid => Kind::Text,
            SqlType::Bit { .. }
            | SqlType::Binary { .. }
            | SqlType::Blob { .. }
            | SqlType::Spatial { .. } => Kind::Bytes,
            SqlType::Date
            | SqlType::Time { .. }
            | SqlType::DateTime { .. }
            | SqlType::Timestamp { .. } => Kind::Temporal,
            _ => Kind::Unknown,
        }
    }
}

/// An expression whose bytes are exactly the value read from `column`,
/// for columns the server compares otherwise (character data by
/// collation, ENUM/SET by member number, types it does not model by their
/// packed form); `None` when the column's own order and equality already
/// match lockstep's values.
pub(super) fn byte_form(column: &DataColumn) -> Option<String> {
    let name = quote_ident(&column.name);
    match &column.sql_type {
        SqlType::Char { .. }
        | SqlType::Text { .. }
        | SqlType::Enum { .. }
        | SqlType::Set { .. }
        | SqlType::Json
        | SqlType::Spatial { .. } => Some(format!("CAST({name} AS BINARY)")),
        SqlType::Uuid | SqlType::Other { .. } => {
            Some(format!("CAST(CAST({name} AS CHAR) AS BINARY)"))
        }
        _ => None,
    }
}

/// The `ORDER BY` term of a column, ordering as `Value::key_cmp` does.
pub(super) fn order_term(column: &DataColumn) -> String {
    byte_form(column).unwrap_or_else(|| quote_ident(&column.name))
}

/// `SELECT <stored columns> FROM t ORDER BY <key>` (the whole row without
/// a key).
pub(super) fn select_sql(table: &TableData, condition: Option<String>) -> String {
    let columns: Vec<String> = table.columns.iter().map(|c| quote_ident(&c.name)).collect();
    let order: Vec<String> = if table.key.is_empty() {
        table.columns.iter().map(order_term).collect()
    } else {
        table
            .key
            .iter()
            .map(|&i| order_term(&table.columns[i]))
            .collect()
    };
    let filter = condition.map(|c| format!(" WHERE {c}")).unwrap_or_default();
    format!(
        "SELECT {} FROM {}{filter} ORDER BY {}",
        columns.join(", "),
        quote_ident(&table.name),
        order.join(", ")
    )
}

/// Streams the table's rows in key order into `tx`, `ROW_CHUNK` at a time.
/// Stops quietly when the receiver is gone.
pub(super) async fn stream(
    conn: &mut mysql_async::Conn,
    table: &TableData,
    condition: Option<String>,
    tx: &RowSender,
) -> Result<()> {
    let columns: Vec<(Kind, &str)> = table
        .columns
        .iter()
        .map(|c| (Kind::of(&c.sql_type), c.name.as_str()))
        .collect();
    let context = format!("reading the rows of `{}`", table.name);
    stream_select(conn, &select_sql(table, condition), &columns, &context, tx).await
}

/// Streams the rows of `sql` (a prepared statement: binary protocol),
/// each value read as its `columns` kind says, into `tx`, `ROW_CHUNK` at
/// a time. Stops quietly when the receiver is gone.
pub(super) async fn stream_select(
    conn: &mut mysql_async::Conn,
    sql: &str,
    columns: &[(Kind, &str)],
    context: &str,
    tx: &RowSender,
) -> Result<()> {
    let mut result = conn
        .exec_iter(sql, ())
        .await
        .map_err(|e| super::transient::query_error(context, sql, e))?;
    let mut chunk: Vec<Row> = Vec::with_capacity(ROW_CHUNK);
    while let Some(row) = result
        .next()
        .await
        .map_err(|e| super::transient::query_error(context, sql, e))?
    {
        let values = row.unwrap_raw();
        if values.len() != columns.len() {
            return Err(Error::statement(
                context,
                sql,
                format!(
                    "expected {} columns, the server sent {}",
                    columns.len(),
                    values.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(values.len());
        for (value, (kind, name)) in values.into_iter().zip(columns) {
            let converted = value
                .ok_or_else(|| "a value went missing".to_string())
                .and_then(|v| convert(*kind, v))
                .map_err(|message| {
                    Error::statement(context, sql, format!("column `{name}`: {message}"))
                })?;
            out.push(converted);
        }
        chunk.push(out);
        if chunk.len() == ROW_CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(ROW_CHUNK));
            if tx.send(Ok(full)).await.is_err() {
                return Ok(());
            }
        }
    }
    if !chunk.is_empty() {
        // A closed receiver no longer wants the rows: nothing to report.
        let _ = tx.send(Ok(chunk)).await;
    }
    Ok(())
}

/// One protocol value as a lockstep value of the column's kind.
pub(super) fn convert(kind: Kind, value: MyValue) -> std::result::Result<Value, String> {
    let unexpected = |v: &MyValue| format!("unexpected value {v:?} for a {kind:?} column");
    Ok(match (kind, value) {
        (_, MyValue::NULL) => Value::Null,
        (Kind::Int, MyValue::Int(v)) => Value::Int(v),
        (Kind::Int, MyValue::UInt(v)) => {
            Value::Int(i64::try_from(v).map_err(|_| format!("{v} is out of range"))?)
        }
        (Kind::UInt, MyValue::Int(v)) => {
            Value::UInt(u64::try_from(v).map_err(|_| format!("{v} is out of range"))?)
        }
        (Kind::UInt, MyValue::UInt(v)) => Value::UInt(v),
        (Kind::Float, MyValue::Float(v)) => Value::Float(v),
        (Kind::Double, MyValue::Double(v)) => Value::Double(v),
        (Kind::Decimal, MyValue::Bytes(b)) => Value::Decimal(
            String::from_utf8(b).map_err(|_| "a DECIMAL value that is not text".to_string())?,
        ),
        (Kind::Text, MyValue::Bytes(b)) => Value::Text(b),
        (Kind::Bytes, MyValue::Bytes(b)) => Value::Bytes(b),
        (
            Kind::Temporal | Kind::Unknown,
            MyValue::Date(year, month, day, hour, minute, second, micros),
        ) => Value::DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            micros,
        },
        (
            Kind::Temporal | Kind::Unknown,
            MyValue::Time(negative, days, hours, minutes, seconds, micros),
        ) => Value::Time {
            negative,
            days,
            hours,
            minutes,
            seconds,
            micros,
        },
        (Kind::Unknown, MyValue::Bytes(b)) => Value::Text(b),
        (Kind::Unknown, MyValue::Int(v)) => Value::Int(v),
        (Kind::Unknown, MyValue::UInt(v)) => Value::UInt(v),
        (Kind::Unknown, MyValue::Float(v)) => Value::Float(v),
        (Kind::Unknown, MyValue::Double(v)) => Value::Double(v),
        (_, v) => return Err(unexpected(&v)),
    })
}
