//! One pass over one table (or one key range of it) on one lane: its
//! changes found and written (or scripted, or counted). An empty target
//! table whose rows may go in unchecked is loaded whole by one streamed
//! bulk load; anything else goes through the applier in batches.

use super::apply::{ChangeKind, Counts, Output, Pass, TableApplier};
use super::find::{find_changes, Find, FindStats, Found};
use super::first_look::Look;
use super::fk::WriteStep;
use super::kept::KeptKeys;
use super::lanes::Lane;
use super::pipeline::CHANNEL_DEPTH;
use super::ranges::Part;
use super::{RowMode, Shared, StopFlag, SyncTable, TargetRows};
use crate::data::table::TableData;
use crate::data::value::Row;
use crate::engine::{BulkLoad, RowRead, WriteErrorKind};
use crate::error::{Error, Result};
use crate::report::progress::RowBar;

/// What one pass over one table (or one key range of it) starts from.
#[derive(Clone)]
pub(crate) struct Step {
    pub look: Look,
    pub pass: Pass,
    /// Every table it references was synced before it in this run, no row
    /// refused: the parents hold what the source's snapshot holds.
    pub parents_synced: bool,
    /// The source's row estimate (of the range), when known.
    pub estimate: Option<u64>,
    /// The key range this pass is limited to, when the table is cut
    /// (`ranges`); `None`: the whole table.
    pub part: Option<Part>,
}

/// What a pass did with one table.
#[derive(Default)]
pub(crate) struct TableWork {
    pub counts: Counts,
    pub refused: Vec<super::apply::RefusedRow>,
    pub found: FindStats,
    /// Deletes kept for the end (children first), as key values.
    pub deferred: KeptKeys,
    /// Rows of a key range whose unique values move, written with the
    /// other ranges' once the main pass is done (whole rows).
    pub moves: Vec<Row>,
    /// What each retry after a transient failure was, for the report.
    pub retries: Vec<String>,
}

/// One pass over one table (or key range). What it wrote is added to
/// `work` also when it fails or stops part-way (every batch is its own
/// transaction, so the counts are what the target kept); its refused
/// rows, deferred deletes and kept moves replace `work`'s (a redo finds
/// them again).
pub(crate) async fn sync_one(
    lane: &mut Lane<'_>,
    mode: RowMode<'_>,
    sync_table: &SyncTable,
    step: Step,
    shared: &Shared<'_>,
    work: &mut TableWork,
) -> Result<()> {
    let Step {
        look,
        pass,
        parents_synced,
        estimate: total,
        part,
    } = step;
    let range = part.as_ref().map(|p| &p.range);
    let table = &sync_table.data;
    let replace = match sync_table.target_rows {
        TargetRows::Compare => None,
        TargetRows::Replace { exists } => Some(exists),
    };
    let nothing_to_delete = matches!(look, Look::Replace | Look::Empty);
    let untouched = matches!(look, Look::Equal | Look::Guarded);
    if untouched || (pass == Pass::Deletes && nothing_to_delete) {
        return Ok(());
    }
    if shared.stop.requested() {
        return Err(Error::Stopped);
    }
    let write = match replace {
        Some(_) => WriteStep::Reload,
        None => WriteStep::Pass,
    };
    let fk_checks = shared.fk.checks(&table.name, write);
    let progress = shared.progress;
    let step = match (nothing_to_delete, &part) {
        (true, None) => "copy".to_string(),
        (false, None) => "sync".to_string(),
        (true, Some(part)) => format!("copy {}", part.label()),
        (false, Some(part)) => format!("sync {}", part.label()),
    };
    let streamed = look == Look::Empty
        && matches!(mode, RowMode::Apply)
        && lane.writer.streams_bulk_loads()
        && shared
            .fk
            .may_load_unchecked(lane.source, sync_table, parents_synced)
            .await?;
    if streamed {
        lane.writer.set_foreign_key_checks(false).await?;
        let bar = progress.rows(&table.name, &step, total);
        if let Some(rows) = stream_copy(lane, table, bar, shared.stop).await? {
            work.counts.record(ChangeKind::Insert, rows);
            work.found.add(FindStats {
                method: Some(Found::Copy),
                ranges_read: 1,
                rows_read: rows,
                parts: 1,
                ..FindStats::default()
            });
            return Ok(());
        }
    }
    let scripting = matches!(mode, RowMode::Script(_));
    let output = Output::new(mode, lane.writer);
    let mut applier = TableApplier::new(
        output,
        shared.dialect,
        table,
        pass,
        fk_checks,
        shared.max_bytes,
    );
    applier.stop_on(shared.stop);
    if nothing_to_delete {
        applier.bulk();
    }
    if part.is_some() {
        applier.keep_moves();
    }
    if scripting {
        // A script writes a table's deletes in a pass of their own.
        applier.forget_deferred();
    }
    applier.start().await?;
    if replace == Some(true) {
        applier.delete_all();
    }
    let bar = progress.rows(&table.name, &step, total);
    let how = match look {
        Look::Empty | Look::Replace => Find::CopyAll,
        Look::Equal | Look::Differs | Look::Guarded => Find::Diff(shared.method),
    };
    let found = find_changes(
        lane.source,
        lane.reader,
        table,
        how,
        range,
        total,
        bar,
        &mut applier,
    )
    .await;
    let parts = part.as_ref().map_or(1, |p| p.of);
    let found = match found.map(|found| FindStats { parts, ..found }) {
        Ok(found) => applier.finish().await.map(|()| found),
        Err(e) => Err(e),
    };
    work.counts.add(applier.counts);
    work.refused = std::mem::take(&mut applier.refused);
    work.deferred = std::mem::take(&mut applier.deferred_deletes);
    work.moves = applier.take_moves();
    work.found.add(found?);
    Ok(())
}

/// Copies a whole table into its empty target in one streamed bulk load
/// (FK checks already off), the source's rows going straight to the load.
/// The number of rows copied; `None` when the target refused the load or
/// has no such path after all: nothing was kept, and the caller copies the
/// table again in batches, which names any row refused.
async fn stream_copy(
    lane: &mut Lane<'_>,
    table: &TableData,
    bar: Option<RowBar>,
    stop: &StopFlag,
) -> Result<Option<u64>> {
    let (read_tx, mut read_rx) = tokio::sync::mpsc::channel(CHANNEL_DEPTH);
    let (load_tx, load_rx) = tokio::sync::mpsc::channel(CHANNEL_DEPTH);
    let (source, writer) = (&mut *lane.source, &mut *lane.writer);
    let read = async move {
        let tx = read_tx;
        source.stream(table, RowRead::Rows(None), &tx).await;
    };
    let progress = bar.clone();
    let count = async move {
        let mut rows = 0u64;
        while let Some(chunk) = read_rx.recv().await {
            if stop.requested() {
                // The load fails on this, and nothing of it is kept.
                let _ = load_tx.send(Err(Error::Stopped)).await;
                break;
            }
            if let (Ok(chunk), Some(bar)) = (&chunk, &progress) {
                bar.advance(chunk);
            }
            rows += chunk.as_ref().map_or(0, |c| c.len() as u64);
            if load_tx.send(chunk).await.is_err() {
                break;
            }
        }
        rows
    };
    let ((), rows, loaded) = tokio::join!(read, count, writer.load_stream(table, load_rx));
    let loaded = match loaded {
        Ok(BulkLoad::Loaded) => Ok(true),
        // The connection is gone: nothing was kept, and writing the rows
        // otherwise on it cannot work; the table is redone (`retry`).
        Ok(BulkLoad::Refused(e)) if e.kind == WriteErrorKind::Transient => Err(Error::Transient {
            side: "target",
            endpoint: writer.endpoint(),
            context: format!("bulk loading `{}`", table.name),
            message: e.message,
        }),
        Ok(_) => Ok(false),
        Err(e) => Err(e),
    };
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            if let Some(bar) = bar {
                bar.abandon();
            }
            return Err(e);
        }
    };
    if let Some(bar) = bar {
        match loaded {
            true => bar.finish(),
            false => bar.abandon(),
        }
    }
    Ok(loaded.then_some(rows))
}
