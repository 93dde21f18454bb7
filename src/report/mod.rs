//! The run report: one structure holding every fact of a run, written as
//! human text (`text`) or JSON (`--report-json`).

pub mod describe;
pub mod graph;
pub mod progress;
pub mod text;

use serde::Serialize;

use crate::catalog::change::Safety;
use crate::catalog::deps::Dependency;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub lockstep_version: &'static str,
    pub mode: String,
    /// Endpoints with passwords masked.
    pub source: String,
    pub target: String,
    pub source_flavor: String,
    pub target_flavor: String,
    /// True when the target matches the source at the end of the run, as
    /// checked (not hoped): for modes that write, by re-reading the target.
    pub in_sync: bool,
    pub schema: SchemaReport,
    pub data: DataReport,
    pub recommendations: Vec<String>,
    pub warnings: Vec<String>,
    /// Seconds spent per phase: `connect` (and introspect), `schema`, `data`.
    pub timings: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SchemaReport {
    pub tables_analyzed: usize,
    pub mismatches: Vec<Mismatch>,
    pub fk_dependencies: Vec<Dependency>,
    pub cycles: Vec<Vec<String>>,
    pub self_references: Vec<String>,
    /// Tables in the order the data phase will take them.
    pub sync_order: Vec<String>,
    pub changes: Vec<ChangeReport>,
    /// Differences still there after the run (empty when in sync).
    pub remaining_mismatches: Vec<Mismatch>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub table: String,
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeReport {
    pub table: String,
    pub sql: Vec<String>,
    pub safety: Safety,
    /// Why the change is lossy or destructive.
    pub reason: Option<String>,
    pub applied: bool,
    /// Why it was not applied (refused, mode, failure).
    pub skipped_because: Option<String>,
}

/// Filled by the data phase.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DataReport {
    /// `not_run` until the data phase runs.
    pub status: String,
    pub tables_processed: usize,
    pub tables_synced: usize,
    pub tables_skipped: usize,
    pub rows_inserted: u64,
    pub rows_updated: u64,
    pub rows_deleted: u64,
    pub errors: Vec<DataError>,
    /// Per table, in sync order.
    pub tables: Vec<TableDataReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableDataReport {
    pub table: String,
    /// The comparison key and where it comes from.
    pub key: String,
    pub rows_inserted: u64,
    pub rows_updated: u64,
    pub rows_deleted: u64,
    /// Rows still differing when verified after the apply.
    pub differences_after: Option<u64>,
    /// How the differences were found: `equal checksums`, `stream`,
    /// `bisect` or `copy`, with the ranges and rows read.
    pub found_by: String,
    pub skipped_because: Option<String>,
}

impl TableDataReport {
    pub fn skipped(table: &str, reason: String) -> Self {
        TableDataReport {
            table: table.to_string(),
            key: String::new(),
            rows_inserted: 0,
            rows_updated: 0,
            rows_deleted: 0,
            differences_after: None,
            found_by: String::new(),
            skipped_because: Some(reason),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DataError {
    pub table: String,
    pub key: Option<String>,
    pub constraint: Option<String>,
    pub message: String,
}

impl Report {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report is plain data")
    }
}
