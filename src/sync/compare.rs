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
/// checksums (see `quick_compare_all`).
pub(crate) async fn quick_compare(
    source: &mut SourceDb,
    target: &mut TargetReader,
    table: &TableData,
    source_sum: &mut Option<u64>,
) -> Result<Option<bool>> {
    let verdicts =
        quick_compare_all(source, target, &[table], std::slice::from_mut(source_sum)).await?;
    Ok(verdicts[0])
}

/// Compares tables on both sides by the servers' own whole-table
/// checksums, each side asked for all of them at once, both sides at the
/// same time: per table `Some(true)` means equal rows, `Some(false)`
/// different ones, `None` that the servers cannot tell (another engine,
/// flavor or version, whose checksums differ for equal rows).
/// `source_sums` keeps the source's checksums between calls: the source
/// is read in one snapshot, so a table's checksum there cannot change,
/// and the check after the writes costs the target's alone.
pub(crate) async fn quick_compare_all(
    source: &mut SourceDb,
    target: &mut TargetReader,
    tables: &[&TableData],
    source_sums: &mut [Option<u64>],
) -> Result<Vec<Option<bool>>> {
    let cannot_tell = vec![None; tables.len()];
    if source.flavor() != target.flavor() {
        return Ok(cannot_tell);
    }
    let unknown: Vec<&TableData> = tables
        .iter()
        .zip(source_sums.iter())
        .filter(|(_, sum)| sum.is_none())
        .map(|(table, _)| *table)
        .collect();
    let (fresh, theirs) = match unknown.is_empty() {
        true => (Some(Vec::new()), target.table_checksums(tables).await?),
        false => tokio::try_join!(
            source.table_checksums(&unknown),
            target.table_checksums(tables)
        )?,
    };
    let (Some(fresh), Some(theirs)) = (fresh, theirs) else {
        return Ok(cannot_tell);
    };
    let mut fresh = fresh.into_iter();
    Ok(source_sums
        .iter_mut()
        .zip(theirs)
        .map(|(sum, theirs)| {
            if sum.is_none() {
                *sum = fresh.next();
            }
            sum.map(|ours| ours == theirs)
        })
        .collect())
}
