//! The first look at every table, before anything is written, the tables
//! spread over the lanes: a table the servers' own checksums find equal is
//! skipped whole, and so is a table empty on both sides; a target table
//! with no row is not read at all (every source row is new: a bulk
//! copy); a table that would lose more rows than the delete guard lets go
//! is left untouched.

use super::compare::quick_compare;
use super::lanes::{run_on_lanes, Lane, Schedule};
use super::{DeleteGuard, RowCounts, SyncTable, TargetRows};
use crate::data::table::TableData;
use crate::error::Result;

/// What the first look found of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Look {
    /// The servers' checksums are equal: nothing to do.
    Equal,
    /// The target table has no row.
    Empty,
    /// The rows must be compared.
    Differs,
    /// Reloaded whole (a script, after a schema change).
    Replace,
    /// The delete guard keeps it untouched.
    Guarded,
}

impl Look {
    /// Whether rows of the table may be written (scripted, counted) after
    /// this look.
    pub(crate) fn writes(self) -> bool {
        !matches!(self, Look::Equal | Look::Guarded)
    }
}

/// Every table's look, and the source checksums computed on the way (kept
/// for the check after the writes: the source is read in one snapshot).
pub(crate) struct Looks {
    pub looks: Vec<Look>,
    pub source_sums: Vec<Option<u64>>,
    /// The row counts of the tables the delete guard keeps untouched.
    pub guarded: Vec<Option<RowCounts>>,
    /// The tables still to look at, in order.
    queue: std::vec::IntoIter<usize>,
}

impl Schedule for Looks {
    type Start = ();
    type Done = (Look, Option<u64>, Option<RowCounts>);

    fn next(&mut self) -> Option<(usize, ())> {
        self.queue.next().map(|i| (i, ()))
    }

    fn done(&mut self, i: usize, (look, sum, guarded): Self::Done) -> Result<()> {
        self.looks[i] = look;
        self.source_sums[i] = sum;
        self.guarded[i] = guarded;
        Ok(())
    }
}

pub(crate) async fn first_looks(
    lanes: &mut Vec<Lane<'_>>,
    tables: &[SyncTable],
    guard: Option<DeleteGuard>,
) -> Result<Looks> {
    let queue: Vec<usize> = (0..tables.len())
        .filter(|&i| tables[i].target_rows == TargetRows::Compare)
        .collect();
    let mut looks = Looks {
        looks: vec![Look::Replace; tables.len()],
        source_sums: vec![None; tables.len()],
        guarded: vec![None; tables.len()],
        queue: queue.into_iter(),
    };
    run_on_lanes(lanes, &mut looks, async |lane, i, ()| {
        let table = &tables[i].data;
        let mut sum = None;
        let look = look_at(lane, table, &mut sum).await?;
        // Rows can go only where the target has some and they differ.
        if let (Look::Differs, Some(guard)) = (look, guard) {
            let (source, target) =
                tokio::try_join!(lane.source.count_rows(table), lane.reader.count_rows(table))?;
            let counts = RowCounts { source, target };
            if guard.refuses(counts) {
                return Ok((Look::Guarded, sum, Some(counts)));
            }
        }
        Ok((look, sum, None))
    })
    .await?;
    Ok(looks)
}

async fn look_at(lane: &mut Lane<'_>, table: &TableData, sum: &mut Option<u64>) -> Result<Look> {
    // Emptiness first: it costs one row, a checksum the whole table.
    Ok(if lane.reader.is_empty(table).await? {
        // Both empty: nothing to write (nor triggers to take out of the way).
        match lane.source.is_empty(table).await? {
            true => Look::Equal,
            false => Look::Empty,
        }
    } else if quick_compare(lane.source, lane.reader, table, sum).await? == Some(true) {
        Look::Equal
    } else {
        Look::Differs
    })
}
