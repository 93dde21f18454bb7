//! What follows the main pass over every table: the rows whose unique
//! values move that key ranges kept back, the deletes kept back
//! (children first), the retries of rows a foreign key refused, the
//! verification that every synced table now matches the source (with
//! `multi_pass`, more passes over tables that still differ), and the
//! source's AUTO_INCREMENT counters.

use super::apply::{Output, Pass, TableApplier};
use super::compare::quick_compare;
use super::find::{find_changes, Find};
use super::first_look::{Look, Looks};
use super::fk::WriteStep;
use super::kept::KeptKeys;
use super::lanes::{run_on_lanes, Lane, Schedule};
use super::{RowMode, Shared, SyncTable, TableOutcome};
use crate::data::rowdiff::RowChange;
use crate::data::table::TableData;
use crate::data::value::Row;
use crate::engine::{SourceDb, TargetReader, ROW_CHUNK};
use crate::error::Result;
use crate::sync::apply::RefusedRow;

/// Extra passes `multi_pass` allows over tables that still differ.
const MULTI_PASS_ROUNDS: usize = 2;

/// Writes the rows whose unique values move that the key ranges of a
/// table kept back, each table's together (as one range's applier does
/// at its end: deleted and inserted again in one transaction, FK checks
/// off), so values that move between ranges cannot block each other.
pub(crate) async fn moves(
    lane: &mut Lane<'_>,
    tables: &[SyncTable],
    moves: &mut [Vec<Row>],
    outcomes: &mut [TableOutcome],
    shared: &Shared<'_>,
) -> Result<()> {
    for ((table, rows), outcome) in tables.iter().zip(moves).zip(outcomes) {
        if rows.is_empty() {
            continue;
        }
        let table = &table.data;
        let mut applier = TableApplier::new(
            Output::Execute(&mut *lane.writer),
            shared.dialect,
            table,
            Pass::All,
            shared.fk.checks(&table.name, WriteStep::Pass),
            shared.max_bytes,
        );
        applier.stop_on(shared.stop);
        applier.start().await?;
        applier.add_moves(std::mem::take(rows));
        let written = applier.finish().await;
        outcome.counts.add(applier.counts);
        outcome.refused.extend(std::mem::take(&mut applier.refused));
        written?;
    }
    Ok(())
}

/// Runs (or scripts, or counts) the deletes the main pass kept back, the
/// tables in reverse order (children first).
pub(crate) async fn deferred_deletes(
    lane: &mut Lane<'_>,
    mode: &mut RowMode<'_>,
    tables: &[SyncTable],
    deferred: &mut [KeptKeys],
    outcomes: &mut [TableOutcome],
    shared: &Shared<'_>,
) -> Result<()> {
    for i in (0..tables.len()).rev() {
        let keys = std::mem::take(&mut deferred[i]);
        if keys.is_empty() {
            continue;
        }
        let table = &tables[i].data;
        let output = Output::new(mode.reborrow(), &mut *lane.writer);
        let fk_checks = shared.fk.checks(&table.name, WriteStep::Pass);
        let mut applier = TableApplier::new(
            output,
            shared.dialect,
            table,
            Pass::Deletes,
            fk_checks,
            shared.max_bytes,
        );
        applier.start().await?;
        let mut keys = keys.into_chunks()?;
        loop {
            let chunk: Vec<RowChange> = keys
                .next_chunk(ROW_CHUNK)?
                .into_iter()
                .map(|key| RowChange::Delete(table.row_of_key(key)))
                .collect();
            if chunk.is_empty() {
                break;
            }
            use super::pipeline::ChangeSink;
            applier.accept(chunk).await?;
        }
        applier.finish().await?;
        let outcome = &mut outcomes[i];
        outcome.counts.add(applier.counts);
        outcome.refused.extend(std::mem::take(&mut applier.refused));
    }
    Ok(())
}

/// Retries the rows a foreign key refused, now that every table has been
/// written, until none is left, none more succeeds, or `fk_retry` rounds.
pub(crate) async fn retry_refused(
    lane: &mut Lane<'_>,
    tables: &[SyncTable],
    outcomes: &mut [TableOutcome],
    shared: &Shared<'_>,
) -> Result<()> {
    let target = &mut *lane.writer;
    for _ in 0..shared.fk_retry {
        let mut progress = false;
        for (table, outcome) in tables.iter().zip(outcomes.iter_mut()) {
            let table = &table.data;
            if !outcome.refused.iter().any(|r| r.retryable) {
                continue;
            }
            target
                .set_foreign_key_checks(shared.fk.checks(&table.name, WriteStep::Retry))
                .await?;
            let mut still = Vec::new();
            for refused in std::mem::take(&mut outcome.refused) {
                if !refused.retryable {
                    still.push(refused);
                    continue;
                }
                let statements = refused.kind.render(
                    shared.dialect,
                    table,
                    std::slice::from_ref(&refused.row),
                    (shared.max_bytes, false),
                );
                match target.execute_write(&statements).await {
                    Ok(()) => {
                        progress = true;
                        outcome.counts.record(refused.kind, 1);
                    }
                    Err(e) => still.push(RefusedRow {
                        message: e.message,
                        ..refused
                    }),
                }
            }
            outcome.refused = still;
        }
        if !progress {
            break;
        }
    }
    Ok(())
}

/// Verifies every table, the tables spread over the lanes; with
/// `multi_pass`, syncs the ones written that still differ again (up to
/// `MULTI_PASS_ROUNDS` more times, on the first lane) and verifies again.
/// A table the first look found equal is never written here: its
/// triggers were not taken out of the rows' way.
pub(crate) async fn verify_all(
    lanes: &mut Vec<Lane<'_>>,
    tables: &[SyncTable],
    outcomes: &mut [TableOutcome],
    looks: &mut Looks,
    shared: &Shared<'_>,
) -> Result<()> {
    let settled = |o: &TableOutcome| o.differences_after == Some(0) || o.guarded.is_some();
    let queue: Vec<usize> = (0..tables.len())
        .filter(|&i| !settled(&outcomes[i]))
        .collect();
    let mut checks = Checks {
        queue: queue.into_iter(),
        sums: &mut looks.source_sums,
        outcomes: &mut *outcomes,
    };
    run_on_lanes(lanes, &mut checks, async |lane, i, mut sum| {
        let left = verify(lane.source, lane.reader, &tables[i].data, &mut sum, shared).await?;
        Ok((left, sum))
    })
    .await?;
    let rounds = if shared.multi_pass {
        MULTI_PASS_ROUNDS
    } else {
        0
    };
    let lane = &mut lanes[0];
    for _ in 0..rounds {
        if outcomes.iter().all(settled) {
            break;
        }
        for (((table, outcome), source_sum), look) in tables
            .iter()
            .zip(outcomes.iter_mut())
            .zip(&mut looks.source_sums)
            .zip(&looks.looks)
        {
            let table = &table.data;
            // A guarded table was left as it was, on purpose.
            if settled(outcome) || !look.writes() {
                continue;
            }
            // Multi-pass: one more full pass over a table that still differs.
            let fk_checks = shared.fk.checks(&table.name, WriteStep::Pass);
            let output = Output::new(RowMode::Apply, &mut *lane.writer);
            let mut applier = TableApplier::new(
                output,
                shared.dialect,
                table,
                Pass::All,
                fk_checks,
                shared.max_bytes,
            );
            applier.start().await?;
            let bar = shared.progress.rows(&table.name, "resync", None);
            let how = Find::Diff(shared.method);
            find_changes(
                lane.source,
                lane.reader,
                table,
                how,
                None,
                None,
                bar,
                &mut applier,
            )
            .await?;
            applier.finish().await?;
            outcome.counts.add(applier.counts);
            outcome.refused = std::mem::take(&mut applier.refused);
            let left = verify(lane.source, lane.reader, table, source_sum, shared).await?;
            outcome.differences_after = Some(left);
        }
    }
    Ok(())
}

/// The first check of the tables after the writes, one table a lane at a
/// time: each starts from the source's checksum the first look kept, if
/// any, and hands back how many rows still differ and that checksum.
struct Checks<'o> {
    queue: std::vec::IntoIter<usize>,
    sums: &'o mut [Option<u64>],
    outcomes: &'o mut [TableOutcome],
}

impl Schedule for Checks<'_> {
    type Start = Option<u64>;
    type Done = (u64, Option<u64>);

    fn next(&mut self) -> Option<(usize, Option<u64>)> {
        self.queue.next().map(|i| (i, self.sums[i]))
    }

    fn done(&mut self, i: usize, (left, sum): Self::Done) -> Result<()> {
        self.outcomes[i].differences_after = Some(left);
        self.sums[i] = sum;
        Ok(())
    }
}

/// Gives every table the source's AUTO_INCREMENT counter where the
/// target's differs, once its rows are in (they move the target's counter)
/// and whether or not any row changed, so the next row either side gets
/// has the same key (a script: the same statements, where the rows it
/// writes may move the counter or it differs already). Both counters come
/// from the schemas read at the start; only a table whose rows were
/// written has its target counter read again. Engines without counters
/// read none and skip this; the target may keep a larger counter where
/// its rows need one. A target that refuses (an account without ALTER)
/// keeps its counter, with a note.
pub(crate) async fn follow_counters(
    lane: &mut Lane<'_>,
    mode: &mut RowMode<'_>,
    tables: &[SyncTable],
    looks: &[Look],
    outcomes: &mut [TableOutcome],
    shared: &Shared<'_>,
) -> Result<()> {
    for ((table, outcome), look) in tables.iter().zip(outcomes.iter_mut()).zip(looks) {
        let name = &table.data.name;
        let Some(next) = table.counters.source else {
            continue;
        };
        match mode {
            RowMode::Count => return Ok(()),
            RowMode::Script(lines) => {
                if look.writes() || table.counters.target != Some(next) {
                    lines.extend(shared.dialect.set_counter(name, next));
                }
                continue;
            }
            RowMode::Apply => {}
        }
        let current = match look.writes() {
            true => lane.writer.auto_increment(name).await?,
            false => table.counters.target,
        };
        if current == Some(next) {
            continue;
        }
        if let Err(e) = lane.writer.set_auto_increment(name, next).await {
            outcome.counter_note = Some(format!(
                "the AUTO_INCREMENT counter of `{name}` stays {}, not the source's {next}: {e}",
                current.map_or("unset".to_string(), |c| c.to_string())
            ));
        }
    }
    Ok(())
}

/// The rows still differing in a table after the apply: by the servers'
/// checksums when they can tell, else by comparing every row again.
async fn verify(
    source: &mut SourceDb,
    reader: &mut TargetReader,
    table: &TableData,
    source_sum: &mut Option<u64>,
    shared: &Shared<'_>,
) -> Result<u64> {
    if quick_compare(source, reader, table, source_sum).await? == Some(true) {
        return Ok(0);
    }
    let mut counter = TableApplier::new(
        Output::Count,
        shared.dialect,
        table,
        Pass::All,
        true,
        shared.max_bytes,
    );
    let bar = shared.progress.rows(&table.name, "verify", None);
    find_changes(
        source,
        reader,
        table,
        Find::Diff(shared.method),
        None,
        None,
        bar,
        &mut counter,
    )
    .await?;
    Ok(counter.counts.total())
}
