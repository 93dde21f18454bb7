//! Row sync orchestration, free of engine names: it drives the engines
//! only through `engine`'s handles and never decides policy about which
//! tables run (that is the workflow's).
//!
//! A run over a list of tables (in dependency order, parents first):
//! 1. `first_look`: both servers' own checksums skip equal tables; an empty
//!    target table is not read.
//! 2. the main pass (`table_pass`), one table per lane (`lanes`), a table
//!    starting once the tables it references are done, a big one cut into
//!    key ranges that several lanes take side by side (`ranges`); each
//!    table's changes found (`find`: stream, `bisect`, copy) through the
//!    read pipeline (`pipeline`) and written in batches (`apply`).
//! 3. `finish`: the unique-value moves the key ranges kept, deferred
//!    deletes (children first), retries of refused rows, verification (and
//!    multi-pass), AUTO_INCREMENT counters.
//!
//! `fk` holds every decision of the FK strategy; `compare` asks both
//! sides for checksums at once.

pub(crate) mod apply;
mod bisect;
mod choose;
mod compare;
mod find;
mod finish;
mod first_look;
mod fk;
mod hashes;
mod kept;
mod lanes;
mod pipeline;
mod ranges;
mod retry;
mod stop;
mod table_pass;

pub use apply::{ChangeKind, Counts, RefusedRow};
pub use choose::{CostEstimate, LinkCost};
pub use find::{DiffMethod, FindStats, Found};
pub use fk::FkStrategy;
pub use lanes::Lane;
pub use ranges::{default_range_rows, lanes_to_fill};
pub use retry::RetryPolicy;
pub use stop::StopFlag;

use std::collections::BTreeSet;

use crate::catalog::deps::DependencyGraph;
use crate::catalog::model::ForeignKey;
use crate::data::table::TableData;
use crate::data::value::Row;
use crate::engine::{Dialect, TargetDb};
use crate::error::{Error, Result};
use crate::report::progress::Progress;

use apply::Pass;
use first_look::{first_looks, Look};
use fk::FkPolicy;
use kept::KeptKeys;
use lanes::{run_on_lanes, Schedule};
use ranges::{cut_tables, Part};
use retry::sync_retrying;
use table_pass::{Step, TableWork};

/// What a run does with the row changes it finds.
pub enum RowMode<'a> {
    /// Write them to the target, then verify.
    Apply,
    /// Render them into this script (`--dry-run --sql-out`).
    Script(&'a mut Vec<String>),
    /// Only count them (`--validate-only`, `--dry-run`).
    Count,
}

impl RowMode<'_> {
    /// The same mode, borrowed for one step.
    pub fn reborrow(&mut self) -> RowMode<'_> {
        match self {
            RowMode::Apply => RowMode::Apply,
            RowMode::Script(lines) => RowMode::Script(lines),
            RowMode::Count => RowMode::Count,
        }
    }
}

/// How the rows are synced.
pub struct SyncOptions<'a> {
    pub fk_strategy: FkStrategy,
    /// Rounds of retrying the rows a foreign key refused.
    pub fk_retry: u32,
    /// Sync again the tables that verification finds still differing.
    pub multi_pass: bool,
    /// How differing rows are found.
    pub method: DiffMethod,
    /// The FK graph of the source (cycles, who references whom).
    pub graph: &'a DependencyGraph,
    pub progress: &'a Progress,
    /// Stops the writes at the next batch boundary when asked.
    pub stop: &'a StopFlag,
    /// Tables that would lose too many rows are left untouched; `None`:
    /// no table is.
    pub delete_guard: Option<DeleteGuard>,
    /// How a table's pass is redone after a lost connection.
    pub retry: RetryPolicy,
    /// A table the source estimates at twice this many rows or more is
    /// synced in key ranges of at least this many, side by side on the
    /// lanes (`ranges`); 0: every table on one lane.
    pub range_rows: u64,
}

/// Which tables are left untouched because they would lose too many of
/// their rows (a source that is the wrong database, or an empty copy of
/// the right one): decided from both sides' row counts at the first look,
/// before any row is written.
#[derive(Debug, Clone, Copy)]
pub struct DeleteGuard {
    /// The share of a target table's rows that may go (0 to 1).
    pub max_ratio: f64,
    /// Target tables with fewer rows are not guarded.
    pub min_rows: u64,
}

impl DeleteGuard {
    /// Whether a table with these counts is left alone: the target has
    /// `min_rows` or more and the source none, or fewer by more than
    /// `max_ratio` of the target's.
    pub fn refuses(&self, rows: RowCounts) -> bool {
        let lost = rows.target.saturating_sub(rows.source) as f64;
        rows.target >= self.min_rows
            && (rows.source == 0 || lost > self.max_ratio * rows.target as f64)
    }
}

/// A table's rows on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowCounts {
    pub source: u64,
    pub target: u64,
}

/// One table of the data phase.
pub struct SyncTable {
    pub data: TableData,
    pub target_rows: TargetRows,
    /// The source's foreign keys of the table.
    pub foreign_keys: Vec<ForeignKey>,
    /// The AUTO_INCREMENT counters read with each side's schema.
    pub counters: Counters,
}

/// A table's AUTO_INCREMENT counter on each side, as read with the
/// schemas (the target's after the schema phase); `None`: no counter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counters {
    pub source: Option<u64>,
    pub target: Option<u64>,
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
    /// How the changes were found.
    pub found: FindStats,
    /// Why the table's AUTO_INCREMENT counter could not follow the
    /// source's (Apply only; the rows are synced all the same).
    pub counter_note: Option<String>,
    /// The delete guard left the table untouched: its rows on each side.
    pub guarded: Option<RowCounts>,
    /// One line per retry after a transient failure.
    pub retries: Vec<String>,
}

/// What every table's sync shares.
pub(crate) struct Shared<'a> {
    dialect: &'a dyn Dialect,
    max_bytes: usize,
    fk: FkPolicy<'a>,
    method: DiffMethod,
    multi_pass: bool,
    fk_retry: u32,
    progress: &'a Progress,
    stop: &'a StopFlag,
    retry: RetryPolicy,
}

/// The moments of a run over the tables at which the caller acts on the
/// target, on the first lane's writer.
pub enum WritePoint<'a> {
    /// The first look is done and no row is written yet: these tables'
    /// rows will be written (or scripted, or counted); the others' will
    /// not (their checksums are equal, or the delete guard keeps them).
    /// Every mode gets here.
    BeforeWrites { written: &'a BTreeSet<String> },
    /// Every row is applied, before the verification; `synced`: every
    /// table of the run. Only when rows are applied.
    AfterWrites { synced: &'a BTreeSet<String> },
}

/// Syncs `tables` (in dependency order, parents first) over `lanes`: one
/// table per lane at a time, a table starting once the tables it
/// references are done (with FK checks on). Scripts and counts use the
/// first lane alone, in order. `around` runs at each `WritePoint` (the
/// schema's suspensions of triggers go before the writes, its post-data
/// changes after them).
pub async fn sync_tables(
    lanes: &mut Vec<Lane<'_>>,
    tables: &[SyncTable],
    options: &SyncOptions<'_>,
    mut mode: RowMode<'_>,
    mut around: impl AsyncFnMut(&mut TargetDb, WritePoint<'_>) -> Result<()>,
) -> Result<SyncRun> {
    let progress = options.progress;
    let mut outcomes: Vec<TableOutcome> = tables
        .iter()
        .map(|t| TableOutcome {
            table: t.data.name.clone(),
            counts: Counts::default(),
            refused: Vec::new(),
            differences_after: None,
            found: FindStats::default(),
            counter_note: None,
            guarded: None,
            retries: Vec::new(),
        })
        .collect();
    let dialect = crate::engine::dialect(lanes[0].writer.flavor());
    let shared = Shared {
        dialect: dialect.as_ref(),
        max_bytes: lanes[0].writer.max_statement_bytes(),
        fk: FkPolicy {
            strategy: options.fk_strategy,
            graph: options.graph,
        },
        method: options.method,
        multi_pass: options.multi_pass,
        fk_retry: options.fk_retry,
        progress,
        stop: options.stop,
        retry: options.retry,
    };
    let counting = matches!(mode, RowMode::Count);
    let scripting = matches!(mode, RowMode::Script(_));
    // A table that keeps its deletes for the end gets an upserts-only main
    // pass. A script cannot wait for a refused row to be retried after
    // those deletes, so it reads such tables twice: deletes first
    // (children first), then the rest.
    let split: Vec<bool> = tables
        .iter()
        .map(|t| !counting && shared.fk.defers_deletes(&t.data))
        .collect();
    let main_pass = |i: usize| if split[i] { Pass::Upserts } else { Pass::All };

    let mut looks = first_looks(lanes, tables, options.delete_guard).await?;
    for (outcome, guarded) in outcomes.iter_mut().zip(&looks.guarded) {
        outcome.guarded = *guarded;
    }
    let written: BTreeSet<String> = tables
        .iter()
        .zip(&looks.looks)
        .filter(|(_, look)| look.writes())
        .map(|(t, _)| t.data.name.clone())
        .collect();
    around(
        &mut *lanes[0].writer,
        WritePoint::BeforeWrites { written: &written },
    )
    .await?;
    // Several lanes writing: big tables are cut into key ranges.
    let cutting = !scripting && !counting && lanes.len() > 1 && options.range_rows > 0;
    // Row estimates of the tables the first look did not skip, for the
    // bars' ETAs and the cuts (only when either needs them: each costs a
    // query).
    let mut estimates: Vec<Option<u64>> = vec![None; tables.len()];
    if progress.visible() || cutting {
        for (i, table) in tables.iter().enumerate() {
            if !matches!(looks.looks[i], Look::Equal | Look::Guarded) {
                estimates[i] = lanes[0]
                    .source
                    .estimate_size(&table.data.name)
                    .await
                    .map(|size| size.rows);
            }
        }
    }
    let overall = progress.overall(
        tables.len() as u64,
        estimates
            .iter()
            .zip(&looks.looks)
            .filter(|(_, look)| !matches!(look, Look::Equal | Look::Guarded))
            .try_fold(0u64, |sum, (estimate, _)| Some(sum + (*estimate)?)),
    );
    let cuts = match cutting {
        true => {
            let lanes_count = lanes.len();
            cut_tables(
                &mut *lanes[0].source,
                tables,
                &looks.looks,
                &estimates,
                lanes_count,
                options.range_rows,
            )
            .await?
        }
        false => vec![vec![None]; tables.len()],
    };
    let items: Vec<(usize, Option<Part>)> = cuts
        .into_iter()
        .enumerate()
        .flat_map(|(i, parts)| parts.into_iter().map(move |part| (i, part)))
        .collect();
    let mut parts_left = vec![0usize; tables.len()];
    for (i, _) in &items {
        parts_left[*i] += 1;
    }
    let mut main = MainPass {
        tables,
        graph: options.graph,
        looks: &looks.looks,
        estimates: &estimates,
        main_pass: &main_pass,
        outcomes: &mut outcomes,
        deferred: (0..tables.len()).map(|_| KeptKeys::default()).collect(),
        moves: vec![Vec::new(); tables.len()],
        overall: overall.as_ref(),
        waits_for: Vec::new(),
        started: vec![false; items.len()],
        items,
        parts_left,
        part_failed: vec![false; tables.len()],
        finished: vec![false; tables.len()],
    };

    let main_pass_done: Result<()> = async {
        if scripting || counting || lanes.len() == 1 {
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
                let step = main.step(i, pass, None);
                let (work, done) =
                    sync_retrying(&mut lanes[0], mode.reborrow(), &tables[i], step, &shared).await;
                let recorded = main.record(i, work, pass != Pass::Deletes && done.is_ok());
                done?;
                recorded?;
            }
            Ok(())
        } else {
            main.waits_for = tables
                .iter()
                .map(|t| shared.fk.waits_for(&t.data, tables))
                .collect();
            let shared = &shared;
            run_on_lanes(lanes, &mut main, async |lane, _, (i, step)| {
                Ok(sync_retrying(lane, RowMode::Apply, &tables[i], step, shared).await)
            })
            .await
        }
    }
    .await;
    // A stop leaves what is done as done: the tables finished so far are
    // reported, nothing more is written or checked.
    if let Err(Error::Stopped) = main_pass_done {
        progress.finish_overall();
        return Ok(SyncRun {
            outcomes,
            stopped: true,
        });
    }
    main_pass_done?;
    let mut deferred = std::mem::take(&mut main.deferred);
    let mut moves = std::mem::take(&mut main.moves);
    progress.finish_overall();

    if shared.stop.requested() {
        return Ok(SyncRun {
            outcomes,
            stopped: true,
        });
    }
    let lane = &mut lanes[0];
    finish::moves(lane, tables, &mut moves, &mut outcomes, &shared).await?;
    finish::deferred_deletes(
        lane,
        &mut mode,
        tables,
        &mut deferred,
        &mut outcomes,
        &shared,
    )
    .await?;
    if matches!(mode, RowMode::Apply) && !shared.stop.requested() {
        finish::retry_refused(lane, tables, &mut outcomes, &shared).await?;
        lane.writer.set_foreign_key_checks(true).await?;
        let synced: BTreeSet<String> = tables.iter().map(|t| t.data.name.clone()).collect();
        around(
            &mut *lane.writer,
            WritePoint::AfterWrites { synced: &synced },
        )
        .await?;
        finish::verify_all(lanes, tables, &mut outcomes, &mut looks, &shared).await?;
    }
    let lane = &mut lanes[0];
    if !shared.stop.requested() {
        finish::follow_counters(
            lane,
            &mut mode,
            tables,
            &looks.looks,
            &mut outcomes,
            &shared,
        )
        .await?;
    }
    if matches!(mode, RowMode::Apply) && !shared.stop.requested() {
        lane.writer.set_foreign_key_checks(true).await?;
    }
    Ok(SyncRun {
        outcomes,
        stopped: shared.stop.requested(),
    })
}

/// What a run over the tables came to.
pub struct SyncRun {
    /// Per table, in the order given (tables not reached: nothing done).
    pub outcomes: Vec<TableOutcome>,
    /// It stopped on request: later tables were not synced, nothing was
    /// verified.
    pub stopped: bool,
}

/// The main pass's state: what each table starts from, and what it did.
struct MainPass<'a, 'o> {
    tables: &'a [SyncTable],
    graph: &'a DependencyGraph,
    looks: &'a [Look],
    estimates: &'a [Option<u64>],
    main_pass: &'a dyn Fn(usize) -> Pass,
    outcomes: &'o mut Vec<TableOutcome>,
    /// Deletes kept for the end, per table, as key values.
    deferred: Vec<KeptKeys>,
    /// Rows whose unique values move, kept by a table's key ranges for
    /// the end of the main pass, per table.
    moves: Vec<Vec<Row>>,
    overall: Option<&'a crate::report::progress::Overall>,
    /// Per table, the tables it waits for (lanes only).
    waits_for: Vec<Vec<usize>>,
    /// The work on the lanes: a table whole (`None`), or one key range of
    /// it; the ranges of a table follow each other in key order.
    items: Vec<(usize, Option<Part>)>,
    /// Per item.
    started: Vec<bool>,
    /// Per table, its items not done yet.
    parts_left: Vec<usize>,
    /// Per table, whether one of its items failed.
    part_failed: Vec<bool>,
    /// Per table: every item of it done without failing.
    finished: Vec<bool>,
}

impl MainPass<'_, '_> {
    fn step(&self, i: usize, pass: Pass, part: Option<Part>) -> Step {
        let of = part.as_ref().map_or(1, |p| p.of as u64);
        Step {
            look: self.looks[i],
            pass,
            parents_synced: self.parents_synced(i),
            estimate: self.estimates[i].map(|rows| rows / of),
            part,
        }
    }

    /// Whether every table that `tables[i]` references was synced in this
    /// run before it, no row refused and not left alone by the delete
    /// guard: then the parents hold what the source's snapshot holds.
    fn parents_synced(&self, i: usize) -> bool {
        let name = &self.tables[i].data.name;
        let graph = self.graph;
        let Some(dependency) = graph.dependencies.iter().find(|d| &d.table == name) else {
            return true;
        };
        dependency.depends_on.iter().all(|parent| {
            self.tables
                .iter()
                .position(|t| &t.data.name == parent)
                .is_some_and(|j| {
                    j < i && self.outcomes[j].refused.is_empty() && self.looks[j] != Look::Guarded
                })
        })
    }

    /// Adds what a pass did to the table's outcome; fails only when its
    /// deferred deletes cannot be kept (a temporary file).
    fn record(&mut self, i: usize, work: TableWork, table_done: bool) -> Result<()> {
        let outcome = &mut self.outcomes[i];
        outcome.counts.add(work.counts);
        outcome.refused.extend(work.refused);
        outcome.found.add(work.found);
        outcome.retries.extend(work.retries);
        self.moves[i].extend(work.moves);
        if let (Some(bar), true) = (self.overall, table_done) {
            bar.table_done();
        }
        self.deferred[i].append(work.deferred)
    }
}

impl Schedule for MainPass<'_, '_> {
    type Start = (usize, Step);
    type Done = (TableWork, Result<()>);

    fn next(&mut self) -> Option<(usize, (usize, Step))> {
        let item = (0..self.items.len()).find(|&n| {
            let i = self.items[n].0;
            !self.started[n] && self.waits_for[i].iter().all(|&p| self.finished[p])
        })?;
        self.started[item] = true;
        let (i, part) = self.items[item].clone();
        Some((item, (i, self.step(i, (self.main_pass)(i), part))))
    }

    /// Records what the table's pass (or range) wrote, also when it
    /// failed or stopped part-way (the partial report counts it); the
    /// table is done with its last range.
    fn done(&mut self, item: usize, (work, done): (TableWork, Result<()>)) -> Result<()> {
        let i = self.items[item].0;
        self.parts_left[i] -= 1;
        self.part_failed[i] |= done.is_err();
        let table_done = self.parts_left[i] == 0 && !self.part_failed[i];
        let recorded = self.record(i, work, table_done);
        self.finished[i] = table_done;
        done.and(recorded)
    }
}
