//! The PostgreSQL dialect: schema changes (`ddl`), row writes (`write`)
//! and the session settings a `--sql-out` script needs.

use super::connect::SESSION_SETTINGS;
use super::{ddl, write};
use crate::catalog::change::SchemaChange;
use crate::data::table::TableData;
use crate::engine::{Dialect, WriteOp};

pub struct PostgresDialect;

impl Dialect for PostgresDialect {
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

    /// PostgreSQL has no switch for foreign keys alone: the `replica`
    /// role skips the triggers that check them (and every other
    /// non-ALWAYS trigger), which only a superuser may set.
    fn foreign_key_checks(&self, on: bool) -> String {
        if on {
            "SET session_replication_role = DEFAULT".to_string()
        } else {
            "SET session_replication_role = replica".to_string()
        }
    }

    fn set_counter(&self, table: &str, next: u64) -> Option<String> {
        Some(ddl::set_counter(table, next))
    }

    fn refresh_view(&self, view: &str) -> Option<String> {
        Some(format!(
            "REFRESH MATERIALIZED VIEW {}",
            super::names::relation(view)
        ))
    }

    fn references_missing_tables(&self) -> bool {
        false
    }

    fn data_script_prelude(&self) -> Vec<String> {
        SESSION_SETTINGS.iter().map(|s| s.to_string()).collect()
    }

    fn ddl_script_frame(&self) -> (Vec<String>, Vec<String>) {
        ddl::script_frame()
    }
}
