//! The data phase over all tables: the FK strategy's passes in dependency
//! order, retries of the rows a foreign key refused, and the verification
//! that every synced table now matches the source.
//!
//! - `dependency` (default): FK checks stay on. Deletes run children
//!   first, then inserts and updates parents first, so no row ever points
//!   at a missing parent. An empty table whose parents were synced first
//!   and whose source rows hold no orphan is loaded whole with checks off
//!   (nothing they could refuse), so MariaDB builds it in bulk. Tables in an FK cycle (or referencing
//!   themselves) are written with checks off for that table alone. Rows a
//!   foreign key still refuses are retried after every table is done, up
//!   to `fk_retry` times, then reported.
//! - `disable`: FK checks off for the session; one pass per table.

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::catalog::deps::DependencyGraph;
use crate::catalog::model::{Flavor, ForeignKey};
use crate::config::FkStrategy;
use crate::data::apply::{ChangeKind, Counts, Output, Pass, RefusedRow, TableApplier};
use crate::data::bisect::differing_ranges;
use crate::data::pipeline::ChangeSink;
use crate::data::pipeline::{diff_table, CHANNEL_DEPTH};
use crate::data::rowdiff::RowChange;
use crate::data::table::TableData;
use crate::data::value::Row;
use crate::engine::{quick_compare, SourceDb, TargetDb, TargetReader, ROW_CHUNK};
use crate::error::Result;
use crate::report::progress::{Progress, RowBar};

/// What the data phase does with the changes it finds.
pub enum DataMode<'a> {
    /// Write them to the target, then verify.
    Apply,
    /// Render them into a script (`--dry-run --sql-out`).
    Script(&'a mut Vec<String>),
    /// Only count them (`--validate-only`, `--dry-run`).
    Count,
}

/// How the data phase runs.
pub struct DataOptions<'a> {
    pub strategy: FkStrategy,
    pub fk_retry: u32,
    /// Sync again the tables that verification finds still differing (up
    /// to `MULTI_PASS_ROUNDS` more times).
    pub multi_pass: bool,
    /// Find differences by checksum bisection (else by streaming rows).
    pub bisect: bool,
    /// The FK graph of the source (cycles, who references whom).
    pub graph: &'a DependencyGraph,
    pub progress: &'a Progress,
}

/// One table of the data phase.
pub struct SyncTable {
    pub data: TableData,
    pub target_rows: TargetRows,
    /// The source's foreign keys of the table.
    pub foreign_keys: Vec<ForeignKey>,
}

/// What the target holds of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetRows {
    /// Rows to compare with the source's.
    Compare,
    /// Rows that cannot be compared yet because the table's schema changes
    /// first (a script only): it is reloaded whole. `exists` is false for a
    /// table the script creates.
    Replace { exists: bool },
}

/// One table's result.
#[derive(Debug, Clone)]
pub struct TableOutcome {
    pub table: String,
    /// Applied (or planned, or found) changes.
    pub counts: Counts,
    /// Rows the target refused for good.
    pub refused: Vec<RefusedRow>,
    /// Differences found by the verification pass (Apply only).
    pub differences_after: Option<u64>,
    /// How the changes were found (`method` empty: the first look found
    /// the table equal).
    pub found: FindStats,
}

/// The connections one table is synced over at a time: a source
/// connection inside the shared snapshot, a target reader and a writer.
pub struct Lane<'a> {
    pub source: &'a mut SourceDb,
    pub reader: &'a mut TargetReader,
    pub writer: &'a mut TargetDb,
}

/// What every table's sync shares.
struct Shared<'a> {
    flavor: Flavor,
    max_bytes: usize,
    /// `fk_strategy = "disable"`.
    disable: bool,
    options: &'a DataOptions<'a>,
}

/// What the main pass did with one table.
struct TableWork {
    counts: Counts,
    refused: Vec<RefusedRow>,
    found: FindStats,
    /// Deletes kept for the end (children first), as key values.
    deferred: Vec<Row>,
}

/// Syncs `tables` (in dependency order, parents first) over `lanes`: one
/// table per lane at a time, a table starting once the tables it
/// references are done (with FK checks on). Scripts use one lane, in
/// order.
pub async fn sync_tables(
    lanes: &mut Vec<Lane<'_>>,
    tables: &[SyncTable],
    options: &DataOptions<'_>,
    mut mode: DataMode<'_>,
) -> Result<Vec<TableOutcome>> {
    let (graph, progress) = (options.graph, options.progress);
    let mut outcomes: Vec<TableOutcome> = tables
        .iter()
        .map(|t| TableOutcome {
            table: t.data.name.clone(),
            counts: Counts::default(),
            refused: Vec::new(),
            differences_after: None,
            found: FindStats::default(),
        })
        .collect();
    let shared = Shared {
        flavor: lanes[0].writer.flavor().clone(),
        max_bytes: lanes[0].writer.max_statement_bytes(),
        disable: options.strategy == FkStrategy::Disable,
        options,
    };
    let (flavor, max_bytes, disable) = (shared.flavor.clone(), shared.max_bytes, shared.disable);
    let counting = matches!(mode, DataMode::Count);
    let scripting = matches!(mode, DataMode::Script(_));
    // With FK checks on, a table that takes part in foreign keys keeps its
    // deletes for the end, where they run children first. A script cannot
    // wait for a refused row to be retried after those deletes, so it reads
    // such tables twice: deletes first (children first), then the rest.
    let split: Vec<bool> = tables
        .iter()
        .map(|t| !disable && !counting && related(graph, &t.data))
        .collect();
    let main_pass = |i: usize| if split[i] { Pass::Upserts } else { Pass::All };

    let (looks, mut source_sums) = first_looks(lanes, tables).await?;
    // Row estimates of the tables the first look did not skip, for the
    // bars' ETAs (only when bars are shown: each costs a query).
    let mut estimates: Vec<Option<u64>> = vec![None; tables.len()];
    if progress.visible() {
        for (i, table) in tables.iter().enumerate() {
            if looks[i] != Look::Equal {
                estimates[i] = lanes[0].source.estimate_rows(&table.data.name).await;
            }
        }
    }
    let overall = progress.overall(
        tables.len() as u64,
        estimates
            .iter()
            .zip(&looks)
            .filter(|(_, look)| **look != Look::Equal)
            .try_fold(0u64, |sum, (estimate, _)| Some(sum + (*estimate)?)),
    );
    let mut deferred: Vec<Vec<Row>> = vec![Vec::new(); tables.len()];
    let mut record = |i: usize, work: TableWork, outcomes: &mut Vec<TableOutcome>| {
        let outcome = &mut outcomes[i];
        outcome.counts.add(work.counts);
        outcome.refused.extend(work.refused);
        if !work.found.method.is_empty() {
            outcome.found.method = work.found.method;
        }
        outcome.found.ranges_read += work.found.ranges_read;
        outcome.found.rows_read += work.found.rows_read;
        if !scripting {
            deferred[i] = work.deferred;
        }
    };

    if scripting || lanes.len() == 1 {
        let mut steps: Vec<(usize, Pass)> = Vec::new();
        if scripting {
            steps.extend(
                (0..tables.len())
                    .rev()
                    .filter(|&i| split[i])
                    .map(|i| (i, Pass::Deletes)),
            );
        }
        steps.extend((0..tables.len()).map(|i| (i, main_pass(i))));
        for (i, pass) in steps {
            let script = match &mut mode {
                DataMode::Script(lines) => Some(&mut **lines),
                _ => None,
            };
            let step = Step {
                look: looks[i],
                pass,
                parents_synced: parents_synced(graph, tables, &outcomes, i),
                estimate: estimates[i],
            };
            let work = sync_one(&mut lanes[0], script, counting, &tables[i], step, &shared).await?;
            record(i, work, &mut outcomes);
            if let (Some(bar), true) = (&overall, pass != Pass::Deletes) {
                bar.table_done();
            }
        }
    } else {
        // A table waits for the tables it references (FK checks on), not
        // for the ones in its own cycle.
        let parents: Vec<Vec<usize>> = tables
            .iter()
            .map(|t| match disable || counting {
                true => Vec::new(),
                false => graph
                    .dependencies
                    .iter()
                    .find(|d| d.table == t.data.name)
                    .map(|d| {
                        d.depends_on
                            .iter()
                            .filter(|p| graph.cycle_of(p).is_none_or(|c| !c.contains(&t.data.name)))
                            .filter_map(|p| tables.iter().position(|x| &x.data.name == p))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let mut idle = std::mem::take(lanes);
        let (mut started, mut finished) = (vec![false; tables.len()], vec![false; tables.len()]);
        let mut running = FuturesUnordered::new();
        let result: Result<()> = async {
            loop {
                while !idle.is_empty() {
                    let next = (0..tables.len())
                        .find(|&i| !started[i] && parents[i].iter().all(|&p| finished[p]));
                    let Some(i) = next else { break };
                    started[i] = true;
                    let mut lane = idle.pop().expect("an idle lane");
                    let step = Step {
                        look: looks[i],
                        pass: main_pass(i),
                        parents_synced: parents_synced(graph, tables, &outcomes, i),
                        estimate: estimates[i],
                    };
                    let (table, shared) = (&tables[i], &shared);
                    running.push(async move {
                        let work = sync_one(&mut lane, None, counting, table, step, shared).await;
                        (lane, i, work)
                    });
                }
                let Some((lane, i, work)) = running.next().await else {
                    break;
                };
                idle.push(lane);
                record(i, work?, &mut outcomes);
                finished[i] = true;
                if let Some(bar) = &overall {
                    bar.table_done();
                }
            }
            Ok(())
        }
        .await;
        drop(running);
        *lanes = idle;
        result?;
    }
    progress.finish_overall();
    let Lane {
        source,
        reader,
        writer: target,
    } = &mut lanes[0];
    let (source, reader, target): (&mut SourceDb, &mut TargetReader, &mut TargetDb) =
        (source, reader, target);

    // The deletes kept back, children first.
    for i in (0..tables.len()).rev() {
        let keys = std::mem::take(&mut deferred[i]);
        if keys.is_empty() {
            continue;
        }
        let table = &tables[i].data;
        let output = match &mut mode {
            DataMode::Apply => Output::Execute(target),
            DataMode::Script(lines) => Output::Script(lines),
            DataMode::Count => Output::Count,
        };
        let mut applier = TableApplier::new(
            output,
            &flavor,
            table,
            Pass::Deletes,
            !graph.in_cycle(&table.name),
            max_bytes,
        );
        applier.start().await?;
        let mut keys = keys.into_iter();
        loop {
            let chunk: Vec<RowChange> = keys
                .by_ref()
                .take(ROW_CHUNK)
                .map(|key| RowChange::Delete(table.row_of_key(key)))
                .collect();
            if chunk.is_empty() {
                break;
            }
            applier.accept(chunk).await?;
        }
        applier.finish().await?;
        let outcome = &mut outcomes[i];
        outcome.counts.add(applier.counts);
        outcome.refused.extend(applier.refused);
    }

    if matches!(mode, DataMode::Apply) {
        retry_refused(
            target,
            tables,
            &mut outcomes,
            options,
            &flavor,
            max_bytes,
            disable,
        )
        .await?;
        let rounds = if options.multi_pass {
            MULTI_PASS_ROUNDS
        } else {
            0
        };
        for round in 0..=rounds {
            for ((table, outcome), source_sum) in
                tables.iter().zip(outcomes.iter_mut()).zip(&mut source_sums)
            {
                let table = &table.data;
                if outcome.differences_after == Some(0) {
                    continue;
                }
                if round > 0 {
                    // Multi-pass: one more full pass over a table that still differs.
                    let fk_checks = !disable && !graph.in_cycle(&table.name);
                    let output = Output::Execute(target);
                    let mut applier =
                        TableApplier::new(output, &flavor, table, Pass::All, fk_checks, max_bytes);
                    applier.start().await?;
                    let bar = progress.rows(&table.name, "resync", None);
                    let how = if options.bisect {
                        Find::Bisect
                    } else {
                        Find::Stream
                    };
                    find_changes(source, reader, table, how, bar, &mut applier).await?;
                    applier.finish().await?;
                    outcome.counts.add(applier.counts);
                    outcome.refused = applier.refused;
                }
                let left = verify(source, reader, table, source_sum, &shared).await?;
                outcome.differences_after = Some(left);
            }
            if outcomes.iter().all(|o| o.differences_after == Some(0)) {
                break;
            }
        }
        target.set_foreign_key_checks(true).await?;
    }
    Ok(outcomes)
}

/// Whether a table takes part in foreign keys (references, is referenced,
/// or sits in a cycle).
fn related(graph: &DependencyGraph, t: &TableData) -> bool {
    graph
        .dependencies
        .iter()
        .any(|d| (d.table == t.name && !d.depends_on.is_empty()) || d.depends_on.contains(&t.name))
        || graph.in_cycle(&t.name)
}

/// Whether every table that `tables[i]` references was synced in this run
/// before it, no row refused: then the parents hold what the source's
/// snapshot holds, and a bulk load may leave FK checks off, as a dump
/// loads (checking each row's parents cost 60% of a load; an orphan the
/// source itself holds is copied as it is).
fn parents_synced(
    graph: &DependencyGraph,
    tables: &[SyncTable],
    outcomes: &[TableOutcome],
    i: usize,
) -> bool {
    let name = &tables[i].data.name;
    let Some(dependency) = graph.dependencies.iter().find(|d| &d.table == name) else {
        return true;
    };
    dependency.depends_on.iter().all(|parent| {
        tables
            .iter()
            .position(|t| &t.data.name == parent)
            .is_some_and(|j| j < i && outcomes[j].refused.is_empty())
    })
}

/// What one pass over one table starts from.
#[derive(Clone, Copy)]
struct Step {
    look: Look,
    pass: Pass,
    /// See [`parents_synced`].
    parents_synced: bool,
    /// The source's row estimate, when bars are shown.
    estimate: Option<u64>,
}

/// A first look at every table before anything is written, the tables
/// spread over the lanes: a table the servers' checksums find equal is
/// skipped whole; a target table with no row is not read (every source row
/// is new: a bulk copy). Also returns the source checksums it computed,
/// for the check after the writes.
async fn first_looks(
    lanes: &mut Vec<Lane<'_>>,
    tables: &[SyncTable],
) -> Result<(Vec<Look>, Vec<Option<u64>>)> {
    let mut looks = vec![Look::Replace; tables.len()];
    let mut sums = vec![None; tables.len()];
    let mut idle = std::mem::take(lanes);
    let mut queue = (0..tables.len()).filter(|&i| tables[i].target_rows == TargetRows::Compare);
    let mut running = FuturesUnordered::new();
    let result: Result<()> = async {
        loop {
            while !idle.is_empty() {
                let Some(i) = queue.next() else { break };
                let mut lane = idle.pop().expect("an idle lane");
                let table = &tables[i].data;
                running.push(async move {
                    let mut sum = None;
                    let look = look_at(&mut lane, table, &mut sum).await;
                    (lane, i, look.map(|look| (look, sum)))
                });
            }
            let Some((lane, i, look)) = running.next().await else {
                break;
            };
            idle.push(lane);
            (looks[i], sums[i]) = look?;
        }
        Ok(())
    }
    .await;
    drop(running);
    *lanes = idle;
    result.map(|()| (looks, sums))
}

async fn look_at(lane: &mut Lane<'_>, table: &TableData, sum: &mut Option<u64>) -> Result<Look> {
    // Emptiness first: it costs one row, a checksum the whole table.
    Ok(if lane.reader.is_empty(table).await? {
        Look::Empty
    } else if quick_compare(lane.source, lane.reader, &table.name, sum).await? == Some(true) {
        Look::Equal
    } else {
        Look::Differs
    })
}

/// One pass over one table on one lane: its changes found and written
/// (or scripted, or counted).
async fn sync_one(
    lane: &mut Lane<'_>,
    script: Option<&mut Vec<String>>,
    counting: bool,
    sync_table: &SyncTable,
    step: Step,
    shared: &Shared<'_>,
) -> Result<TableWork> {
    let Step {
        look,
        pass,
        parents_synced,
        estimate: total,
    } = step;
    let SyncTable {
        data: table,
        target_rows,
        foreign_keys,
    } = sync_table;
    let replace = match target_rows {
        TargetRows::Compare => None,
        TargetRows::Replace { exists } => Some(*exists),
    };
    let nothing_to_delete = matches!(look, Look::Replace | Look::Empty);
    if look == Look::Equal || (pass == Pass::Deletes && nothing_to_delete) {
        return Ok(TableWork {
            counts: Counts::default(),
            refused: Vec::new(),
            found: FindStats::default(),
            deferred: Vec::new(),
        });
    }
    let graph = shared.options.graph;
    // A reloaded table goes with checks off: its old rows leave before the
    // new ones come, and nothing may cascade.
    let fk_checks = !shared.disable && !graph.in_cycle(&table.name) && replace.is_none();
    let progress = shared.options.progress;
    let step = if nothing_to_delete { "copy" } else { "sync" };
    // An empty table is loaded whole by one streamed statement, with FK
    // checks off (MariaDB's bulk path needs them off), where that cannot
    // let in a row the checks would refuse: the parents were synced first
    // and the source holds no orphan (those are refused and named below).
    let streamed = look == Look::Empty
        && !counting
        && script.is_none()
        && lane.writer.streams_bulk_loads()
        && (!fk_checks
            || (parents_synced
                && lane
                    .source
                    .references_resolve(&table.name, foreign_keys)
                    .await?));
    if streamed {
        lane.writer.set_foreign_key_checks(false).await?;
        let bar = progress.rows(&table.name, step, total);
        if let Some(rows) = stream_copy(lane, table, bar).await? {
            let mut counts = Counts::default();
            counts.record(ChangeKind::Insert, rows);
            return Ok(TableWork {
                counts,
                refused: Vec::new(),
                found: FindStats {
                    method: "copy",
                    ranges_read: 1,
                    rows_read: rows,
                },
                deferred: Vec::new(),
            });
        }
    }
    let output = match (counting, script) {
        (true, _) => Output::Count,
        (false, Some(lines)) => Output::Script(lines),
        (false, None) => Output::Execute(lane.writer),
    };
    let mut applier = TableApplier::new(
        output,
        &shared.flavor,
        table,
        pass,
        fk_checks,
        shared.max_bytes,
    );
    if nothing_to_delete {
        applier.bulk();
    }
    applier.start().await?;
    if replace == Some(true) {
        applier.delete_all();
    }
    let bar = progress.rows(&table.name, step, total);
    let how = match look {
        Look::Empty | Look::Replace => Find::CopyAll,
        _ if shared.options.bisect => Find::Bisect,
        _ => Find::Stream,
    };
    let found = find_changes(lane.source, lane.reader, table, how, bar, &mut applier).await?;
    applier.finish().await?;
    Ok(TableWork {
        counts: applier.counts,
        refused: applier.refused,
        found,
        deferred: std::mem::take(&mut applier.deferred_deletes),
    })
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
) -> Result<Option<u64>> {
    let (read_tx, mut read_rx) = tokio::sync::mpsc::channel(CHANNEL_DEPTH);
    let (load_tx, load_rx) = tokio::sync::mpsc::channel(CHANNEL_DEPTH);
    let (source, writer) = (&mut *lane.source, &mut *lane.writer);
    let read = async move {
        let tx = read_tx;
        source.stream_rows(table, None, &tx).await;
    };
    let progress = bar.clone();
    let count = async move {
        let mut rows = 0u64;
        while let Some(chunk) = read_rx.recv().await {
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
    let loaded = matches!(loaded?, Some(Ok(())));
    if let Some(bar) = bar {
        match loaded {
            true => bar.finish(),
            false => bar.abandon(),
        }
    }
    Ok(loaded.then_some(rows))
}

/// How a table's changes are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Find {
    /// Merge every row of both sides.
    Stream,
    /// Merge only the rows of the key ranges whose checksums differ.
    Bisect,
    /// The target has nothing to compare: every source row is new.
    CopyAll,
}

/// How a table's changes were found, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindStats {
    /// `stream`, `bisect` or `copy`.
    pub method: &'static str,
    /// Key ranges read (bisect: those whose checksums differed).
    pub ranges_read: usize,
    /// Rows read from both sides together.
    pub rows_read: u64,
}

/// Finds a table's changes the way `how` says and hands them to `sink`.
async fn find_changes(
    source: &mut SourceDb,
    reader: &mut TargetReader,
    table: &TableData,
    how: Find,
    bar: Option<RowBar>,
    sink: &mut TableApplier<'_>,
) -> Result<FindStats> {
    let ranges = match how {
        Find::Bisect => differing_ranges(source, reader, table).await?,
        Find::Stream | Find::CopyAll => None,
    };
    let found = match ranges {
        Some(ranges) => {
            let mut rows_read = 0;
            for range in &ranges {
                rows_read +=
                    diff_table(source, reader, table, Some(range), false, bar.clone(), sink)
                        .await?;
            }
            FindStats {
                method: "bisect",
                ranges_read: ranges.len(),
                rows_read,
            }
        }
        None => {
            let copy = how == Find::CopyAll;
            let rows_read =
                diff_table(source, reader, table, None, copy, bar.clone(), sink).await?;
            FindStats {
                method: if copy { "copy" } else { "stream" },
                ranges_read: 1,
                rows_read,
            }
        }
    };
    if let Some(bar) = bar {
        bar.finish();
    }
    Ok(found)
}

/// What the first look found of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    /// The servers' checksums are equal: nothing to do.
    Equal,
    /// The target table has no row.
    Empty,
    /// The rows must be compared.
    Differs,
    /// Reloaded whole (a script, after a schema change).
    Replace,
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
    if quick_compare(source, reader, &table.name, source_sum).await? == Some(true) {
        return Ok(0);
    }
    let (flavor, max_bytes) = (&shared.flavor, shared.max_bytes);
    let mut counter = TableApplier::new(Output::Count, flavor, table, Pass::All, true, max_bytes);
    let bar = shared.options.progress.rows(&table.name, "verify", None);
    let how = if shared.options.bisect {
        Find::Bisect
    } else {
        Find::Stream
    };
    find_changes(source, reader, table, how, bar, &mut counter).await?;
    Ok(counter.counts.total())
}

/// Extra passes `multi_pass` allows over tables that still differ.
const MULTI_PASS_ROUNDS: usize = 2;

/// Retries the rows a foreign key refused, now that every table has been
/// written, until none is left, none more succeeds, or `fk_retry` rounds.
#[allow(clippy::too_many_arguments)]
async fn retry_refused(
    target: &mut TargetDb,
    tables: &[SyncTable],
    outcomes: &mut [TableOutcome],
    options: &DataOptions<'_>,
    flavor: &crate::catalog::model::Flavor,
    max_bytes: usize,
    disable: bool,
) -> Result<()> {
    for _ in 0..options.fk_retry {
        let mut progress = false;
        for (table, outcome) in tables.iter().zip(outcomes.iter_mut()) {
            let table = &table.data;
            if !outcome.refused.iter().any(|r| r.retryable) {
                continue;
            }
            target.set_foreign_key_checks(!disable).await?;
            let mut still = Vec::new();
            for refused in std::mem::take(&mut outcome.refused) {
                if !refused.retryable {
                    still.push(refused);
                    continue;
                }
                let statements = refused.kind.render(
                    flavor,
                    table,
                    std::slice::from_ref(&refused.row),
                    max_bytes,
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
