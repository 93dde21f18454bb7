//! The first look at every table, before anything is written: a table
//! the servers' own checksums find equal is skipped whole, and so is a
//! table empty on both sides; a target table with no row is not read at
//! all (every source row is new: a bulk copy); a table that would lose
//! more rows than the delete guard lets go is left untouched. Round trips
//! are what a first look over a network costs: each side is asked which
//! tables are empty in one go, and the checksums of the others in a few
//! groups spread over the lanes, so a database of many small tables is
//! looked at in a handful of round trips, not two a table.

use super::compare::quick_compare_all;
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
}

/// The groups of tables whose checksums are still to be compared, each
/// asked of both sides at once (one statement, or one round trip, a
/// side).
struct Groups<'a> {
    groups: std::vec::IntoIter<Vec<usize>>,
    looks: &'a mut Looks,
}

/// One table's look from its group's checksums: the table, its look, its
/// source checksum and, where the delete guard keeps it, its row counts.
type Found = (usize, Look, Option<u64>, Option<RowCounts>);

impl Schedule for Groups<'_> {
    type Start = Vec<usize>;
    type Done = Vec<Found>;

    fn next(&mut self) -> Option<(usize, Vec<usize>)> {
        self.groups.next().map(|group| (group[0], group))
    }

    fn done(&mut self, _: usize, found: Vec<Found>) -> Result<()> {
        for (i, look, sum, guarded) in found {
            self.looks.looks[i] = look;
            self.looks.source_sums[i] = sum;
            self.looks.guarded[i] = guarded;
        }
        Ok(())
    }
}

pub(crate) async fn first_looks(
    lanes: &mut Vec<Lane<'_>>,
    tables: &[SyncTable],
    guard: Option<DeleteGuard>,
) -> Result<Looks> {
    let mut looks = Looks {
        looks: vec![Look::Replace; tables.len()],
        source_sums: vec![None; tables.len()],
        guarded: vec![None; tables.len()],
    };
    let compared: Vec<usize> = (0..tables.len())
        .filter(|&i| tables[i].target_rows == TargetRows::Compare)
        .collect();
    if compared.is_empty() {
        return Ok(looks);
    }
    // Emptiness first, of every table at once: it costs a row a table,
    // a checksum the whole table.
    let data: Vec<&TableData> = compared.iter().map(|&i| &tables[i].data).collect();
    let lane = &mut lanes[0];
    let (target_empty, source_empty) = tokio::try_join!(
        lane.reader.empty_tables(&data),
        lane.source.empty_tables(&data)
    )?;
    let mut with_rows = Vec::new();
    for (n, &i) in compared.iter().enumerate() {
        looks.looks[i] = match (target_empty[n], source_empty[n]) {
            // Both empty: nothing to write (nor triggers to take out of the way).
            (true, true) => Look::Equal,
            (true, false) => Look::Empty,
            (false, _) => {
                with_rows.push(i);
                Look::Differs
            }
        };
    }
    let mut groups = Groups {
        groups: in_groups(with_rows, lanes.len()).into_iter(),
        looks: &mut looks,
    };
    run_on_lanes(lanes, &mut groups, async |lane, _, group| {
        look_at_group(lane, tables, &group, guard).await
    })
    .await?;
    Ok(looks)
}

/// `tables` cut into runs for `lanes` lanes: all in one run on a single
/// lane (its statements run one after the other anyway), else about two
/// runs a lane, so a lane whose run holds a big table leaves the others
/// to the rest.
fn in_groups(tables: Vec<usize>, lanes: usize) -> Vec<Vec<usize>> {
    let runs = if lanes <= 1 { 1 } else { 2 * lanes };
    let size = tables.len().div_ceil(runs).max(1);
    tables.chunks(size).map(<[usize]>::to_vec).collect()
}

/// Compares the checksums of a group of tables that both sides have rows
/// of; the delete guard counts the rows of those that differ.
async fn look_at_group(
    lane: &mut Lane<'_>,
    tables: &[SyncTable],
    group: &[usize],
    guard: Option<DeleteGuard>,
) -> Result<Vec<Found>> {
    let data: Vec<&TableData> = group.iter().map(|&i| &tables[i].data).collect();
    let mut sums = vec![None; group.len()];
    let verdicts = quick_compare_all(lane.source, lane.reader, &data, &mut sums).await?;
    let mut found = Vec::with_capacity(group.len());
    for (n, &i) in group.iter().enumerate() {
        if verdicts[n] == Some(true) {
            found.push((i, Look::Equal, sums[n], None));
            continue;
        }
        // Rows can go only where the target has some and they differ.
        if let Some(guard) = guard {
            let table = data[n];
            let (source, target) =
                tokio::try_join!(lane.source.count_rows(table), lane.reader.count_rows(table))?;
            let counts = RowCounts { source, target };
            if guard.refuses(counts) {
                found.push((i, Look::Guarded, sums[n], Some(counts)));
                continue;
            }
        }
        found.push((i, Look::Differs, sums[n], None));
    }
    Ok(found)
}
