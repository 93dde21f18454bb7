//! The run report: one structure holding every fact of a run, written as
//! human text (`text`) or JSON (`--report-json`).

pub mod describe;
pub mod graph;
pub mod log;
pub mod progress;
pub mod text;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::catalog::change::{Safety, Suspension};
use crate::catalog::deps::Dependency;
use crate::catalog::diff::Phase;

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
    /// Source tables and views created, dropped or changed while the run
    /// read the rows (found by reading the schema again at the end).
    pub changed_during_run: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub table: String,
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct ChangeReport {
    pub table: String,
    pub sql: Vec<String>,
    pub safety: Safety,
    /// Why the change is lossy or destructive.
    pub reason: Option<String>,
    /// Before or after the rows.
    pub phase: Phase,
    /// A post-data change that must wait for its table's rows to match
    /// the source (not a trigger or event, which only waits for the
    /// rows to be written).
    pub needs_rows: bool,
    /// Only takes an equal trigger or event out of the rows' way and puts
    /// it back, for these writes: made even where the schema is not fixed
    /// (data-only), and only when the first look finds such writes.
    pub suspends: Option<Suspension>,
    /// In JSON: `applied` (bool) and `skipped_because` (why not applied).
    pub status: ChangeStatus,
}

/// What became of a schema change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeStatus {
    /// Planned, not (yet) run: the mode does not apply it.
    Planned,
    Applied,
    /// Policy refused it (lossy or destructive without permission).
    Refused,
    /// The target refused it: the server's error.
    Failed(String),
    /// An earlier change failed, so this one was not tried.
    NotTried,
    /// Left for a later run, and why (a post-data change on a table
    /// whose rows were not synced).
    Waiting(String),
}

impl ChangeStatus {
    pub fn applied(&self) -> bool {
        *self == ChangeStatus::Applied
    }

    /// Refused, failed or not tried: a mode that applies left it undone.
    pub fn skipped(&self) -> bool {
        !matches!(self, ChangeStatus::Planned | ChangeStatus::Applied)
    }

    /// Why the change was not applied, for a mode that tried to (`None`
    /// for planned and applied changes).
    pub fn skipped_because(&self, safety: Safety) -> Option<String> {
        match self {
            ChangeStatus::Planned | ChangeStatus::Applied => None,
            ChangeStatus::Refused => Some(format!(
                "refused: this change is {safety}; pass --allow-destructive (or set allow_destructive = true) to apply it"
            )),
            ChangeStatus::Failed(error) => Some(format!("failed: {error}")),
            ChangeStatus::NotTried => Some("not tried after an earlier failure".to_string()),
            ChangeStatus::Waiting(why) => Some(why.clone()),
        }
    }
}

impl ChangeReport {
    /// Why the change was not applied, if it was skipped.
    pub fn skipped_because(&self) -> Option<String> {
        self.status.skipped_because(self.safety)
    }

    /// Whether the change is still to run (neither applied nor skipped).
    pub fn pending(&self) -> bool {
        self.status == ChangeStatus::Planned
    }
}

/// The JSON keys scripts rely on: `applied` and `skipped_because` stand
/// for the status.
impl Serialize for ChangeReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("ChangeReport", 7)?;
        out.serialize_field("table", &self.table)?;
        out.serialize_field("sql", &self.sql)?;
        out.serialize_field("safety", &self.safety)?;
        out.serialize_field("reason", &self.reason)?;
        out.serialize_field("phase", &self.phase)?;
        out.serialize_field("applied", &self.status.applied())?;
        out.serialize_field("skipped_because", &self.skipped_because())?;
        out.end()
    }
}

/// Filled by the data phase.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DataReport {
    pub status: DataStatus,
    pub tables_processed: usize,
    pub tables_synced: usize,
    pub tables_skipped: usize,
    pub rows_inserted: u64,
    pub rows_updated: u64,
    pub rows_deleted: u64,
    /// How tables whose target has rows were compared (stream or bisect)
    /// and why that method was chosen.
    pub diff_method: String,
    pub errors: Vec<DataError>,
    /// Per table, in sync order.
    pub tables: Vec<TableDataReport>,
}

/// Whether the data phase ran, and what it did with rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataStatus {
    #[default]
    NotRun,
    /// Rows were counted (or scripted), not written.
    Planned,
    Applied,
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

    /// What is left not in sync, one short line per kind of problem, each
    /// naming its tables and counts: schema differences, rows refused,
    /// tables skipped, rows that still differ (or, in a mode that only
    /// plans, rows to change). Empty when the target matches the source.
    pub fn problems(&self) -> Vec<String> {
        if self.in_sync {
            return Vec::new();
        }
        let mut out = Vec::new();
        let remaining = &self.schema.remaining_mismatches;
        if !remaining.is_empty() {
            let tables = distinct(remaining.iter().map(|m| m.table.as_str()));
            out.push(format!(
                "{} ({})",
                count(remaining.len(), "schema difference", "schema differences"),
                names(&tables)
            ));
        }
        let moved = &self.schema.changed_during_run;
        if !moved.is_empty() {
            out.push(format!(
                "the source's schema changed during the run ({})",
                names(moved)
            ));
        }
        let data = &self.data;
        if !data.errors.is_empty() {
            let mut per_table: Vec<(&str, usize)> = Vec::new();
            for e in &data.errors {
                match per_table.iter_mut().find(|(t, _)| *t == e.table) {
                    Some((_, n)) => *n += 1,
                    None => per_table.push((&e.table, 1)),
                }
            }
            let listed: Vec<String> = per_table.iter().map(|(t, n)| format!("{t}: {n}")).collect();
            out.push(format!(
                "{} refused ({})",
                count(data.errors.len(), "row", "rows"),
                names(&listed)
            ));
        }
        let skipped: Vec<&str> = data
            .tables
            .iter()
            .filter(|t| t.skipped_because.is_some())
            .map(|t| t.table.as_str())
            .collect();
        if !skipped.is_empty() {
            out.push(format!(
                "{} skipped ({})",
                count(skipped.len(), "table", "tables"),
                names(&skipped)
            ));
        }
        let differing: Vec<String> = data
            .tables
            .iter()
            .filter_map(|t| match (data.status, t.differences_after) {
                (DataStatus::Applied, Some(n)) if n > 0 => Some(format!("{}: {n}", t.table)),
                (DataStatus::Planned, _) => {
                    let planned = [
                        (t.rows_inserted, "to insert"),
                        (t.rows_updated, "to update"),
                        (t.rows_deleted, "to delete"),
                    ];
                    let counts: Vec<String> = planned
                        .iter()
                        .filter(|(n, _)| *n > 0)
                        .map(|(n, what)| format!("{n} {what}"))
                        .collect();
                    (!counts.is_empty()).then(|| format!("{}: {}", t.table, counts.join(", ")))
                }
                _ => None,
            })
            .collect();
        if !differing.is_empty() {
            let how = match data.status {
                DataStatus::Planned => "rows differ",
                _ => "rows still differ",
            };
            out.push(format!(
                "{how} in {} ({})",
                count(differing.len(), "table", "tables"),
                names(&differing)
            ));
        }
        if out.is_empty() {
            out.push("the target differs from the source".to_string());
        }
        out
    }
}

/// Names listed in one line before the rest are counted.
const NAMES_SHOWN: usize = 8;

/// `a, b, c` — at most `NAMES_SHOWN`, then how many more: a list that
/// stays one line however many tables it names.
pub fn names<S: AsRef<str>>(items: &[S]) -> String {
    let mut text = items
        .iter()
        .take(NAMES_SHOWN)
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > NAMES_SHOWN {
        text.push_str(&format!(" and {} more", items.len() - NAMES_SHOWN));
    }
    text
}

/// `1 table`, `3 tables`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// The items in order of first appearance, each once.
fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}
