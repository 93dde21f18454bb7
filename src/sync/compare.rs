//! Asking both sides the same question at the same time: a key range's
//! checksum, a whole table's checksum. The answers count only where the
//! two servers compute them alike (same flavor and version).

use crate::data::segment::{Checksum, KeyRange};
use crate::data::table::TableData;
use crate::engine::{SourceDb, TargetReader};
use crate::error::Result;

/// Checksums key ranges on both sides at the same time (one statement a
/// side where the engine can), one pair per range in order; `None` when
/// either engine cannot, or their checksums are not comparable (another
/// flavor or version, whose text forms of values may differ).
pub(crate) async fn range_checksums(
    source: &mut SourceDb,
    target: &mut TargetReader,
    table: &TableData,
    ranges: &[KeyRange],
) -> Result<Option<(Vec<Checksum>, Vec<Checksum>)>> {
    if source.flavor() != target.flavor() {
        return Ok(None);
    }
    let (a, b) = tokio::try_join!(
        source.range_checksums(table, ranges),
        target.range_checksums(table, ranges)
    )?;
    Ok(a.zip(b))
}

/// Compares a table on both sides by the servers' own whole-table
/// checksums, computed at the same time: `Some(true)` means equal rows,
/// `Some(false)` different ones, `None` that the servers cannot tell
/// (another engine, flavor or version, whose checksums differ for equal
/// rows). `source_sum` keeps the source's checksum between calls: the
/// source is read in one snapshot, so a table's checksum there cannot
/// change, and the check after the writes costs the target's alone.
pub(crate) async fn quick_compare(
    source: &mut SourceDb,
    target: &mut TargetReader,
    table: &TableData,
    source_sum: &mut Option<u64>,
) -> Result<Option<bool>> {
    if source.flavor() != target.flavor() {
        return Ok(None);
    }
    let (a, b) = match *source_sum {
        Some(known) => (Some(known), target.table_checksum(table).await?),
        None => tokio::try_join!(source.table_checksum(table), target.table_checksum(table))?,
    };
    *source_sum = a;
    Ok(match (a, b) {
        (Some(a), Some(b)) => Some(a == b),
        _ => None,
    })
}
