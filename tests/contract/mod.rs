//! Support for the engine contract (`tests/engine_contract.rs`) and the
//! engine-specific row tests: what each engine's test fixture provides
//! ([`Fixture`], implemented by `common::MyDb`, `common::PgDb` and
//! `common::SqliteDb`), the
//! tables the contract needs, and, in `engine`, the only functions that
//! call into `lockstep::engine`.
//!
//! A new engine gets the whole contract from a `Fixture` impl of its test
//! database and one `engine_contract!` line.
#![allow(dead_code)]

mod engine;
mod mysql;
mod postgres;
mod sqlite;

pub use engine::*;

use lockstep::data::table::{KeySource, TableData};
use lockstep::data::value::{Row, Value};

/// The tables the contract works on; each engine spells them its own way
/// ([`Fixture::ddl`]) with the same names, columns and keys.
#[derive(Debug, Clone, Copy)]
pub enum Table {
    /// `vals (id INT PRIMARY KEY, n BIGINT, d DOUBLE, s TEXT, b BLOB)`,
    /// text in UTF-8.
    Values,
    /// `pairs (a TEXT, b INT, v TEXT, PRIMARY KEY (a, b))`, `a` compared
    /// case-insensitively by the database.
    Pairs,
    /// `words (w TEXT PRIMARY KEY, n INT)`, `w` compared
    /// case-insensitively by the database.
    Words,
    /// `bag (n INT, s TEXT, d DOUBLE, bl BLOB)`, no unique key, an index
    /// on `s`, which is compared case-insensitively by the database.
    Bag,
    /// `parent (id INT PRIMARY KEY)` and `child (id INT PRIMARY KEY, pid
    /// INT, email TEXT)`: foreign key `fk_child_parent` from `pid` to
    /// `parent.id`, unique index `u_email` on `email`.
    Family,
    /// `nums (id INT PRIMARY KEY, v TEXT)`.
    Numbers,
    /// `t (id INT PRIMARY KEY)` with triggers `t_ins` (on insert) and
    /// `t_del` (on delete) that write into `audit (id INT)`.
    Triggered,
    /// `u (code TEXT NOT NULL, v TEXT, n INT)` whose only unique index is
    /// `uk` on `code`.
    UniqueIndex,
}

/// The writes the contract expects [`Table::Family`] to refuse.
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    /// A child whose `pid` names no parent.
    Orphan,
    /// Deleting a parent that has children.
    Parent,
    /// A child with another child's `email` (index `u_email`).
    Email,
    /// A child with another child's `id` (the primary key).
    Id,
}

/// One engine's test database and the engine's own ways with it. The
/// contract compares what lockstep reads and writes with what the
/// database's own client inserts and reads back, never with lockstep alone.
pub trait Fixture: Sized {
    /// A fresh, empty, uniquely named database, gone when the value drops.
    fn fresh(prefix: &str) -> Self;

    /// Its URL, as lockstep takes it.
    fn url(&self) -> String;

    /// Runs setup SQL (several statements) with the database's own client.
    fn exec(&self, sql: &str);

    /// The engine's DDL for one of the contract's tables.
    fn ddl(table: Table) -> &'static str;

    /// Inserts rows with the database's own client, every value a bound
    /// parameter (so nothing of lockstep's literals is involved).
    fn insert(&self, table: &str, rows: &[Row]);

    /// Every row of `table` as the database's own client reads it, each
    /// value exactly (text apart from bytes, floats by their bits), sorted
    /// by `key_cmp` of the whole row.
    fn read_back(&self, table: &str) -> Vec<Row>;

    /// How many rows `table` has.
    fn count(&self, table: &str) -> usize;

    /// Lets other connections commit while a source holds its read
    /// snapshot (SQLite: a WAL journal; servers always do).
    fn allow_writes_during_reads(&self);

    /// What the engine reports when it refuses `refusal`: the kind, and a
    /// part of the message.
    fn refusal(refusal: Refusal) -> (WriteErrorKind, &'static str);

    /// A fresh database holding `tables`, empty.
    fn with(prefix: &str, tables: &[Table]) -> Self {
        let db = Self::fresh(prefix);
        for table in tables {
            db.exec(Self::ddl(*table));
        }
        db
    }
}

pub fn int(v: i64) -> Value {
    Value::Int(v)
}

pub fn double(v: f64) -> Value {
    Value::Double(v)
}

pub fn text(v: &str) -> Value {
    Value::Text(v.as_bytes().to_vec())
}

pub fn bytes(v: &[u8]) -> Value {
    Value::Bytes(v.to_vec())
}

/// `rows` sorted as [`Fixture::read_back`] sorts them.
pub fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by(|a, b| lockstep::data::value::key_cmp(a, b));
    rows
}

/// The same table seen without a key: rows are found by all their values.
pub fn whole_row(table: &TableData) -> TableData {
    TableData {
        key: Vec::new(),
        key_source: KeySource::WholeRow,
        ..table.clone()
    }
}

/// Rows `(id, 'row <id>')` of [`Table::Numbers`] for ids `1..=n`.
pub fn numbers(n: i64) -> Vec<Row> {
    (1..=n)
        .map(|i| vec![int(i), text(&format!("row {i}"))])
        .collect()
}
