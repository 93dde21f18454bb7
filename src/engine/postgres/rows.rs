//! Reading PostgreSQL rows exactly, in key order, through a cursor.
//!
//! Each column is selected as its [`Kind`] carries it (binary integers,
//! floats, booleans and bytea; text as its bytes; numeric and every other
//! type as its text form) and ordered so that the stream's order is
//! `Value::key_cmp`'s: numbers by value, text and text forms by their
//! bytes (`COLLATE "C"`), bytea by bytes, NULL first. A cursor hands the
//! rows over in chunks of `ROW_CHUNK`, so a reader that stops early leaves
//! the rest on the server. A table's rows are its own: an inheritance
//! parent's without its children's (see `relation`).

use futures_util::stream::{FuturesOrdered, StreamExt};
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::Client;

use super::names;
use super::transient;
use super::types::{quote_ident, Kind};
use super::write::literal;
use crate::data::segment::KeyRange;
use crate::data::table::{DataColumn, TableData};
use crate::data::value::{Row, Value};
use crate::engine::keyed;
use crate::engine::{RowSender, ROW_CHUNK};
use crate::error::{Error, Result};

/// The expression a column is read as.
pub(super) fn read_expr(column: &DataColumn) -> String {
    let name = quote_ident(&column.name);
    match Kind::of(column) {
        Kind::Decimal | Kind::Rendered => format!("{name}::text"),
        _ => name,
    }
}

/// The expression whose order is `key_cmp`'s order of the column's values.
pub(super) fn order_expr(column: &DataColumn) -> String {
    let name = quote_ident(&column.name);
    match Kind::of(column) {
        Kind::Text => format!("({name} COLLATE \"C\")"),
        Kind::Rendered => format!("({name}::text COLLATE \"C\")"),
        _ => name,
    }
}

/// The columns rows are ordered by: the key, or every column without one.
pub(super) fn key_columns(table: &TableData) -> Vec<&DataColumn> {
    table
        .order_columns()
        .into_iter()
        .map(|i| &table.columns[i])
        .collect()
}

/// `ORDER BY` terms of the stream order, NULL first as in `key_cmp`.
pub(super) fn order_by(table: &TableData) -> String {
    key_columns(table)
        .into_iter()
        .map(|c| format!("{} NULLS FIRST", order_expr(c)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Clone, Copy)]
enum Cmp {
    Greater,
    Less,
    Equal,
}

/// `a > v`, `a < v`, `a = v` in key order (NULL first).
fn compare(column: &DataColumn, cmp: Cmp, value: &Value) -> String {
    let term = order_expr(column);
    let kind = Kind::of(column);
    match (cmp, value) {
        (Cmp::Greater, Value::Null) => format!("{term} IS NOT NULL"),
        (Cmp::Less, Value::Null) => "FALSE".to_string(),
        (Cmp::Equal, Value::Null) => format!("{term} IS NULL"),
        (Cmp::Greater, v) => format!("{term} > {}", literal(kind, v)),
        (Cmp::Equal, v) => format!("{term} = {}", literal(kind, v)),
        (Cmp::Less, v) if column.nullable => {
            format!("({term} IS NULL OR {term} < {})", literal(kind, v))
        }
        (Cmp::Less, v) => format!("{term} < {}", literal(kind, v)),
    }
}

/// Keys strictly beyond `bound` (Greater) or before it (Less): an OR of
/// "equal on a prefix, then beyond".
fn beyond(columns: &[&DataColumn], bound: &[Value], cmp: Cmp) -> Vec<String> {
    (0..bound.len().min(columns.len()))
        .map(|i| {
            let mut terms: Vec<String> = (0..i)
                .map(|j| compare(columns[j], Cmp::Equal, &bound[j]))
                .collect();
            terms.push(compare(columns[i], cmp, &bound[i]));
            format!("({})", terms.join(" AND "))
        })
        .collect()
}

/// The range's `WHERE` condition; `None` when it holds every row.
pub(super) fn range_condition(range: &KeyRange, table: &TableData) -> Option<String> {
    let columns = key_columns(table);
    let mut parts = Vec::new();
    if let Some(after) = &range.after {
        let any = beyond(&columns, after, Cmp::Greater);
        parts.push(format!("({})", any.join(" OR ")));
    }
    if let Some(up_to) = &range.up_to {
        let mut any = beyond(&columns, up_to, Cmp::Less);
        let equal: Vec<String> = columns
            .iter()
            .zip(up_to)
            .map(|(c, v)| compare(c, Cmp::Equal, v))
            .collect();
        any.push(format!("({})", equal.join(" AND ")));
        parts.push(format!("({})", any.join(" OR ")));
    }
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// The table's rows as a relation to read, update or delete from:
/// `ONLY t`, its own rows without those of tables inheriting from it, or,
/// for a partitioned table, `t` with its partitions' rows (it has none of
/// its own).
pub(super) fn relation(table: &TableData) -> String {
    match table.partitioned {
        true => names::relation(&table.name),
        false => format!("ONLY {}", names::relation(&table.name)),
    }
}

/// `FROM t [WHERE range]` (see `relation`).
pub(super) fn from_where(table: &TableData, range: Option<&KeyRange>) -> String {
    let mut sql = format!("FROM {}", relation(table));
    if let Some(condition) = range.and_then(|r| range_condition(r, table)) {
        sql.push_str(" WHERE ");
        sql.push_str(&condition);
    }
    sql
}

/// `SELECT <stored columns> FROM t [WHERE condition] ORDER BY <key>`.
pub(super) fn select_sql(table: &TableData, condition: Option<String>) -> String {
    let columns: Vec<String> = table.columns.iter().map(read_expr).collect();
    let filter = condition.map(|c| format!(" WHERE {c}")).unwrap_or_default();
    format!(
        "SELECT {} FROM {}{filter} ORDER BY {}",
        columns.join(", "),
        relation(table),
        order_by(table)
    )
}

/// The condition true for the rows whose key is one of `keys` (see
/// `engine::keyed`).
pub(super) fn keyed_condition(table: &TableData, keys: &[Vec<Value>]) -> String {
    let columns = key_columns(table);
    let names: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
    let literal = |i: usize, v: &Value| literal(Kind::of(columns[i]), v);
    keyed::keyed_condition(&names, keys, literal, "IS NOT DISTINCT FROM")
}

/// A value as the server sent it, before it is read by its column's kind.
struct Raw<'a>(Option<&'a [u8]>);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(
        _: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(Some(raw)))
    }

    fn from_sql_null(
        _: &Type,
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(None))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// One value of the binary protocol as a lockstep value of `kind`.
fn decode(kind: Kind, raw: Option<&[u8]>) -> std::result::Result<Value, String> {
    let Some(raw) = raw else {
        return Ok(Value::Null);
    };
    let width = |n: usize| -> std::result::Result<(), String> {
        if raw.len() == n {
            Ok(())
        } else {
            Err(format!("a {kind:?} value of {} bytes", raw.len()))
        }
    };
    Ok(match kind {
        Kind::Int => match raw.len() {
            2 => Value::Int(i64::from(i16::from_be_bytes([raw[0], raw[1]]))),
            4 => Value::Int(i64::from(i32::from_be_bytes(raw.try_into().unwrap()))),
            8 => Value::Int(i64::from_be_bytes(raw.try_into().unwrap())),
            n => return Err(format!("an integer of {n} bytes")),
        },
        Kind::Bool => {
            width(1)?;
            Value::Int(i64::from(raw[0] != 0))
        }
        Kind::Float => {
            width(4)?;
            Value::Float(f32::from_be_bytes(raw.try_into().unwrap()))
        }
        Kind::Double => {
            width(8)?;
            Value::Double(f64::from_be_bytes(raw.try_into().unwrap()))
        }
        Kind::Decimal => Value::Decimal(
            String::from_utf8(raw.to_vec()).map_err(|_| "a numeric that is not text")?,
        ),
        Kind::Bytes => Value::Bytes(raw.to_vec()),
        Kind::Text | Kind::Rendered => Value::Text(raw.to_vec()),
    })
}

/// Rows of a query's result, read by the kinds of `columns`.
pub(super) fn decode_rows(
    rows: &[tokio_postgres::Row],
    columns: &[&DataColumn],
) -> std::result::Result<Vec<Row>, String> {
    let kinds: Vec<Kind> = columns.iter().map(|c| Kind::of(c)).collect();
    rows.iter()
        .map(|row| {
            if row.len() != kinds.len() {
                return Err(format!(
                    "expected {} columns, the server sent {}",
                    kinds.len(),
                    row.len()
                ));
            }
            (0..row.len())
                .map(|i| {
                    let raw: Raw = row.try_get(i).map_err(|e| e.to_string())?;
                    decode(kinds[i], raw.0)
                        .map_err(|m| format!("column `{}`: {m}", columns[i].name))
                })
                .collect()
        })
        .collect()
}

const CURSOR: &str = "lockstep_rows";

/// FETCHes sent ahead of the one being read: over a link each would
/// otherwise wait a round trip before the server sends anything, and the
/// rows in flight stay bounded (this many chunks).
const FETCHES_AHEAD: usize = 3;

/// Streams the table's rows (one range's, or all) in key order into `tx`,
/// `ROW_CHUNK` at a time, through a cursor, with `FETCHES_AHEAD` more
/// FETCHes pipelined behind the one being read. Outside a transaction (a
/// target's reader) the read runs in a read-only transaction of its own,
/// so it sees one moment. Stops quietly when the receiver is gone.
pub(super) async fn stream(
    client: &Client,
    in_transaction: bool,
    table: &TableData,
    condition: Option<String>,
    tx: &RowSender,
) -> Result<()> {
    let columns: Vec<&DataColumn> = table.columns.iter().collect();
    let context = format!("reading the rows of `{}`", table.name);
    let select = select_sql(table, condition);
    stream_select(client, in_transaction, &select, &columns, &context, tx).await
}

/// Streams the rows of `select`, read as `columns` say, like `stream`.
pub(super) async fn stream_select(
    client: &Client,
    in_transaction: bool,
    select: &str,
    columns: &[&DataColumn],
    context: &str,
    tx: &RowSender,
) -> Result<()> {
    let context = || context.to_string();
    let run = |sql: String| async move {
        client
            .batch_execute(&sql)
            .await
            .map_err(|e| transient::query_error(context(), &sql, &e))
    };
    if !in_transaction {
        run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".to_string()).await?;
    }
    let read = async {
        // Prepared once: a FETCH then goes out when its future is first
        // polled, so the pipelined ones reach the server in order (an
        // unprepared query would first await its own Parse, and the
        // FETCHes could overtake each other). Prepared in the DECLARE's
        // round trip: sent after it, it is described once the cursor is
        // there (the session answers in order).
        let fetch_sql = format!("FETCH {ROW_CHUNK} FROM {CURSOR}");
        let prepare = async {
            client
                .prepare(&fetch_sql)
                .await
                .map_err(|e| transient::query_error(context(), &fetch_sql, &e))
        };
        let ((), fetch) = tokio::try_join!(
            run(format!("DECLARE {CURSOR} NO SCROLL CURSOR FOR {select}")),
            prepare
        )?;
        let mut in_flight = FuturesOrdered::new();
        for _ in 0..=FETCHES_AHEAD {
            in_flight.push_back(client.query(&fetch, &[]));
        }
        while let Some(fetched) = in_flight.next().await {
            let rows = fetched.map_err(|e| transient::query_error(context(), select, &e))?;
            let last = rows.len() < ROW_CHUNK;
            let chunk =
                decode_rows(&rows, columns).map_err(|m| Error::statement(context(), select, m))?;
            if !chunk.is_empty() && tx.send(Ok(chunk)).await.is_err() {
                break;
            }
            if last {
                break;
            }
            in_flight.push_back(client.query(&fetch, &[]));
        }
        // The FETCHes still in flight run before the CLOSE (one session
        // answers in order); their rows, past the end, are dropped.
        drop(in_flight);
        run(format!("CLOSE {CURSOR}")).await
    }
    .await;
    if !in_transaction {
        let end = if read.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = run(end.to_string()).await;
        read?;
        return ended;
    }
    read
}
