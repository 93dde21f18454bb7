//! Key-range lanes inside one table: which tables of a run are cut into
//! key ranges that several lanes sync side by side (one big table would
//! otherwise keep the run to one stream: one connection's window, and
//! one server thread compressing and reading), into how many, and where. The cut points
//! are read on the source's first lane, inside the run's one snapshot.
//!
//! A table is cut only where its ranges cannot overlap or miss a row: it
//! has a key whose columns are all NOT NULL (a range bound compares keys,
//! and a NULL compares with nothing). Unique values that move between
//! rows of different ranges (two rows swapping them) cannot be ordered by
//! one range's writes: the ranges hand those rows back, and they are
//! written together once every table's main pass is done (`finish`).
//!
//! Only tables whose target holds rows to compare are cut. An empty
//! target table is filled by one streamed bulk load, and a second load
//! into the same table does not pay: measured on MariaDB 10.11 (400,000
//! rows of the bench's `job_orders` shape, this 2-core machine shared), a
//! load into an empty table with unique and FK checks off takes a lock on
//! the whole table until it commits (it builds each index by one sort), so
//! a second load waits for it (and fails after `innodb_lock_wait_timeout`
//! on a big table); one such load took 9.8 s, four side by side 12.2 s,
//! and four side by side with the checks on (row locks, a B-tree insert
//! per row) 30.8 s.

use super::first_look::Look;
use super::SyncTable;
use crate::data::segment::KeyRange;
use crate::data::table::{KeySource, TableData};
use crate::engine::SourceDb;
use crate::error::Result;

/// The rows of a table a lane is given at least, by default: a table is
/// cut once the source estimates twice this many rows. Measured over the
/// bench's emulated 20 ms / 100 Mbit/s link (2 shared cores running both
/// servers): one uncompressed stream already fills the link (60,000 rows
/// of `job_orders`: 1.6 s, three ranges side by side 1.55 s); compressed,
/// three ranges read 1.2-1.4x faster (1.2-1.36 s against 0.87-0.99 s),
/// the servers' per-connection compression being the limit. Yet a whole
/// dense re-sync of 100,000 rows was slower cut (data phase 5.35 s
/// against 4.08 s streaming, 10.7 s against 9.8 s bisecting): the extra
/// streams compete for the same cores. So only tables of half a million
/// rows and more are cut, where one stream carries tens of MB; that size
/// is not measured here yet.
const DEFAULT_RANGE_ROWS: u64 = 250_000;

/// `range_rows` when the config leaves it out: `DEFAULT_RANGE_ROWS` when
/// a server is reached over a network, else 0 (no table is cut). On
/// loopback or in one rack a single stream is held by neither a window
/// nor compression, and the cut itself costs the source a numbered scan
/// of the table's keys: on the bench's 1M rows on loopback (2 cores, both
/// servers), cutting `job_orders` in two cost the source 0.45 s of
/// `ROW_NUMBER()` before any row was read, and made the sparse re-sync
/// 9-16% slower than it was before tables were cut.
pub fn default_range_rows(over_network: bool) -> u64 {
    match over_network {
        true => DEFAULT_RANGE_ROWS,
        false => 0,
    }
}

/// One key range of a table cut into `of` ranges (`index` counts from 1).
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub range: KeyRange,
    pub index: usize,
    pub of: usize,
}

impl Part {
    /// `2/4`, for bars and report lines.
    pub fn label(&self) -> String {
        format!("{}/{}", self.index, self.of)
    }
}

/// How many ranges a table of about `estimate` rows is cut into, on
/// `lanes` lanes, each range of at least `range_rows` rows (0: never cut).
pub(crate) fn ranges_for(estimate: Option<u64>, lanes: usize, range_rows: u64) -> usize {
    match (estimate, range_rows) {
        (Some(rows), 1..) => ((rows / range_rows) as usize).clamp(1, lanes.max(1)),
        _ => 1,
    }
}

/// Whether a table's key can bound ranges: a real key, no column of it
/// NULL-able.
fn has_range_key(table: &TableData) -> bool {
    table.key_source != KeySource::WholeRow
        && !table.key.is_empty()
        && table.key.iter().all(|&c| !table.columns[c].nullable)
}

/// Whether ranges of the table may be written side by side after `look`.
fn may_cut(table: &TableData, look: Look) -> bool {
    look == Look::Differs && has_range_key(table)
}

/// The lanes a run over `tables` can keep busy, up to `parallelism`: one
/// per table, and as many as a table big enough to cut has ranges (should
/// the first look find it differing). Asks the source's estimates only
/// when there are fewer tables than lanes.
pub async fn lanes_to_fill(
    source: &mut SourceDb,
    tables: &[SyncTable],
    parallelism: usize,
    range_rows: u64,
) -> usize {
    let mut work = tables.len();
    if range_rows > 0 {
        for table in tables.iter().filter(|t| has_range_key(&t.data)) {
            if work >= parallelism {
                break;
            }
            let estimate = source.estimate_size(&table.data.name).await.map(|s| s.rows);
            work += ranges_for(estimate, parallelism, range_rows) - 1;
        }
    }
    parallelism.min(work).max(1)
}

/// Every table's work items in table order: `None` for a table synced
/// whole, else its ranges in key order. `estimates` are the source's.
pub(crate) async fn cut_tables(
    source: &mut SourceDb,
    tables: &[SyncTable],
    looks: &[Look],
    estimates: &[Option<u64>],
    lanes: usize,
    range_rows: u64,
) -> Result<Vec<Vec<Option<Part>>>> {
    let mut cuts = Vec::with_capacity(tables.len());
    for ((table, &look), &estimate) in tables.iter().zip(looks).zip(estimates) {
        let wanted = ranges_for(estimate, lanes, range_rows);
        let data = &table.data;
        if wanted < 2 || !may_cut(data, look) {
            cuts.push(vec![None]);
            continue;
        }
        let all = KeyRange::all();
        let ranges = all.split(source.split_points(data, &all, wanted).await?);
        if ranges.len() < 2 {
            cuts.push(vec![None]);
            continue;
        }
        let of = ranges.len();
        cuts.push(
            ranges
                .into_iter()
                .enumerate()
                .map(|(i, range)| {
                    Some(Part {
                        range,
                        index: i + 1,
                        of,
                    })
                })
                .collect(),
        );
    }
    Ok(cuts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_gets_one_range_per_lane_each_of_at_least_range_rows() {
        assert_eq!(ranges_for(Some(1_000_000), 4, 50_000), 4);
        assert_eq!(ranges_for(Some(120_000), 4, 50_000), 2);
        assert_eq!(ranges_for(Some(99_999), 4, 50_000), 1);
        assert_eq!(ranges_for(Some(1_000_000), 1, 50_000), 1);
        // Not estimated, or cutting off: whole.
        assert_eq!(ranges_for(None, 4, 50_000), 1);
        assert_eq!(ranges_for(Some(1_000_000), 4, 0), 1);
    }
}
