//! Checksum bisection: finds the key ranges where a table differs by
//! asking both servers for checksums of ranges (row count and 128 bits of
//! row hashes, computed server-side at the same time), never shipping the
//! rows of a range whose checksums agree.
//!
//! The table is cut once into leaves (one query for every split point);
//! the tree over them is walked level by level, each level's ranges
//! checksummed in one statement per server, both servers asked at once:
//! a level costs one round trip, however many ranges it holds. Differing
//! ranges are split `FANOUT` ways at the next level, down to the leaves,
//! whose rows are streamed (neighbouring leaves as one range).
//!
//! Adaptive: when every range at a level differs (changes spread
//! evenly), splitting further would only checksum the same rows again, so
//! those ranges are streamed as they are.

use super::choose::{leaves, looks_dense, FANOUT};
use super::compare::range_checksums;
use crate::data::segment::KeyRange;
use crate::data::table::TableData;
use crate::engine::{SourceDb, TargetReader};
use crate::error::Result;

/// A run of leaves, `start..end`.
type Span = std::ops::Range<usize>;

/// The ranges of `table` inside `within` whose rows differ, in key order,
/// for leaves of about `leaf_rows` rows in a table of about `rows` rows;
/// `None` when the two servers cannot compare checksums (then all of
/// `within` is streamed).
pub(crate) async fn differing_ranges(
    source: &mut SourceDb,
    target: &mut TargetReader,
    table: &TableData,
    rows: u64,
    leaf_rows: u64,
    within: &KeyRange,
) -> Result<Option<Vec<KeyRange>>> {
    let parts = leaves(rows, leaf_rows).max(FANOUT as u64) as usize;
    let cut = within.split(source.split_points(table, within, parts).await?);
    let range_of = |span: &Span| KeyRange {
        after: cut[span.start].after.clone(),
        up_to: cut[span.end - 1].up_to.clone(),
    };
    // The caller already knows the table differs (the first look): start
    // one level down.
    let mut level = split(0..cut.len());
    let mut found: Vec<Span> = Vec::new();
    while !level.is_empty() {
        let ranges: Vec<KeyRange> = level.iter().map(range_of).collect();
        let Some((s, t)) = range_checksums(source, target, table, &ranges).await? else {
            return Ok(None);
        };
        let differing: Vec<Span> = level
            .into_iter()
            .zip(s.iter().zip(&t))
            .filter(|(_, (s, t))| s != t)
            .map(|(span, _)| span)
            .collect();
        let dense = looks_dense(differing.len(), ranges.len());
        let mut next = Vec::new();
        for span in differing {
            if dense || span.len() == 1 {
                found.push(span);
            } else {
                next.extend(split(span));
            }
        }
        level = next;
    }
    Ok(Some(joined(found).iter().map(range_of).collect()))
}

/// `span` cut into up to `FANOUT` runs of about equal length.
fn split(span: Span) -> Vec<Span> {
    let parts = span.len().min(FANOUT);
    (0..parts)
        .map(|i| span.start + span.len() * i / parts..span.start + span.len() * (i + 1) / parts)
        .collect()
}

/// Disjoint spans in order, neighbours joined into one.
fn joined(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by_key(|s| s.start);
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match out.last_mut() {
            Some(last) if last.end == span.start => last.end = span.end,
            _ => out.push(span),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_split_evenly_and_cover_their_parent() {
        assert_eq!(split(0..3), vec![0..1, 1..2, 2..3]);
        let parts = split(10..50);
        assert_eq!(parts.len(), FANOUT);
        assert_eq!(parts[0].start, 10);
        assert_eq!(parts[FANOUT - 1].end, 50);
        assert!(parts.windows(2).all(|w| w[0].end == w[1].start));
        assert!(parts.iter().all(|p| (2..=3).contains(&p.len())));
    }

    #[test]
    fn neighbouring_spans_join() {
        assert_eq!(joined(vec![5..6, 0..1, 1..3, 7..8, 6..7]), vec![0..3, 5..8]);
        assert_eq!(joined(Vec::new()), Vec::<Span>::new());
    }
}
