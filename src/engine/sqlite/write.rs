//! Rendering row writes as SQLite statements with exact literals.

use crate::data::table::TableData;
use crate::engine::WriteOp;

/// Statements are kept well under SQLite's default SQL length limit.
pub const MAX_STATEMENT_BYTES: usize = 4 << 20;

pub fn render(table: &TableData, op: WriteOp, max_statement_bytes: usize) -> Vec<String> {
    let _ = (table, op, max_statement_bytes);
    unimplemented!("SQLite write rendering")
}
