//! Rendering row writes as PostgreSQL statements with exact literals.
//!
//! [`literal`] writes a value so the server reads back exactly that value:
//! integers as digits, booleans as `true`/`false`, floats as their
//! shortest round-trip digits (or `NaN`, `Infinity`, `-0`) cast to their
//! type, numeric as its digits, bytea in hex, text and the text forms of
//! every other type as untyped string literals, which the server reads
//! in the column's own type. Inserts and upserts are rendered by
//! [`crate::engine::upsert`]; they name `OVERRIDING SYSTEM VALUE`, so an
//! identity column declared `GENERATED ALWAYS` takes the source's value.

use super::names;
use super::rows::relation;
use super::types::{bytea_literal, float_text, quote_ident, quote_text, Kind};
use crate::data::table::{DataColumn, TableData};
use crate::data::value::{Row, Value};
use crate::engine::mysql::write::batch;
use crate::engine::upsert::{self, key_has_null, Upsert};
use crate::engine::WriteOp;

/// The statements that write `op` to `table`, each at most `max` bytes
/// unless a single row is longer.
pub fn render(table: &TableData, op: WriteOp, max: usize) -> Vec<String> {
    match op {
        WriteOp::Insert(rows) => upsert::insert::<Postgres>(table, rows.iter(), "", max),
        WriteOp::Update(rows) => upsert::update::<Postgres>(table, rows, max),
        WriteOp::Delete(rows) => delete(table, rows, max),
        WriteOp::DeleteAll => vec![format!("DELETE FROM {}", relation(table))],
    }
}

/// The literal the server reads as exactly `value` in a column of `kind`
/// (see the module comment).
pub fn literal(kind: Kind, value: &Value) -> String {
    match (kind, value) {
        (_, Value::Null) => "NULL".to_string(),
        (Kind::Bool, Value::Int(v)) => (if *v != 0 { "true" } else { "false" }).to_string(),
        (Kind::Rendered, Value::Int(v)) => format!("'{v}'"),
        (Kind::Rendered, Value::UInt(v)) => format!("'{v}'"),
        (_, Value::Int(i64::MIN)) => "(-9223372036854775807 - 1)".to_string(),
        (_, Value::Int(v)) => v.to_string(),
        (_, Value::UInt(v)) => v.to_string(),
        (_, Value::Float(v)) => format!("'{}'::real", float_text(f64::from(*v), true)),
        (_, Value::Double(v)) => format!("'{}'::double precision", float_text(*v, false)),
        (Kind::Rendered, Value::Decimal(d)) => quote_text(d.as_bytes()),
        (_, Value::Decimal(d)) => format!("{}::numeric", quote_text(d.as_bytes())),
        (_, Value::Text(b)) => quote_text(b),
        (_, Value::Bytes(b)) => bytea_literal(b),
        (_, v @ (Value::DateTime { .. } | Value::Time { .. })) => {
            quote_text(v.temporal_text().unwrap_or_default().as_bytes())
        }
    }
}

fn column_literal(column: &DataColumn, value: &Value) -> String {
    literal(Kind::of(column), value)
}

/// A condition true only for exactly this stored value: floats by their
/// bits (`0` is not `-0`), text by bytes whatever the collation, numeric
/// and other types by their text form (`1.50` is not `1.5`).
fn exactly(column: &DataColumn, value: &Value) -> String {
    let name = quote_ident(&column.name);
    let kind = Kind::of(column);
    match (kind, value) {
        (_, Value::Null) => format!("{name} IS NULL"),
        (Kind::Float, Value::Float(v)) => {
            format!("float4send({name}) = {}", bytea_literal(&v.to_be_bytes()))
        }
        (Kind::Double, Value::Double(v)) => {
            format!("float8send({name}) = {}", bytea_literal(&v.to_be_bytes()))
        }
        (Kind::Text, v) => format!("{name} COLLATE \"C\" = {}", literal(kind, v)),
        (Kind::Decimal | Kind::Rendered, v) => {
            format!("{name}::text = {}", literal(Kind::Rendered, v))
        }
        (_, v) => format!("{name} = {}", literal(kind, v)),
    }
}

/// The key's column in an equality on keys: text by bytes.
fn key_term(column: &DataColumn) -> String {
    let name = quote_ident(&column.name);
    match Kind::of(column) {
        Kind::Text => format!("{name} COLLATE \"C\""),
        _ => name,
    }
}

/// `(lit, lit, ...)`.
fn tuple<'a>(columns: &[&DataColumn], values: impl Iterator<Item = &'a Value>) -> String {
    let literals: Vec<String> = columns
        .iter()
        .zip(values)
        .map(|(c, v)| column_literal(c, v))
        .collect();
    format!("({})", literals.join(", "))
}

/// How PostgreSQL spells what [`upsert`] renders.
struct Postgres;

impl Upsert for Postgres {
    const OVERRIDING: &'static str = "OVERRIDING SYSTEM VALUE ";
    const EXCLUDED: &'static str = "EXCLUDED";

    fn quote_ident(name: &str) -> String {
        quote_ident(name)
    }

    fn quote_table(name: &str) -> String {
        names::relation(name)
    }

    fn literal(column: &DataColumn, value: &Value) -> String {
        column_literal(column, value)
    }

    fn key_is(table: &TableData, row: &Row) -> String {
        key_is(table, row)
    }

    fn updated(table: &TableData) -> String {
        relation(table)
    }

    fn insert_rows<'a>(
        table: &TableData,
        head: &str,
        rows: impl Iterator<Item = &'a Row>,
        tail: &str,
        max: usize,
    ) -> Vec<String> {
        let columns: Vec<&DataColumn> = table.columns.iter().collect();
        batch(head, rows.map(|row| tuple(&columns, row.iter())), tail, max)
    }
}

/// `k1 = lit AND ...`, exactly and null-safe.
fn key_is(table: &TableData, row: &Row) -> String {
    table
        .key
        .iter()
        .map(|&i| exactly(&table.columns[i], &row[i]))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Keyed: `DELETE ... WHERE (k1, k2) IN ((...), ...)`, text keys matched
/// by bytes, a key holding NULL on its own with `IS NULL`. Keyless: one
/// copy of each whole row, by its `ctid` (and `tableoid`: a partitioned
/// table's rows are in several tables).
fn delete(table: &TableData, rows: &[Row], max: usize) -> Vec<String> {
    let name = relation(table);
    if table.key.is_empty() {
        return rows
            .iter()
            .map(|row| {
                let exact: Vec<String> = table
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(c, v)| exactly(c, v))
                    .collect();
                format!(
                    "DELETE FROM {name} WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM {name} WHERE {} LIMIT 1)",
                    exact.join(" AND ")
                )
            })
            .collect();
    }
    let (with_null, plain): (Vec<&Row>, Vec<&Row>) =
        rows.iter().partition(|row| key_has_null(table, row));
    let key: Vec<&DataColumn> = table.key.iter().map(|&i| &table.columns[i]).collect();
    let terms: Vec<String> = key.iter().map(|c| key_term(c)).collect();
    let head = format!("DELETE FROM {name} WHERE ({}) IN (", terms.join(", "));
    let tuples = plain
        .iter()
        .map(|row| tuple(&key, table.key.iter().map(|&i| &row[i])));
    let mut statements = batch(&head, tuples, ")", max);
    statements.extend(
        with_null
            .iter()
            .map(|row| format!("DELETE FROM {name} WHERE {}", key_is(table, row))),
    );
    statements
}
