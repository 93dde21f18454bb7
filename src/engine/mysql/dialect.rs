//! The MySQL/MariaDB dialect: schema changes (`ddl`), row writes
//! (`write`) and the session settings a `--sql-out` script needs.

use super::{ddl, script_rows, write, DATA_SESSION_SETTINGS};
use crate::catalog::change::SchemaChange;
use crate::catalog::model::Flavor;
use crate::data::table::TableData;
use crate::engine::{Dialect, WriteOp};

/// Renders for one flavor (MySQL and MariaDB spell some things apart).
pub struct MySqlDialect {
    pub flavor: Flavor,
}

impl Dialect for MySqlDialect {
    fn render_change(&self, change: &SchemaChange) -> Vec<String> {
        ddl::render(&self.flavor, change)
    }

    fn render_write(
        &self,
        table: &TableData,
        op: WriteOp,
        max_statement_bytes: usize,
    ) -> Vec<String> {
        write::render(&self.flavor, table, op, max_statement_bytes)
    }

    fn render_script_write(
        &self,
        table: &TableData,
        op: WriteOp,
        max_statement_bytes: usize,
    ) -> Vec<String> {
        script_rows::render_script(&self.flavor, table, op, max_statement_bytes)
    }

    fn foreign_key_checks(&self, on: bool) -> String {
        format!("SET FOREIGN_KEY_CHECKS={}", u8::from(on))
    }

    fn set_counter(&self, table: &str, next: u64) -> Option<String> {
        Some(ddl::set_counter(table, next))
    }

    fn data_script_prelude(&self) -> Vec<String> {
        DATA_SESSION_SETTINGS
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// The `mariadb`/`mysql` client ends a statement at the first `;`
    /// outside quotes, so a body with semicolons goes between `DELIMITER`
    /// lines.
    fn script_statement(&self, sql: &str) -> String {
        ddl::script_statement(sql)
    }

    fn ddl_script_frame(&self) -> (Vec<String>, Vec<String>) {
        ddl::script_frame()
    }

    /// `SHOW CREATE TABLE` lists secondary indexes in creation order.
    fn index_order_matters(&self) -> bool {
        true
    }
}
