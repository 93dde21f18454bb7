//! Finding one table's changes: by streaming every row of both sides, by
//! streaming only the key ranges whose checksums differ (bisection, its
//! leaves sized by the link), either one chosen per table by what the
//! link costs (`choose`), or, where the target has nothing to compare, by
//! copying every source row.

use super::apply::TableApplier;
use super::bisect::differing_ranges;
use super::choose::{CostEstimate, LinkCost, FANOUT, MAX_LEAF_ROWS};
use super::pipeline::diff_table;
use crate::data::segment::KeyRange;
use crate::data::table::TableData;
use crate::engine::{SourceDb, TargetReader};
use crate::error::Result;
use crate::report::progress::RowBar;

/// How differing rows are found in a table whose target has rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffMethod {
    /// Merge every row of both sides.
    Stream,
    /// Merge only the rows of the key ranges whose checksums differ;
    /// leaves sized by the link to the source where it was measured.
    Bisect(Option<LinkCost>),
    /// Per table, whichever the link makes cheaper (see `choose`).
    ByCost(LinkCost),
}

/// How one table's changes are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Find {
    Diff(DiffMethod),
    /// The target has nothing to compare: every source row is new.
    CopyAll,
}

/// How a table's changes were found, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FindStats {
    /// `None`: the first look found the table equal, no row was read.
    pub method: Option<Found>,
    /// Key ranges read (bisect: those whose checksums differed).
    pub ranges_read: usize,
    /// Rows read from both sides together.
    pub rows_read: u64,
    /// What streaming and bisecting were estimated to cost, where the
    /// link chose between them.
    pub cost: Option<CostEstimate>,
    /// Key ranges the table was cut into, synced side by side on the
    /// lanes (`ranges`); 1 (or 0, nothing read): whole.
    pub parts: usize,
}

/// What found a table's changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Stream,
    Bisect,
    Copy,
}

impl Found {
    pub fn as_str(self) -> &'static str {
        match self {
            Found::Stream => "stream",
            Found::Bisect => "bisect",
            Found::Copy => "copy",
        }
    }
}

impl FindStats {
    /// Adds what another pass over the same table found.
    pub fn add(&mut self, other: FindStats) {
        self.method = other.method.or(self.method);
        self.ranges_read += other.ranges_read;
        self.rows_read += other.rows_read;
        self.cost = other.cost.or(self.cost);
        self.parts = self.parts.max(other.parts);
    }
}

/// Finds a table's changes (in `within`, a key range of it, or all of
/// it) the way `how` says and hands them to `sink`.
pub(crate) async fn find_changes(
    source: &mut SourceDb,
    reader: &mut TargetReader,
    table: &TableData,
    how: Find,
    within: Option<&KeyRange>,
    bar: Option<RowBar>,
    sink: &mut TableApplier<'_>,
) -> Result<FindStats> {
    let (link, by_cost) = match how {
        Find::Diff(DiffMethod::Bisect(link)) => (Some(link), false),
        Find::Diff(DiffMethod::ByCost(link)) => (Some(Some(link)), true),
        Find::Diff(DiffMethod::Stream) | Find::CopyAll => (None, false),
    };
    let mut cost = None;
    let mut ranges = None;
    if let Some(link) = link {
        // The server's statistics size the leaves (and, by cost, decide).
        let size = source.estimate_size(&table.name).await;
        if by_cost {
            cost = link.zip(size).map(|(link, size)| link.estimate(size));
        }
        if cost.is_none_or(CostEstimate::bisects) {
            let leaf_rows = link.map_or(MAX_LEAF_ROWS, |l| l.leaf_rows(size));
            let rows = size.map_or(leaf_rows * FANOUT as u64, |s| s.rows);
            let all = KeyRange::all();
            let within = within.unwrap_or(&all);
            ranges = differing_ranges(source, reader, table, rows, leaf_rows, within).await?;
        }
    }
    let found = match ranges {
        Some(ranges) => {
            let mut rows_read = 0;
            for range in &ranges {
                rows_read +=
                    diff_table(source, reader, table, Some(range), false, bar.clone(), sink)
                        .await?;
            }
            FindStats {
                method: Some(Found::Bisect),
                ranges_read: ranges.len(),
                rows_read,
                cost,
                parts: 1,
            }
        }
        None => {
            let copy = how == Find::CopyAll;
            let rows_read =
                diff_table(source, reader, table, within, copy, bar.clone(), sink).await?;
            FindStats {
                method: Some(if copy { Found::Copy } else { Found::Stream }),
                ranges_read: 1,
                rows_read,
                cost,
                parts: 1,
            }
        }
    };
    if let Some(bar) = bar {
        bar.finish();
    }
    Ok(found)
}
