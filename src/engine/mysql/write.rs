//! Rendering row writes as MySQL/MariaDB statements with exact literals.

use crate::catalog::model::Flavor;
use crate::data::table::TableData;
use crate::engine::WriteOp;

pub fn render(
    flavor: &Flavor,
    table: &TableData,
    op: WriteOp,
    max_statement_bytes: usize,
) -> Vec<String> {
    let _ = (flavor, table, op, max_statement_bytes);
    unimplemented!("MySQL write rendering")
}
