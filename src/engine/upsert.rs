//! Keyed updates as upserts, for the engines that have
//! `INSERT ... ON CONFLICT (key) DO UPDATE SET c = excluded.c` (SQLite and
//! PostgreSQL).
//!
//! This module owns the choice between the two shapes of an update and
//! how each is spelled: with a primary key or unique index as the key, an
//! upsert on it (so a row that vanished meanwhile comes back); with a
//! configured key (maybe no index behind it, which `ON CONFLICT` needs) or
//! a NULL in the key (NULLs never conflict), `UPDATE ... SET ... WHERE
//! key`, one per row. It also owns the head of a multi-row insert. What
//! differs between the engines comes from [`Upsert`]: identifier quoting,
//! literals, the null-safe exact key condition, the batching of rows, and
//! PostgreSQL's `OVERRIDING SYSTEM VALUE`.

use crate::data::table::{DataColumn, KeySource, TableData};
use crate::data::value::{Row, Value};

/// What an engine contributes to the statements rendered here.
pub trait Upsert {
    /// Written between an insert's column list and `VALUES` (empty, or a
    /// clause followed by a space).
    const OVERRIDING: &'static str;
    /// The name of the row proposed for insertion in `DO UPDATE SET`.
    const EXCLUDED: &'static str;

    fn quote_ident(name: &str) -> String;

    /// A table's reference by its model name (the engine's own rule for
    /// names that carry a schema; a quoted identifier by default).
    fn quote_table(name: &str) -> String {
        Self::quote_ident(name)
    }

    /// The literal the engine reads back as exactly `value` in `column`.
    fn literal(column: &DataColumn, value: &Value) -> String;

    /// `k1 = lit AND ...`: null-safe, exact equality on the row's key.
    fn key_is(table: &TableData, row: &Row) -> String;

    /// The relation an `UPDATE` of the table's rows names.
    fn updated(table: &TableData) -> String {
        Self::quote_table(&table.name)
    }

    /// `head` followed by `rows` as tuples and `tail`, batched into
    /// statements of at most `max` bytes.
    fn insert_rows<'a>(
        table: &TableData,
        head: &str,
        rows: impl Iterator<Item = &'a Row>,
        tail: &str,
        max: usize,
    ) -> Vec<String>;
}

/// Multi-row `INSERT INTO t (...) [OVERRIDING] VALUES ...` followed by
/// `tail`.
pub fn insert<'a, E: Upsert>(
    table: &TableData,
    rows: impl Iterator<Item = &'a Row>,
    tail: &str,
    max: usize,
) -> Vec<String> {
    let names: Vec<String> = table
        .columns
        .iter()
        .map(|c| E::quote_ident(&c.name))
        .collect();
    let head = format!(
        "INSERT INTO {} ({}) {}VALUES ",
        E::quote_table(&table.name),
        names.join(", "),
        E::OVERRIDING
    );
    E::insert_rows(table, &head, rows, tail, max)
}

pub fn key_has_null(table: &TableData, row: &Row) -> bool {
    table.key.iter().any(|&i| row[i] == Value::Null)
}

/// Rows whose key the target has (see the module comment).
pub fn update<E: Upsert>(table: &TableData, rows: &[Row], max: usize) -> Vec<String> {
    let non_key: Vec<usize> = (0..table.columns.len())
        .filter(|i| !table.key.contains(i))
        .collect();
    let upsert = matches!(
        table.key_source,
        KeySource::PrimaryKey | KeySource::UniqueIndex(_)
    );
    let (upserts, by_where): (Vec<&Row>, Vec<&Row>) = rows
        .iter()
        .partition(|row| upsert && !key_has_null(table, row));
    let mut statements = Vec::new();
    if !upserts.is_empty() {
        let target: Vec<String> = table
            .key
            .iter()
            .map(|&i| E::quote_ident(&table.columns[i].name))
            .collect();
        let action = if non_key.is_empty() {
            "NOTHING".to_string()
        } else {
            let sets: Vec<String> = non_key
                .iter()
                .map(|&i| {
                    let c = E::quote_ident(&table.columns[i].name);
                    format!("{c} = {}.{c}", E::EXCLUDED)
                })
                .collect();
            format!("UPDATE SET {}", sets.join(", "))
        };
        let tail = format!(" ON CONFLICT ({}) DO {action}", target.join(", "));
        statements.extend(insert::<E>(table, upserts.into_iter(), &tail, max));
    }
    if !non_key.is_empty() {
        for row in by_where {
            let sets: Vec<String> = non_key
                .iter()
                .map(|&i| {
                    let c = &table.columns[i];
                    format!("{} = {}", E::quote_ident(&c.name), E::literal(c, &row[i]))
                })
                .collect();
            statements.push(format!(
                "UPDATE {} SET {} WHERE {}",
                E::updated(table),
                sets.join(", "),
                E::key_is(table, row)
            ));
        }
    }
    statements
}
