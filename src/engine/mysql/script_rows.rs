//! Row writes as a `--sql-out` script writes them: like the real run's,
//! except that a row too long for one statement of a default client (16
//! MiB `max_allowed_packet`, and hex literals double every value) has its
//! long values built up first in user variables, a piece per statement,
//! and the row's own statement takes them from there.
//!
//! A user variable holds a binary string exactly like a hex literal, and
//! the column gets the whole value at once, so the result is the same
//! bytes, checked against the column's charset as a whole (appending to
//! the column itself would check every prefix, which can end inside a
//! character). A value is still bounded by the replaying server's
//! `max_allowed_packet`, as in the real run.

use super::write::{hex, render, render_with};
use crate::catalog::model::Flavor;
use crate::data::table::TableData;
use crate::data::value::{Row, Value};
use crate::engine::WriteOp;

/// A row whose long values add up to more than this (as hex) is built up
/// in pieces; below it, one statement is far from any client's limit.
const ROW_LIMIT: usize = 1 << 20;
/// In such a row, values longer than this go through variables.
const LONG_VALUE: usize = 64 << 10;
/// Bytes of a value per statement (2 MiB of hex: within the smallest
/// default `max_allowed_packet` in use, MySQL 5.7's 4 MiB).
const PIECE: usize = 1 << 20;

/// The statements a script holds for `op`.
pub fn render_script(
    flavor: &Flavor,
    table: &TableData,
    op: WriteOp,
    max_statement_bytes: usize,
) -> Vec<String> {
    let (rows, update) = match op {
        WriteOp::Insert(rows) => (rows, false),
        WriteOp::Update(rows) => (rows, true),
        WriteOp::Delete(_) | WriteOp::DeleteAll => {
            return render(flavor, table, op, max_statement_bytes)
        }
    };
    fn write(rows: &[Row], update: bool) -> WriteOp<'_> {
        match update {
            true => WriteOp::Update(rows),
            false => WriteOp::Insert(rows),
        }
    }
    let (short, long): (Vec<&Row>, Vec<&Row>) = rows
        .iter()
        .partition(|row| 2 * string_bytes(row) <= ROW_LIMIT);
    if long.is_empty() {
        return render(flavor, table, op, max_statement_bytes);
    }
    let short: Vec<Row> = short.into_iter().cloned().collect();
    let mut out = Vec::new();
    if !short.is_empty() {
        out.extend(render(
            flavor,
            table,
            write(&short, update),
            max_statement_bytes,
        ));
    }
    for row in long {
        let mut variables = Vec::new();
        for (i, value) in row.iter().enumerate() {
            let (Value::Text(bytes) | Value::Bytes(bytes)) = value else {
                continue;
            };
            if bytes.len() <= LONG_VALUE || table.key.contains(&i) {
                continue;
            }
            let variable = format!("@lockstep_v{i}");
            for (n, piece) in bytes.chunks(PIECE).enumerate() {
                out.push(match n {
                    0 => format!("SET {variable} = {}", hex(piece)),
                    _ => format!("SET {variable} = CONCAT({variable}, {})", hex(piece)),
                });
            }
            variables.push((i, variable));
        }
        let one = std::slice::from_ref(row);
        out.extend(render_with(
            flavor,
            table,
            write(one, update),
            max_statement_bytes,
            &variables,
        ));
        let freed: Vec<String> = variables
            .iter()
            .map(|(_, v)| format!("{v} = NULL"))
            .collect();
        out.push(format!("SET {}", freed.join(", ")));
    }
    out
}

/// The bytes of a row's strings.
fn string_bytes(row: &Row) -> usize {
    row.iter()
        .map(|value| match value {
            Value::Text(b) | Value::Bytes(b) => b.len(),
            _ => 0,
        })
        .sum()
}
