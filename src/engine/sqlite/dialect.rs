//! The SQLite dialect: schema changes (`ddl`, with table rebuilds) and
//! row writes (`write`).

use super::{ddl, write};
use crate::catalog::change::SchemaChange;
use crate::data::table::TableData;
use crate::engine::{Dialect, WriteOp};

pub struct SqliteDialect;

impl Dialect for SqliteDialect {
    fn render_change(&self, change: &SchemaChange) -> Vec<String> {
        ddl::render(change)
    }

    fn render_write(
        &self,
        table: &TableData,
        op: WriteOp,
        max_statement_bytes: usize,
    ) -> Vec<String> {
        write::render(table, op, max_statement_bytes)
    }

    fn foreign_key_checks(&self, on: bool) -> String {
        format!("PRAGMA foreign_keys={}", if on { "ON" } else { "OFF" })
    }

    fn ddl_script_frame(&self) -> (Vec<String>, Vec<String>) {
        ddl::script_frame()
    }

    /// Foreign keys live in the table's CREATE statement: changing one
    /// rebuilds the table.
    fn alters_foreign_keys(&self) -> bool {
        false
    }
}
