//! The FK strategy's decisions, in one place: whether foreign key checks
//! are on for a write, which tables keep their deletes for the end
//! (children first), which tables a table waits for, and when a bulk load
//! may go unchecked.
//!
//! - `dependency` (default): checks stay on. Deletes run children first,
//!   then inserts and updates parents first, so no row ever points at a
//!   missing parent. Tables in an FK cycle (or referencing themselves) are
//!   written with checks off for that table alone.
//! - `disable`: checks off for the session; one pass per table.

use serde::Deserialize;

use crate::catalog::deps::DependencyGraph;
use crate::data::table::TableData;
use crate::engine::SourceDb;
use crate::error::Result;

use super::SyncTable;

/// How foreign keys are kept satisfied while rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FkStrategy {
    /// Write parent tables before the tables that reference them; retry what still fails.
    #[default]
    Dependency,
    /// Turn foreign-key checks off on the target session while writing rows.
    Disable,
}

impl FkStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            FkStrategy::Dependency => "dependency",
            FkStrategy::Disable => "disable",
        }
    }
}

/// What a write is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteStep {
    /// A pass over one table (deletes, upserts or both).
    Pass,
    /// A table reloaded whole after its schema changes (a script): its old
    /// rows leave before the new ones come, and nothing may cascade.
    Reload,
    /// The rows a foreign key refused, tried again after every table.
    Retry,
}

/// The FK strategy over one run's dependency graph.
pub(crate) struct FkPolicy<'a> {
    pub strategy: FkStrategy,
    pub graph: &'a DependencyGraph,
}

impl FkPolicy<'_> {
    fn checking(&self) -> bool {
        self.strategy == FkStrategy::Dependency
    }

    /// Whether foreign key checks are on while `table` is written.
    pub fn checks(&self, table: &str, step: WriteStep) -> bool {
        match step {
            WriteStep::Reload => false,
            WriteStep::Retry => self.checking(),
            WriteStep::Pass => self.checking() && !self.graph.in_cycle(table),
        }
    }

    /// Whether the table's deletes wait for the end of the run, where they
    /// run children first: with checks on, for every table that takes part
    /// in foreign keys (references, is referenced, or sits in a cycle).
    pub fn defers_deletes(&self, table: &TableData) -> bool {
        self.checking() && self.graph.takes_part(&table.name)
    }

    /// The tables (indexes into `tables`) that must be done before `table`
    /// starts: with checks on, the ones it references, except those in its
    /// own cycle.
    pub fn waits_for(&self, table: &TableData, tables: &[SyncTable]) -> Vec<usize> {
        if !self.checking() {
            return Vec::new();
        }
        let Some(dependency) = self
            .graph
            .dependencies
            .iter()
            .find(|d| d.table == table.name)
        else {
            return Vec::new();
        };
        dependency
            .depends_on
            .iter()
            .filter(|p| {
                self.graph
                    .cycle_of(p)
                    .is_none_or(|c| !c.contains(&table.name))
            })
            .filter_map(|p| tables.iter().position(|x| &x.data.name == p))
            .collect()
    }

    /// Whether an empty table may be loaded with checks off, so the target
    /// builds it in bulk: where checks are off for it anyway, or where they
    /// could refuse nothing — every parent was synced first in this run
    /// (`parents_synced`) and the source holds no orphan. A dump loads the
    /// same way; an orphan the source itself holds goes in checked batches
    /// instead, and is refused and named.
    pub async fn may_load_unchecked(
        &self,
        source: &mut SourceDb,
        table: &SyncTable,
        parents_synced: bool,
    ) -> Result<bool> {
        if !self.checks(&table.data.name, WriteStep::Pass) {
            return Ok(true);
        }
        Ok(parents_synced
            && source
                .references_resolve(&table.data, &table.foreign_keys)
                .await?)
    }
}
