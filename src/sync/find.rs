//! Finding one table's changes: by streaming every row of both sides, by
//! streaming only the key ranges whose checksums differ (bisection), or,
//! where the target has nothing to compare, by copying every source row.

use super::apply::TableApplier;
use super::bisect::differing_ranges;
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
    /// Merge only the rows of the key ranges whose checksums differ.
    Bisect,
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
    let ranges = match how {
        Find::Diff(DiffMethod::Bisect) => {
            let all = KeyRange::all();
            differing_ranges(source, reader, table, within.unwrap_or(&all)).await?
        }
        Find::Diff(DiffMethod::Stream) | Find::CopyAll => None,
    };
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
                parts: 1,
            }
        }
    };
    if let Some(bar) = bar {
        bar.finish();
    }
    Ok(found)
}
