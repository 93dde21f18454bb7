//! Rendering row writes as SQLite statements with exact literals.
//!
//! One function, [`literal`], turns a value into SQL, so that SQLite reads
//! back exactly the value it was given, in the same storage class:
//! integers as decimal digits; reals as exact arithmetic on their binary
//! form (see [`real`]; SQLite's own decimal parser can be one ulp off),
//! infinities as `9e999` / `-9e999` and NaN, which SQLite never stores, as
//! NULL; text as a quoted string, or as
//! `CAST(X'..' AS TEXT)` when it holds a NUL byte or is not UTF-8 (a SQL
//! string can carry neither); blobs as `X'..'`. Column affinity then
//! applies exactly as it did when the source stored the value. Inserts
//! and upserts are rendered by [`crate::engine::upsert`].

use super::quote_ident;
use crate::data::table::{DataColumn, TableData};
use crate::data::value::{Row, Value};
use crate::engine::upsert::{self, key_has_null, Upsert};
use crate::engine::WriteOp;

/// Statements are kept well under SQLite's default SQL length limit.
pub const MAX_STATEMENT_BYTES: usize = 4 << 20;

/// Rows per multi-row statement. SQLite before 3.8.8 counted the rows of a
/// VALUES list against SQLITE_LIMIT_COMPOUND_SELECT (500); staying under it
/// keeps `--sql-out` scripts runnable by old clients too.
const MAX_ROWS_PER_STATEMENT: usize = 500;

/// The statements that write `op` to `table`, each at most
/// `max_statement_bytes` long unless a single row is longer.
pub fn render(table: &TableData, op: WriteOp, max_statement_bytes: usize) -> Vec<String> {
    match op {
        WriteOp::Insert(rows) => {
            upsert::insert::<Sqlite>(table, rows.iter(), "", max_statement_bytes)
        }
        WriteOp::Update(rows) => upsert::update::<Sqlite>(table, rows, max_statement_bytes),
        WriteOp::Delete(rows) => delete(table, rows, max_statement_bytes),
        WriteOp::DeleteAll => vec![format!("DELETE FROM {}", quote_ident(&table.name))],
    }
}

/// How SQLite spells what [`upsert`] renders.
struct Sqlite;

impl Upsert for Sqlite {
    const OVERRIDING: &'static str = "";
    const EXCLUDED: &'static str = "excluded";

    fn quote_ident(name: &str) -> String {
        quote_ident(name)
    }

    /// SQLite's literals do not depend on the column: its affinity
    /// applies when the value is stored.
    fn literal(_: &DataColumn, value: &Value) -> String {
        literal(value)
    }

    fn key_is(table: &TableData, row: &Row) -> String {
        key_is(table, row)
    }

    fn insert_rows<'a>(
        _: &TableData,
        head: &str,
        rows: impl Iterator<Item = &'a Row>,
        tail: &str,
        max: usize,
    ) -> Vec<String> {
        batched(head, rows.map(|row| tuple(row.iter())), tail, max)
    }
}

/// Keyed: `DELETE ... WHERE k COLLATE BINARY IN (...)` (a row value
/// `(a, b) IN (VALUES ...)` for a composite key; `IS` for a key holding
/// NULL), keys matched by bytes as in [`key_is`]. Keyless: one
/// copy of each whole row, matched exactly (storage class and bytes).
fn delete(table: &TableData, rows: &[Row], max: usize) -> Vec<String> {
    let name = quote_ident(&table.name);
    if table.key.is_empty() {
        let rowid = rowid_name(table);
        return rows
            .iter()
            .map(|row| {
                let exact: Vec<String> = table
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(c, v)| exactly(&quote_ident(&c.name), v))
                    .collect();
                format!(
                    "DELETE FROM {name} WHERE {rowid} = (SELECT {rowid} FROM {name} WHERE {} LIMIT 1)",
                    exact.join(" AND ")
                )
            })
            .collect();
    }
    let (with_null, plain): (Vec<&Row>, Vec<&Row>) =
        rows.iter().partition(|row| key_has_null(table, row));
    let key: Vec<String> = table
        .key
        .iter()
        .map(|&i| quote_ident(&table.columns[i].name))
        .collect();
    let mut statements = if let [single] = key.as_slice() {
        let head = format!("DELETE FROM {name} WHERE {single} COLLATE BINARY IN (");
        let values = plain.iter().map(|row| literal(&row[table.key[0]]));
        batched(&head, values, ")", max)
    } else {
        let binary: Vec<String> = key.iter().map(|k| format!("{k} COLLATE BINARY")).collect();
        let head = format!(
            "DELETE FROM {name} WHERE ({}) IN (VALUES ",
            binary.join(", ")
        );
        let tuples = plain
            .iter()
            .map(|row| tuple(table.key.iter().map(|&i| &row[i])));
        batched(&head, tuples, ")", max)
    };
    statements.extend(
        with_null
            .iter()
            .map(|row| format!("DELETE FROM {name} WHERE {}", key_is(table, row))),
    );
    statements
}

const SEPARATOR: &str = ", ";

/// `head item, item, ... tail` statements: a new one starts before
/// `max` bytes or MAX_ROWS_PER_STATEMENT items would be passed (an item
/// too long on its own still gets a statement).
fn batched(head: &str, items: impl Iterator<Item = String>, tail: &str, max: usize) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut count = 0;
    for item in items {
        let full = count == MAX_ROWS_PER_STATEMENT
            || current.len() + SEPARATOR.len() + item.len() + tail.len() > max;
        if count > 0 && full {
            current.push_str(tail);
            statements.push(std::mem::take(&mut current));
            count = 0;
        }
        if count == 0 {
            current.push_str(head);
        } else {
            current.push_str(SEPARATOR);
        }
        current.push_str(&item);
        count += 1;
    }
    if count > 0 {
        current.push_str(tail);
        statements.push(current);
    }
    statements
}

/// `(lit, lit, ...)`.
fn tuple<'a>(values: impl Iterator<Item = &'a Value>) -> String {
    let literals: Vec<String> = values.map(literal).collect();
    format!("({})", literals.join(", "))
}

/// `k1 IS lit COLLATE BINARY AND ...`: null-safe equality in the key
/// columns' own affinity, by bytes whatever their collation (the merge
/// tells keys apart by bytes: under a configured key on a NOCASE column
/// `a` and `A` are two rows).
fn key_is(table: &TableData, row: &Row) -> String {
    let terms: Vec<String> = table
        .key
        .iter()
        .map(|&i| {
            format!(
                "{} IS {} COLLATE BINARY",
                quote_ident(&table.columns[i].name),
                literal(&row[i])
            )
        })
        .collect();
    terms.join(" AND ")
}

/// A condition true only for exactly this stored value: same storage
/// class (so 1, 1.0, '1' and x'31' stay apart whatever the column's
/// affinity) and, for text, the same bytes whatever the column's collation.
fn exactly(column: &str, value: &Value) -> String {
    let lit = literal(value);
    let class = match value {
        Value::Null => return format!("{column} IS NULL"),
        Value::Double(f) if f.is_nan() => return format!("{column} IS NULL"),
        Value::Int(_) => "integer",
        Value::Double(_) => "real",
        Value::Text(_) => {
            return format!("typeof({column}) = 'text' AND {column} = {lit} COLLATE BINARY")
        }
        Value::Bytes(_) => "blob",
        // Not read from SQLite: compare in the column's affinity.
        _ => return format!("{column} IS {lit}"),
    };
    format!("typeof({column}) = '{class}' AND {column} = {lit}")
}

/// The name that reaches the rowid: `rowid`, unless a column took that
/// name, then `_rowid_`, then `oid`.
fn rowid_name(table: &TableData) -> &'static str {
    ["rowid", "_rowid_", "oid"]
        .into_iter()
        .find(|alias| {
            !table
                .columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(alias))
        })
        .unwrap_or("rowid")
}

/// The SQL literal SQLite reads back as exactly `value` (see the module
/// comment). Values SQLite never produces render as near as SQLite
/// allows: an unsigned integer above i64::MAX becomes a REAL, a DECIMAL
/// its digits (the column's affinity decides), dates and times text.
pub fn literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_string(),
        Value::Int(v) => v.to_string(),
        Value::UInt(v) => v.to_string(),
        Value::Float(v) => real(f64::from(*v)),
        Value::Double(v) => real(*v),
        Value::Decimal(d) if is_decimal(d) => d.clone(),
        Value::Decimal(d) => text(d.as_bytes()),
        Value::Text(bytes) => text(bytes),
        Value::Bytes(bytes) => format!("X'{}'", hex(bytes)),
        Value::DateTime { .. } | Value::Time { .. } => {
            text(value.temporal_text().unwrap_or_default().as_bytes())
        }
    }
}

/// A REAL that SQLite evaluates to exactly `v`. SQLite's decimal parser
/// is not correctly rounded (`1.715373926431966e178` comes back one ulp
/// off), so only integral values, whose digits it reads exactly, are
/// written as decimals (`-5.0`, `0.0`, `-0.0`); any other value is its
/// binary form `m * 2^k` as arithmetic that IEEE doubles do exactly: an
/// integral mantissa times or divided by powers of two (`0.1` is
/// `(3602879701896397.0/36028797018963968)`). Infinities are `9e999` and
/// `-9e999`; NaN, which SQLite never stores, is NULL.
fn real(v: f64) -> String {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if v.is_nan() {
        return "NULL".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "9e999" } else { "-9e999" }.to_string();
    }
    let sign = if v.is_sign_negative() { "-" } else { "" };
    if v.fract() == 0.0 && v.abs() < TWO_POW_63 {
        // `as` is exact here: an integral value below 2^63.
        return format!("{sign}{}.0", v.abs() as u64);
    }
    let bits = v.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (mut mantissa, mut power) = if exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), exponent - 1075)
    };
    let shift = mantissa.trailing_zeros();
    mantissa >>= shift;
    power += shift as i32;
    let op = if power < 0 { '/' } else { '*' };
    let mut out = format!("({sign}{mantissa}.0");
    let mut left = power.unsigned_abs();
    while left > 0 {
        // Powers of two up to 2^62 are exact integer literals.
        let step = left.min(62);
        out.push(op);
        out.push_str(&(1u64 << step).to_string());
        left -= step;
    }
    out.push(')');
    out
}

fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.contains('\0') => format!("'{}'", s.replace('\'', "''")),
        _ => format!("CAST(X'{}' AS TEXT)", hex(bytes)),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02X}");
    }
    out
}

/// `-12.50`, `3`, `.5`: digits SQLite reads as a number.
fn is_decimal(d: &str) -> bool {
    let digits = d.strip_prefix('-').unwrap_or(d);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}
