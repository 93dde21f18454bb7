//! Finding one table's changes: by streaming every row of both sides, by
//! row hashes (keys and hashes streamed, rows read only where they
//! differ), by streaming only the key ranges whose checksums differ
//! (bisection, its leaves sized by the link), one chosen per table by
//! what the link costs (`choose`), or, where the target has nothing to
//! compare, by copying every source row.

use super::apply::TableApplier;
use super::bisect::differing_ranges;
use super::choose::{Alternative, CostEstimate, LinkCost, FANOUT, MAX_LEAF_ROWS};
use super::hashes::diff_by_hashes;
use super::pipeline::diff_table;
use crate::data::segment::KeyRange;
use crate::data::table::TableData;
use crate::engine::{RowRead, SourceDb, TargetReader};
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
    /// Merge keys with row hashes, then only the rows whose keys differ
    /// (tables without a key, or on an engine that cannot, stream).
    Hashes,
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
    /// Key ranges read (bisect: those whose checksums differed; hashes:
    /// the parts hashed).
    pub ranges_read: usize,
    /// Keys with row hashes read from both sides together.
    pub hashes_read: u64,
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
    Hashes,
    Copy,
}

impl Found {
    pub fn as_str(self) -> &'static str {
        match self {
            Found::Stream => "stream",
            Found::Bisect => "bisect",
            Found::Hashes => "hashes",
            Found::Copy => "copy",
        }
    }
}

impl FindStats {
    /// Adds what another pass over the same table found.
    pub fn add(&mut self, other: FindStats) {
        self.method = other.method.or(self.method);
        self.ranges_read += other.ranges_read;
        self.hashes_read += other.hashes_read;
        self.rows_read += other.rows_read;
        self.cost = other.cost.or(self.cost);
        self.parts = self.parts.max(other.parts);
    }
}

/// Finds a table's changes (in `within`, a key range of it holding about
/// `rows` rows where the caller knows, or all of it) the way `how` says
/// and hands them to `sink`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn find_changes(
    source: &mut SourceDb,
    reader: &mut TargetReader,
    table: &TableData,
    how: Find,
    within: Option<&KeyRange>,
    rows: Option<u64>,
    bar: Option<RowBar>,
    sink: &mut TableApplier<'_>,
) -> Result<FindStats> {
    let hashable = source.hashes_by_key(table) && reader.hashes_by_key(table);
    // The method asked for, the link (sizing bisection's leaves), and
    // whether the link's cost decides instead.
    let (method, link, by_cost) = match how {
        Find::CopyAll => (Found::Copy, None, false),
        Find::Diff(DiffMethod::Stream) => (Found::Stream, None, false),
        Find::Diff(DiffMethod::Hashes) if hashable => (Found::Hashes, None, false),
        Find::Diff(DiffMethod::Hashes) => (Found::Stream, None, false),
        Find::Diff(DiffMethod::Bisect(link)) => (Found::Bisect, link, false),
        Find::Diff(DiffMethod::ByCost(link)) => (Found::Bisect, Some(link), true),
    };
    let all = KeyRange::all();
    let within_or_all = within.unwrap_or(&all);
    // The server's statistics size the parts and leaves (and, by cost,
    // decide).
    let size = match method {
        Found::Bisect | Found::Hashes => source.estimate_size(&table.name).await,
        Found::Stream | Found::Copy => None,
    };
    let mut cost = None;
    let mut method = method;
    if by_cost {
        let alternative = match hashable {
            true => Alternative::Hashes,
            false => Alternative::Bisect,
        };
        cost = link
            .zip(size)
            .map(|(link, size)| link.estimate(size, alternative));
        method = match (cost.map(CostEstimate::prefers_alternative), alternative) {
            (Some(false), _) => Found::Stream,
            (_, Alternative::Hashes) => Found::Hashes,
            (_, Alternative::Bisect) => Found::Bisect,
        };
    }
    let mut found = FindStats {
        method: Some(method),
        ranges_read: 1,
        cost,
        parts: 1,
        ..FindStats::default()
    };
    match method {
        Found::Hashes => {
            let rows = rows.or(size.map(|s| s.rows)).unwrap_or(0);
            let hashed = diff_by_hashes(
                source,
                reader,
                table,
                rows,
                within_or_all,
                bar.clone(),
                sink,
            )
            .await?;
            found.ranges_read = hashed.parts;
            found.hashes_read = hashed.hashes_read;
            found.rows_read = hashed.rows_read;
        }
        Found::Bisect => {
            let leaf_rows = link.map_or(MAX_LEAF_ROWS, |l| l.leaf_rows(size));
            let rows = size.map_or(leaf_rows * FANOUT as u64, |s| s.rows);
            match differing_ranges(source, reader, table, rows, leaf_rows, within_or_all).await? {
                Some(ranges) => {
                    for range in &ranges {
                        let read = RowRead::Rows(Some(range));
                        found.rows_read +=
                            diff_table(source, reader, table, read, false, bar.clone(), sink)
                                .await?;
                    }
                    found.ranges_read = ranges.len();
                }
                None => {
                    // The servers cannot compare checksums: stream.
                    found.method = Some(Found::Stream);
                    found.rows_read += diff_table(
                        source,
                        reader,
                        table,
                        RowRead::Rows(within),
                        false,
                        bar.clone(),
                        sink,
                    )
                    .await?;
                }
            }
        }
        Found::Stream | Found::Copy => {
            let copy = method == Found::Copy;
            found.rows_read = diff_table(
                source,
                reader,
                table,
                RowRead::Rows(within),
                copy,
                bar.clone(),
                sink,
            )
            .await?;
        }
    }
    if let Some(bar) = bar {
        bar.finish();
    }
    Ok(found)
}
