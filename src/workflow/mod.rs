//! The modes of a run (validate, dry-run, schema-only, ...): which phases
//! run, what may be written, and what ends in the report. This is where
//! policy lives; the engines only execute what they are handed.
//!
//! It owns `Mode` and uses the settings (`config`), the sync layer,
//! catalog, data, engine and report, never the command line: the binary hands it a `Mode`
//! and `RunOptions`.

mod data_phase;
mod preflight;
mod route;
mod schema_drift;
mod schema_phase;
mod script;

pub use preflight::check_writable;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use crate::catalog::deps::{DependencyGraph, Order};
use crate::catalog::model::Catalog;
use crate::config::{DiffAlgorithm, Located, OrderStrategy, Settings};
use crate::engine::{Dialect, Link, PlannedAccess, Reads, Role, SourceDb, TargetDb};
use crate::error::{Error, Result};
use crate::report::graph::GraphFormat;
use crate::report::progress::Progress;
use crate::report::{ChangeReport, ChangeStatus, Report, SchemaReport};
use crate::sync::{
    default_range_rows, DeleteGuard, DiffMethod, LinkCost, RowMode, StopFlag, SyncOptions,
    WritePoint,
};
use route::Route;

/// What a sync does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Fix the schema where the config allows it, then sync the rows.
    Full,
    /// Compare schema and rows; write nothing.
    ValidateOnly,
    /// Compute every change and report it (and its SQL); write nothing.
    DryRun,
    /// Change only the target's schema.
    SchemaOnly,
    /// Change only the target's rows; tables whose schema differs are skipped.
    DataOnly,
    /// Fix the schema, then sync the rows, then verify.
    FixSchemas,
}

impl Mode {
    /// The mode's name, as in the report (and the flag that selects it).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::ValidateOnly => "validate-only",
            Mode::DryRun => "dry-run",
            Mode::SchemaOnly => "schema-only",
            Mode::DataOnly => "data-only",
            Mode::FixSchemas => "fix-schemas",
        }
    }
}

/// Options of one run that are not in the config file.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub sql_out: Option<PathBuf>,
    /// Apply lossy/destructive changes without asking on a terminal.
    pub assume_yes: bool,
    /// No progress bars.
    pub quiet: bool,
    /// Set (by a signal handler) to stop at the next batch boundary.
    pub stop: StopFlag,
}

/// What a run ended with: the report, and whether errors happened along
/// the way (a failed statement), which makes the exit code 2.
pub struct Outcome {
    pub report: Report,
    pub failed: bool,
    /// The exit code a stop on request asked for (130 SIGINT, 143 SIGTERM).
    pub stopped: Option<i32>,
}

impl Outcome {
    /// 0 = the target matches the source, 1 = differences remain, 2 = an
    /// error happened; a stop on request gives its signal's code.
    pub fn exit_code(&self) -> i32 {
        if let Some(code) = self.stopped {
            code
        } else if self.failed {
            2
        } else if self.report.in_sync {
            0
        } else {
            1
        }
    }
}

/// Runs `lockstep sync` in the given mode.
pub async fn run_sync(settings: &Settings, mode: Mode, options: &RunOptions) -> Result<Outcome> {
    let mut clock = Clock::start();
    preflight::distinct_urls(settings)?;
    if let Some(path) = &options.sql_out {
        check_writable(path, "the SQL plan (--sql-out)")?;
    }
    // Each route holds its SSH tunnel, if any, until the run ends.
    let (mut source_route, mut target_route) = tokio::try_join!(
        Route::open(
            &settings.source,
            settings.source_ssh.as_ref(),
            Role::Source,
            &settings.connect
        ),
        Route::open(
            &settings.target,
            settings.target_ssh.as_ref(),
            Role::Target,
            &settings.connect
        ),
    )?;
    let open_source = async {
        match SourceDb::open(&source_route.url, &settings.connect).await {
            Ok(source) => Ok(source),
            Err(e) => Err(source_route.explain(e).await),
        }
    };
    let open_target = async {
        let opened = match mode {
            // Modes that write nothing open the target read-only, and never
            // create a SQLite file that is not there.
            Mode::ValidateOnly | Mode::DryRun => {
                TargetDb::open_read_only(&target_route.url, &settings.connect).await
            }
            _ => TargetDb::open(&target_route.url, &settings.connect).await,
        };
        match opened {
            Ok(target) => Ok(target),
            Err(e) => Err(target_route.explain(e).await),
        }
    };
    let (mut source, mut target) = tokio::try_join!(open_source, open_target)?;
    agree_on_row_hash(&mut source, &mut target);
    if source.flavor().family() != target.flavor().family() {
        return Err(Error::Refused(format!(
            "the source is {} and the target is {}: cross-engine sync is not supported yet; \
             sync between two databases of the same engine",
            source.flavor(),
            target.flavor()
        )));
    }
    preflight::distinct_databases(&mut source, &mut target).await?;
    let (mut source_catalog, mut target_catalog) =
        tokio::try_join!(source.introspect(), target.introspect())?;
    // What the target cannot hold (grants to roles it lacks) is not
    // planned; the report says so.
    let unplaceable = target.unplaceable(&mut source_catalog).await?;
    target.restate(&source_catalog, &mut target_catalog).await?;
    let selection = Selection::new(settings, &source_catalog, &target_catalog)?;
    let graph = DependencyGraph::build(&source_catalog, &selection.source_tables(&source_catalog));
    let order = sync_order(settings, &graph, &source_catalog)?;
    let tables_analyzed = selection.count_tables(&source_catalog, &target_catalog);
    clock.lap("connect and read schemas");

    // Schema first. The modes that write rows fix the schema too, unless
    // the config says not to (then tables that differ are skipped).
    let mut warnings = unplaceable;
    let objects_compared = unreadable_objects(&source_catalog, &target_catalog, &mut warnings);
    let fixes_schema = match mode {
        Mode::SchemaOnly => settings.auto_fix_schema,
        Mode::FixSchemas => true,
        Mode::Full => settings.auto_fix_schema && settings.schema_validation,
        Mode::ValidateOnly | Mode::DryRun | Mode::DataOnly => false,
    };
    if !fixes_schema && matches!(mode, Mode::SchemaOnly | Mode::Full) {
        warnings.push(
            "auto_fix_schema = false: schema differences were reported, not fixed".to_string(),
        );
    }
    let accepts = |n: &str| selection.accepts(n);
    let context = schema_phase::SchemaContext {
        source: &source_catalog,
        accepts: &accepts,
        policy: schema_phase::SchemaPolicy {
            apply: fixes_schema,
            without_rows: mode == Mode::SchemaOnly,
            allow_destructive: settings.allow_destructive,
            assume_yes: options.assume_yes,
            rows_follow: match mode {
                Mode::Full | Mode::FixSchemas | Mode::DataOnly | Mode::DryRun => true,
                Mode::ValidateOnly | Mode::SchemaOnly => false,
            },
            // Rows written into a schema left as it is.
            suspend_only: !fixes_schema
                && matches!(mode, Mode::Full | Mode::FixSchemas | Mode::DataOnly),
        },
    };

    // Before the first write: the grants all of it needs.
    let schema_writes = context.changes_to_apply(&target_catalog, target.dialect());
    let row_writes = match mode {
        Mode::Full | Mode::FixSchemas | Mode::DataOnly => selection.source_tables(&source_catalog),
        Mode::ValidateOnly | Mode::DryRun | Mode::SchemaOnly => Vec::new(),
    };
    let named: Vec<String> = settings.tables.iter().map(|t| t.value.clone()).collect();
    let source_reads = match named.is_empty() {
        true => Reads::Everything,
        false => Reads::Tables(&named),
    };
    preflight::privileges(
        settings,
        (
            &mut source,
            PlannedAccess {
                reads: source_reads,
                changes: &[],
                row_writes: &[],
            },
        ),
        (
            &mut target,
            PlannedAccess {
                reads: Reads::Nothing,
                changes: &schema_writes,
                row_writes: &row_writes,
            },
        ),
    )
    .await?;

    let mut schema =
        schema_phase::run(&context, target_catalog, &mut target, &mut warnings).await?;

    clock.lap("schema");

    // Then rows, and the schema's post-data changes once they match.
    let mut script = Vec::new();
    let mut diff_choice = String::new();
    // The tables whose rows are written (or scripted, or counted).
    let mut written_tables = BTreeSet::new();
    let mut data = if mode == Mode::SchemaOnly || schema.failed {
        None
    } else {
        let rows = match mode {
            Mode::ValidateOnly => RowMode::Count,
            Mode::DryRun if options.sql_out.is_some() => RowMode::Script(&mut script),
            Mode::DryRun => RowMode::Count,
            _ => RowMode::Apply,
        };
        let progress = Progress::new(options.quiet);
        let links = [source.link(), target.link()];
        let (method, why) = diff_method(settings, links);
        diff_choice = why;
        let plan = data_phase::DataPlan {
            source_catalog: &source_catalog,
            target_catalog: schema.target_catalog.clone(),
            order: &order,
            blocked: schema.blocked.clone(),
            refused: schema
                .changes
                .iter()
                .filter(|c| c.status.skipped())
                .map(|c| c.table.clone())
                .collect(),
            schema_planned: mode == Mode::DryRun,
            table_keys: &settings.table_keys,
            skip_problematic_foreign_keys: settings.skip_problematic_foreign_keys,
            parallelism: settings.parallelism,
        };
        let sync = SyncOptions {
            fk_strategy: settings.fk_strategy,
            fk_retry: settings.fk_retry,
            multi_pass: settings.multi_pass,
            method,
            graph: &graph,
            progress: &progress,
            stop: &options.stop,
            // Validating reports every difference; the other modes leave a
            // table alone rather than empty most of it, unless allowed.
            delete_guard: match mode == Mode::ValidateOnly || settings.allow_destructive {
                true => None,
                false => Some(DeleteGuard {
                    max_ratio: settings.max_delete_ratio,
                    min_rows: GUARD_MIN_ROWS,
                }),
            },
            retry: settings.retry,
            range_rows: settings
                .range_rows
                .unwrap_or_else(|| default_range_rows(over_network(links))),
        };
        let applies = matches!(rows, RowMode::Apply);
        // Around the rows: the suspensions the writes need, then the
        // post-data changes.
        let around = async |target: &mut TargetDb, point: WritePoint<'_>| match point {
            WritePoint::BeforeWrites { written } => {
                written_tables = written.clone();
                schema_phase::suspend(target, written, applies, &mut schema, &mut warnings).await
            }
            WritePoint::AfterWrites { synced } => {
                if fixes_schema || context.policy.suspend_only {
                    schema_phase::post_data(&context, target, synced, &mut schema, &mut warnings)
                        .await?;
                }
                refresh_views(target, &source_catalog, &written_tables).await
            }
        };
        Some(data_phase::run(&mut source, &mut target, &plan, &sync, rows, around).await?)
    };
    if data.is_none() {
        schema_phase::keep_needed_suspensions(&mut schema.changes, &BTreeSet::new());
    }
    if let Some(d) = &mut data {
        d.report.diff_method = diff_choice;
        clock.lap("data");
    }
    if let Some(path) = &options.sql_out {
        let refreshes = refreshes(target.dialect(), &source_catalog, &written_tables);
        let changes = &schema.changes;
        script::write(
            path,
            target.dialect(),
            settings,
            changes,
            &script,
            &refreshes,
        )?;
    }

    if let Some(d) = &data {
        warnings.extend(d.warnings.iter().cloned());
    }
    // The rows were read: was the schema they were read with still the
    // source's at the end?
    let mut changed_during_run = Vec::new();
    if data.is_some() {
        let now = source.introspect().await?;
        changed_during_run = schema_drift::changed(&source_catalog, &now, |t| selection.accepts(t));
        if !changed_during_run.is_empty() {
            warnings.push(schema_drift::warning(&changed_during_run));
        }
    }
    let in_sync = changed_during_run.is_empty()
        && objects_compared
        && schema.remaining.is_empty()
        && data.as_ref().is_none_or(|d| d.all_equal);
    let failed = schema.failed || data.as_ref().is_some_and(|d| d.failed);
    let recommendations = recommendations(settings, mode, &schema.changes, &graph, in_sync);
    let report = Report {
        lockstep_version: env!("CARGO_PKG_VERSION"),
        mode: mode.as_str().to_string(),
        source: settings.shown_source(),
        target: settings.shown_target(),
        source_flavor: source.flavor().to_string(),
        target_flavor: target.flavor().to_string(),
        in_sync,
        schema: SchemaReport {
            tables_analyzed,
            mismatches: schema.mismatches,
            fk_dependencies: graph.dependencies.clone(),
            cycles: graph.cycles.clone(),
            self_references: graph.self_references.clone(),
            sync_order: order,
            changes: schema.changes,
            remaining_mismatches: schema.remaining,
            changed_during_run,
        },
        data: data.map(|d| d.report).unwrap_or_default(),
        recommendations,
        warnings,
        timings: clock.laps,
    };
    Ok(Outcome {
        report,
        failed,
        stopped: options.stop.exit_code(),
    })
}

/// Target tables with fewer rows may lose any share of them: the delete
/// guard is for tables whose loss would matter.
const GUARD_MIN_ROWS: u64 = 10;

/// Warns about the kinds of object (triggers, routines, events) either
/// account could not read completely: they were not compared. Returns
/// whether every kind was.
fn unreadable_objects(source: &Catalog, target: &Catalog, warnings: &mut Vec<String>) -> bool {
    let mut all = true;
    for (side, catalog) in [("source", source), ("target", target)] {
        let mut reasons: Vec<(Vec<String>, &str)> = Vec::new();
        for u in &catalog.unreadable {
            match reasons.iter_mut().find(|(_, r)| *r == u.reason) {
                Some((kinds, _)) => kinds.push(format!("{}s", u.kind)),
                None => reasons.push((vec![format!("{}s", u.kind)], &u.reason)),
            }
        }
        for (kinds, reason) in reasons {
            all = false;
            warnings.push(format!(
                "the {side}'s {} were not compared: {reason}; the copy is not known to be identical",
                kinds.join(" and ")
            ));
        }
    }
    all
}

/// Makes both sides checksum with the cheapest row hash both servers
/// have: checksums only compare when made the same way.
fn agree_on_row_hash(source: &mut SourceDb, target: &mut TargetDb) {
    let theirs = target.row_hashes();
    let hash = source
        .row_hashes()
        .into_iter()
        .find(|hash| theirs.contains(hash))
        .unwrap_or_default();
    source.set_row_hash(hash);
    target.set_row_hash(hash);
}

/// `diff_algorithm = auto` streams every row below this round trip (to
/// the slower of the two servers): loopback or one rack, where reading
/// rows costs the servers less than hashing them.
const BISECT_FROM_RTT: Duration = Duration::from_millis(2);

/// The round trip to the slower of the two servers, where measured.
fn slowest_rtt(links: [Option<Link>; 2]) -> Option<Duration> {
    links.iter().flatten().map(|l| l.rtt).max()
}

/// Whether a server is reached over a network (`BISECT_FROM_RTT` or
/// more), not on loopback or in one rack.
fn over_network(links: [Option<Link>; 2]) -> bool {
    slowest_rtt(links).is_some_and(|rtt| rtt >= BISECT_FROM_RTT)
}

/// How differing rows are found, and why (for the report). `auto` goes by
/// the link measured at connect: below `BISECT_FROM_RTT` every row is
/// streamed; over a slower link, each table by what streaming its bytes
/// and bisecting it are estimated to cost (the source's link: the target
/// is written whole anyway).
fn diff_method(settings: &Settings, links: [Option<Link>; 2]) -> (DiffMethod, String) {
    let slowest = slowest_rtt(links);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let cost = links[0].and_then(|link| {
        Some(LinkCost {
            rtt: slowest?,
            bytes_per_sec: link.bytes_per_sec?,
            compressed: link.compressed,
            hashes_compressed: link.hashes_compressed,
        })
    });
    let mbit = |c: &LinkCost| c.bytes_per_sec as f64 * 8.0 / 1e6;
    match (settings.diff_algorithm, slowest) {
        (DiffAlgorithm::Bisect, _) => (
            DiffMethod::Bisect(cost),
            "bisect: diff_algorithm = \"bisect\"".to_string(),
        ),
        (DiffAlgorithm::Stream, _) => (
            DiffMethod::Stream,
            "stream: diff_algorithm = \"stream\"".to_string(),
        ),
        (DiffAlgorithm::Hashes, _) => (
            DiffMethod::Hashes,
            "hashes: diff_algorithm = \"hashes\" (tables without a key are streamed)".to_string(),
        ),
        (DiffAlgorithm::Auto, Some(rtt)) if rtt >= BISECT_FROM_RTT => match cost {
            Some(cost) => (
                DiffMethod::ByCost(cost),
                format!(
                    "by cost (auto): a server answers in {:.1} ms (at least {:.0} ms: over a network) and the source's answers arrive at {:.0} Mbit/s, so each table is streamed where its bytes cross the link sooner than the servers hash its rows and their keys and hashes cross, and compared by row hashes elsewhere (bisected, without a key; each table's estimates under found_by)",
                    ms(rtt),
                    ms(BISECT_FROM_RTT),
                    mbit(&cost)
                ),
            ),
            None => (
                DiffMethod::Bisect(None),
                format!(
                    "bisect (auto): a server answers in {:.1} ms (at least {:.0} ms: over a network) and the source's throughput was not measured, so checksums of key ranges cross the link and rows only where they differ",
                    ms(rtt),
                    ms(BISECT_FROM_RTT)
                ),
            ),
        },
        (DiffAlgorithm::Auto, Some(rtt)) => (
            DiffMethod::Stream,
            format!(
                "stream (auto): both servers answer within {:.2} ms (under {:.0} ms), where reading every row costs less than hashing it",
                ms(rtt),
                ms(BISECT_FROM_RTT)
            ),
        ),
        (DiffAlgorithm::Auto, None) => (
            DiffMethod::Stream,
            "stream (auto): no round trip was measured (local files, or an engine that does not time its link)".to_string(),
        ),
    }
}

/// Materialized views are computed when created, before the rows came:
/// once rows are written, each one reading a written table is computed
/// again, so the application sees what the source's shows.
async fn refresh_views(
    target: &mut TargetDb,
    catalog: &Catalog,
    written: &BTreeSet<String>,
) -> Result<()> {
    let statements = refreshes(target.dialect(), catalog, written);
    if statements.is_empty() {
        return Ok(());
    }
    target.execute_ddl(&statements).await
}

/// The statements that compute again each materialized view reading a
/// table of `written` (see `refresh_views`), in read order.
fn refreshes(dialect: &dyn Dialect, catalog: &Catalog, written: &BTreeSet<String>) -> Vec<String> {
    catalog
        .stale_materialized_views(written)
        .iter()
        .filter_map(|v| dialect.refresh_view(&v.name))
        .collect()
}

/// Wall-clock seconds per phase, for the report.
struct Clock {
    last: std::time::Instant,
    laps: Vec<(String, f64)>,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, phase: &str) {
        let now = std::time::Instant::now();
        self.laps
            .push((phase.to_string(), (now - self.last).as_secs_f64()));
        self.last = now;
    }
}

/// Runs `lockstep graph`: the source's FK graph in the asked format.
pub async fn run_graph(settings: &Settings, format: GraphFormat) -> Result<String> {
    let mut route = Route::open(
        &settings.source,
        settings.source_ssh.as_ref(),
        Role::Source,
        &settings.connect,
    )
    .await?;
    let mut source = match SourceDb::open(&route.url, &settings.connect).await {
        Ok(source) => source,
        Err(e) => return Err(route.explain(e).await),
    };
    let catalog = source.introspect().await?;
    let selection = Selection::new(settings, &catalog, &catalog)?;
    let graph = DependencyGraph::build(&catalog, &selection.source_tables(&catalog));
    let order = sync_order(settings, &graph, &catalog)?;
    Ok(crate::report::graph::render(&graph, &order, format))
}

/// Which tables and views a run covers (`tables` / `exclude`): each item
/// a table's or view's name, or `schema.*`, every table and view whose
/// name starts `schema.` (a PostgreSQL schema other than the current).
struct Selection {
    only: BTreeSet<String>,
    exclude: BTreeSet<String>,
}

/// Whether the `tables` / `exclude` item `item` covers `name` (one
/// catalog's own comparison of names, `same`, for a plain name).
fn covers(item: &str, name: &str, same: impl Fn(&str, &str) -> bool) -> bool {
    match item.strip_suffix('*') {
        Some(schema) if schema.ends_with('.') => name.starts_with(schema),
        _ => same(item, name),
    }
}

impl Selection {
    /// Checks that every table the user named (every `schema.*`: some
    /// table or view) exists on one side or the other, pointing at the
    /// config line when it does not.
    fn new(settings: &Settings, source: &Catalog, target: &Catalog) -> Result<Selection> {
        let exists = |item: &str| {
            [source, target].iter().any(|catalog| {
                let same = |a: &str, b: &str| catalog.same_name(a, b);
                let mut names = catalog.tables.iter().map(|t| &t.name);
                let mut views = catalog.views.iter().map(|v| &v.name);
                names.any(|n| covers(item, n, same)) || views.any(|n| covers(item, n, same))
            })
        };
        let check = |items: &[Located<String>], key: &str| -> Result<BTreeSet<String>> {
            for item in items {
                if !exists(&item.value) {
                    let message = format!(
                        "`{key}` names table `{}`, which exists in neither the source nor the target",
                        item.value
                    );
                    return Err(match &item.origin {
                        Some(origin) => origin.error(message),
                        None => Error::Usage(format!("{message} (from --{key})")),
                    });
                }
            }
            Ok(items.iter().map(|i| i.value.clone()).collect())
        };
        for section in &settings.table_sections {
            let name = &section.value;
            if source.table(name).is_none() && target.table(name).is_none() {
                let message = format!(
                    "[tables.{name}] names table `{name}`, which exists in neither the source nor the target; fix the name or remove the section"
                );
                return Err(section.error(message));
            }
        }
        Ok(Selection {
            only: check(&settings.tables, "tables")?,
            exclude: check(&settings.exclude, "exclude")?,
        })
    }

    fn accepts(&self, name: &str) -> bool {
        let listed = |items: &BTreeSet<String>| items.iter().any(|i| covers(i, name, str::eq));
        (self.only.is_empty() || listed(&self.only)) && !listed(&self.exclude)
    }

    fn source_tables(&self, source: &Catalog) -> Vec<String> {
        source
            .tables
            .iter()
            .filter(|t| self.accepts(&t.name))
            .map(|t| t.name.clone())
            .collect()
    }

    /// Distinct tables looked at on either side.
    fn count_tables(&self, source: &Catalog, target: &Catalog) -> usize {
        source
            .tables
            .iter()
            .chain(target.tables.iter())
            .filter(|t| self.accepts(&t.name))
            .map(|t| t.name.as_str())
            .collect::<BTreeSet<_>>()
            .len()
    }
}

/// The data phase's table order from the configured strategy; a custom
/// order naming a table the source does not have is an error at its line.
fn sync_order(
    settings: &Settings,
    graph: &DependencyGraph,
    source: &Catalog,
) -> Result<Vec<String>> {
    let order = match &settings.order {
        OrderStrategy::Dependency => Order::Dependency,
        OrderStrategy::Alphabetical => Order::Alphabetical,
        OrderStrategy::Custom(list) => {
            for item in list {
                if source.table(&item.value).is_none() {
                    let message = format!(
                        "custom_order names table `{}`, which the source does not have",
                        item.value
                    );
                    return Err(item.error(message));
                }
            }
            Order::Custom(list.iter().map(|i| i.value.clone()).collect())
        }
    };
    Ok(graph.order(&order))
}

fn recommendations(
    settings: &Settings,
    mode: Mode,
    changes: &[ChangeReport],
    graph: &DependencyGraph,
    in_sync: bool,
) -> Vec<String> {
    let config = settings
        .config_file
        .as_ref()
        .map(|p| format!(" -c {}", p.display()))
        .unwrap_or_default();
    let mut out = Vec::new();
    let refused = changes
        .iter()
        .filter(|c| c.status == ChangeStatus::Refused)
        .count();
    if !in_sync && matches!(mode, Mode::ValidateOnly | Mode::DryRun) {
        out.push(format!(
            "fix the schema with `lockstep sync{config} --schema-only` (preview it with --dry-run --sql-out plan.sql)"
        ));
    }
    if refused > 0 {
        out.push(format!(
            "{refused} lossy/destructive changes need permission: review them, then add --allow-destructive"
        ));
    }
    if !graph.cycles.is_empty() {
        out.push(
            "tables in FK cycles are synced together; keep fk_strategy = \"dependency\" or use \"disable\" for an exact copy"
                .to_string(),
        );
    }
    out
}
