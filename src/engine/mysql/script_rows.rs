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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testing::{mysql, table};

    fn big_table() -> (Flavor, TableData) {
        let catalog = mysql()
            .table(
                table("t")
                    .col("id", "int NOT NULL")
                    .col("b", "longblob")
                    .col("s", "varchar(10)")
                    .pk(&["id"]),
            )
            .build();
        let data = TableData::new(&catalog.tables[0], None).unwrap();
        (catalog.flavor, data)
    }

    #[test]
    fn short_rows_are_written_as_the_real_run_writes_them() {
        let (flavor, t) = big_table();
        let rows = vec![vec![
            Value::Int(1),
            Value::Bytes(vec![7; 1000]),
            Value::Text(b"x".to_vec()),
        ]];
        let op = || WriteOp::Insert(&rows);
        assert_eq!(
            render_script(&flavor, &t, op(), 1 << 24),
            render(&flavor, &t, op(), 1 << 24)
        );
    }

    #[test]
    fn a_long_value_is_built_up_in_pieces_and_the_row_takes_it_from_there() {
        let (flavor, t) = big_table();
        let blob: Vec<u8> = (0..PIECE * 5 / 2).map(|i| i as u8).collect();
        let rows = vec![
            vec![Value::Int(1), Value::Bytes(blob.clone()), Value::Null],
            vec![Value::Int(2), Value::Null, Value::Text(b"short".to_vec())],
        ];
        let out = render_script(&flavor, &t, WriteOp::Update(&rows), 1 << 24);
        let starts: Vec<&str> = out.iter().map(|s| &s[..s.len().min(30)]).collect();
        assert_eq!(out.len(), 6, "{starts:?}");
        // The short row first, as one statement of its own.
        assert!(out[0].contains("(2, NULL, X'73686F7274')"), "{}", out[0]);
        assert_eq!(
            out[1],
            format!("SET @lockstep_v1 = {}", hex(&blob[..PIECE]))
        );
        assert_eq!(
            out[2],
            format!(
                "SET @lockstep_v1 = CONCAT(@lockstep_v1, {})",
                hex(&blob[PIECE..2 * PIECE])
            )
        );
        assert_eq!(
            out[3],
            format!(
                "SET @lockstep_v1 = CONCAT(@lockstep_v1, {})",
                hex(&blob[2 * PIECE..])
            )
        );
        assert!(
            out[4].starts_with("INSERT INTO `t` (`id`, `b`, `s`) VALUES (1, @lockstep_v1, NULL) ON DUPLICATE KEY UPDATE"),
            "{}",
            out[4]
        );
        assert_eq!(out[5], "SET @lockstep_v1 = NULL");
        assert!(out.iter().all(|s| s.len() < 3 * PIECE));
    }
}
