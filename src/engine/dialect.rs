//! The engine's dialect: everything rendered as SQL text without a
//! connection (schema changes, row writes, session settings a script
//! needs) and the questions the schema diff asks about the engine.
//! Stateless apart from the flavor it renders for, so the same text goes
//! to the target and into a `--sql-out` script.
//!
//! Uses the schema model (`catalog`) and the row model (`data`) only.

use crate::catalog::change::SchemaChange;
use crate::data::table::TableData;

use super::WriteOp;

pub trait Dialect: Send + Sync {
    /// One schema change as this engine's statements.
    fn render_change(&self, change: &SchemaChange) -> Vec<String>;

    /// The statements that write `op` to `table`, each at most
    /// `max_statement_bytes` long (a single row may exceed it; it then
    /// goes alone). Values are written exactly, as literals no server
    /// reinterprets.
    fn render_write(
        &self,
        table: &TableData,
        op: WriteOp,
        max_statement_bytes: usize,
    ) -> Vec<String>;

    /// The statements a `--sql-out` script holds for `op`: those of
    /// `render_write`, unless the engine must split values a client could
    /// not send in one statement.
    fn render_script_write(
        &self,
        table: &TableData,
        op: WriteOp,
        max_statement_bytes: usize,
    ) -> Vec<String> {
        self.render_write(table, op, max_statement_bytes)
    }

    /// The statement that turns foreign key enforcement on or off for a
    /// session.
    fn foreign_key_checks(&self, on: bool) -> String;

    /// Session settings a script's row statements need to mean exactly
    /// what lockstep's own sessions mean (time zone, SQL mode).
    fn data_script_prelude(&self) -> Vec<String> {
        Vec::new()
    }

    /// One schema statement as a script line for the engine's own client
    /// (its terminator, and whatever the client needs to take a body with
    /// semicolons as one statement).
    fn script_statement(&self, sql: &str) -> String {
        format!("{sql};\n")
    }

    /// Statements before and after a DDL script so it runs in any order
    /// in the engine's own client (FK checks off).
    fn ddl_script_frame(&self) -> (Vec<String>, Vec<String>);

    /// Whether DDL can add and drop foreign keys on their own (else FK
    /// changes travel with the table's other changes, in a rebuild).
    fn alters_foreign_keys(&self) -> bool {
        true
    }

    /// Whether a new table's foreign key may name a table not created yet
    /// (MySQL with checks off, SQLite); else a new table's keys are added
    /// once the rows are in (`DiffOptions::fks_after_rows`).
    fn references_missing_tables(&self) -> bool {
        true
    }

    /// Whether the engine shows secondary indexes in creation order,
    /// making the order part of the schema.
    fn index_order_matters(&self) -> bool {
        false
    }

    /// The statement that sets a table's AUTO_INCREMENT counter to
    /// `next`; `None` where the engine has no counter to set.
    fn set_counter(&self, _table: &str, _next: u64) -> Option<String> {
        None
    }

    /// The statement that recomputes a materialized view from the rows
    /// now in its tables; `None` where the engine has none.
    fn refresh_view(&self, _view: &str) -> Option<String> {
        None
    }
}
