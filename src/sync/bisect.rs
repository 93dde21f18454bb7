//! Checksum bisection: finds the key ranges where a table differs by
//! asking both servers for checksums of ranges (row count and 128 bits of
//! row hashes, computed server-side at the same time), never shipping the
//! rows of a range whose checksums agree. Differing ranges are split and
//! checked again down to a size where streaming their rows is cheap.
//!
//! Adaptive: when most of the ranges at one level differ (changes spread
//! evenly), splitting further would only checksum the same rows again, so
//! those ranges are streamed as they are.

use super::compare::range_checksums;
use crate::data::segment::KeyRange;
use crate::data::table::TableData;
use crate::data::value::key_cmp;
use crate::engine::{SourceDb, TargetReader};
use crate::error::Result;

/// A range with at most this many rows on either side is streamed.
const LEAF_ROWS: u64 = 5_000;
/// Ranges a differing range is split into.
const FANOUT: usize = 16;
/// From this share of differing ranges at a level on, differences count
/// as dense.
const DENSE_SHARE: f64 = 0.5;

/// The ranges of `table` inside `within` whose rows differ, in key order;
/// `None` when the two servers cannot compare checksums (then all of
/// `within` is streamed).
pub(crate) async fn differing_ranges(
    source: &mut SourceDb,
    target: &mut TargetReader,
    table: &TableData,
    within: &KeyRange,
) -> Result<Option<Vec<KeyRange>>> {
    let mut leaves = Vec::new();
    // The caller already knows the table differs (the first look): start
    // one level down.
    let mut level = within.split(source.split_points(table, within, FANOUT).await?);
    let mut depth = 1;
    while !level.is_empty() {
        let mut differing = Vec::new();
        for range in &level {
            let Some((s, t)) = range_checksums(source, target, table, range).await? else {
                return Ok(None);
            };
            if s != t {
                differing.push((range.clone(), s.rows.max(t.rows)));
            }
        }
        let dense = depth > 0 && differing.len() as f64 > DENSE_SHARE * level.len() as f64;
        let mut next = Vec::new();
        for (range, rows) in differing {
            if dense || rows <= LEAF_ROWS {
                leaves.push(range);
                continue;
            }
            let points = source.split_points(table, &range, FANOUT).await?;
            if points.is_empty() {
                leaves.push(range);
            } else {
                next.extend(range.split(points));
            }
        }
        level = next;
        depth += 1;
    }
    // Ranges are disjoint: order them by their lower bound (open first).
    leaves.sort_by(|a, b| match (&a.after, &b.after) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => key_cmp(x, y),
    });
    Ok(Some(leaves))
}
