//! The modes of a run (validate, dry-run, schema-only, ...): which phases
//! run, what may be written, and what ends in the report. This is where
//! policy lives; the engines only execute what they are handed.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::catalog::change::Safety;
use crate::catalog::deps::{DependencyGraph, Order};
use crate::catalog::diff::{diff, DiffOptions, PlannedChange};
use crate::catalog::model::Catalog;
use crate::cli::{GraphFormat, Mode};
use crate::config::{Located, OrderStrategy, Settings};
use crate::engine::{self, SourceDb, TargetDb};
use crate::error::{Error, Result};
use crate::report::{describe, ChangeReport, DataReport, Report, SchemaReport};

/// Options of one run that are not in the config file.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub sql_out: Option<PathBuf>,
    /// Apply lossy/destructive changes without asking on a terminal.
    pub assume_yes: bool,
}

/// What a run ended with: the report, and whether errors happened along
/// the way (a failed statement), which makes the exit code 2.
pub struct Outcome {
    pub report: Report,
    pub failed: bool,
}

impl Outcome {
    /// 0 = the target matches the source, 1 = differences remain, 2 = an
    /// error happened.
    pub fn exit_code(&self) -> i32 {
        if self.failed {
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
    if matches!(mode, Mode::Full | Mode::FixSchemas | Mode::DataOnly) {
        return Err(Error::Usage(format!(
            "mode `{}` syncs rows, which comes with the data phase (not built yet); \
             use --validate-only, --dry-run or --schema-only for now",
            mode.as_str()
        )));
    }
    let (mut source, mut target) = tokio::try_join!(
        SourceDb::open(&settings.source, &settings.connect),
        TargetDb::open(&settings.target, &settings.connect),
    )?;
    if source.flavor().family() != target.flavor().family() {
        return Err(Error::Refused(format!(
            "the source is {} and the target is {}: cross-engine sync is not supported yet; \
             sync between two databases of the same engine",
            source.flavor(),
            target.flavor()
        )));
    }
    let (source_catalog, target_catalog) =
        tokio::try_join!(source.introspect(), target.introspect())?;
    let selection = Selection::new(settings, &source_catalog, &target_catalog)?;
    let graph = DependencyGraph::build(&source_catalog, &selection.source_tables(&source_catalog));
    let order = sync_order(settings, &graph, &source_catalog)?;

    let diff_options = diff_options(&target_catalog);
    let plan = diff(
        &source_catalog,
        &target_catalog,
        &|n| selection.accepts(n),
        diff_options,
    );
    let mismatches = describe::mismatches(&plan);

    let allowed = |p: &PlannedChange| p.safety == Safety::Safe || settings.allow_destructive;
    let mut changes = render_plan(&plan, target.flavor(), &allowed)?;
    if let Some(path) = &options.sql_out {
        write_sql_file(path, target.flavor(), settings, &changes)?;
    }

    let mut failed = false;
    let mut warnings = Vec::new();
    let mut remaining = mismatches.clone();
    if mode == Mode::SchemaOnly && settings.auto_fix_schema {
        let risky = plan
            .iter()
            .filter(|p| p.safety != Safety::Safe && allowed(p))
            .count();
        if risky > 0 && !options.assume_yes && !confirm(risky)? {
            return Err(Error::Refused(
                "nothing was changed: the lossy/destructive changes were not confirmed (pass --yes to skip the question)"
                    .to_string(),
            ));
        }
        failed = apply_changes(&mut target, &mut changes, &mut warnings).await;
        // Verify by reading the target again. A server may rename what it
        // was told to keep (MariaDB renames an FK's implicit index when the
        // FK is added again), so a few more rounds reach the fixed point.
        for round in 0..=EXTRA_ROUNDS {
            let after = target.introspect().await?;
            let plan = diff(
                &source_catalog,
                &after,
                &|n| selection.accepts(n),
                diff_options,
            );
            remaining = describe::mismatches(&plan);
            let mut more = render_plan(&plan, target.flavor(), &allowed)?;
            if failed || round == EXTRA_ROUNDS || more.iter().all(|c| c.skipped_because.is_some()) {
                break;
            }
            // Refused changes are already in the report from the first round.
            more.retain(|c| c.skipped_because.is_none());
            failed = apply_changes(&mut target, &mut more, &mut warnings).await;
            changes.extend(more);
        }
    } else if mode == Mode::SchemaOnly {
        warnings.push(
            "auto_fix_schema = false: schema differences were reported, not fixed".to_string(),
        );
    }

    let in_sync = remaining.is_empty();
    let recommendations = recommendations(settings, mode, &changes, &graph, in_sync);
    let report = Report {
        lockstep_version: env!("CARGO_PKG_VERSION"),
        mode: mode.as_str().to_string(),
        source: settings.source.to_string(),
        target: settings.target.to_string(),
        source_flavor: source.flavor().to_string(),
        target_flavor: target.flavor().to_string(),
        in_sync,
        schema: SchemaReport {
            tables_analyzed: selection.count_tables(&source_catalog, &target_catalog),
            mismatches,
            fk_dependencies: graph.dependencies.clone(),
            cycles: graph.cycles.clone(),
            self_references: graph.self_references.clone(),
            sync_order: order,
            changes,
            remaining_mismatches: if in_sync { Vec::new() } else { remaining },
        },
        data: DataReport {
            status: "not_run".to_string(),
            ..DataReport::default()
        },
        recommendations,
        warnings,
    };
    Ok(Outcome { report, failed })
}

/// Runs `lockstep graph`: the source's FK graph in the asked format.
pub async fn run_graph(settings: &Settings, format: GraphFormat) -> Result<String> {
    let mut source = SourceDb::open(&settings.source, &settings.connect).await?;
    let catalog = source.introspect().await?;
    let selection = Selection::new(settings, &catalog, &catalog)?;
    let graph = DependencyGraph::build(&catalog, &selection.source_tables(&catalog));
    let order = sync_order(settings, &graph, &catalog)?;
    Ok(crate::report::graph::render(&graph, &order, format))
}

/// Apply rounds after the first, for servers that rename objects on the way.
const EXTRA_ROUNDS: usize = 2;

/// Renders each planned change as the target's statements, marking the
/// ones policy refuses.
fn render_plan(
    plan: &[PlannedChange],
    flavor: &crate::catalog::model::Flavor,
    allowed: &dyn Fn(&PlannedChange) -> bool,
) -> Result<Vec<ChangeReport>> {
    plan.iter()
        .map(|planned| {
            Ok(ChangeReport {
                table: planned.change.object_name().to_string(),
                sql: engine::render_change(flavor, &planned.change)?,
                safety: planned.safety,
                reason: planned.reason.clone(),
                applied: false,
                skipped_because: (!allowed(planned)).then(|| {
                    format!(
                        "refused: this change is {}; pass --allow-destructive (or set allow_destructive = true) to apply it",
                        planned.safety
                    )
                }),
            })
        })
        .collect()
}

/// Runs the changes that are not refused, in order, until one fails; the
/// rest are marked as not tried. Returns whether one failed.
async fn apply_changes(
    target: &mut TargetDb,
    changes: &mut [ChangeReport],
    warnings: &mut Vec<String>,
) -> bool {
    let mut failed = false;
    for change in changes.iter_mut().filter(|c| c.skipped_because.is_none()) {
        if failed {
            change.skipped_because = Some("not tried after an earlier failure".to_string());
            continue;
        }
        match target.execute_ddl(&change.sql).await {
            Ok(()) => change.applied = true,
            Err(e) => {
                change.skipped_because = Some(format!("failed: {e}"));
                warnings.push(format!(
                    "schema change on `{}` failed; later changes were not tried",
                    change.table
                ));
                failed = true;
            }
        }
    }
    failed
}

/// How the diff must shape its plan for the target's engine.
fn diff_options(target: &Catalog) -> DiffOptions {
    let family = target.flavor.family();
    DiffOptions {
        separate_fk_phase: engine::alters_foreign_keys(family),
        index_order_matters: engine::index_order_matters(family),
    }
}

/// Which tables and views a run covers (`tables` / `exclude`).
struct Selection {
    only: BTreeSet<String>,
    exclude: BTreeSet<String>,
}

impl Selection {
    /// Checks that every table the user named exists on one side or the
    /// other, pointing at the config line when it does not.
    fn new(settings: &Settings, source: &Catalog, target: &Catalog) -> Result<Selection> {
        let exists = |name: &str| {
            source.table(name).is_some()
                || target.table(name).is_some()
                || source.view(name).is_some()
                || target.view(name).is_some()
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
        Ok(Selection {
            only: check(&settings.tables, "tables")?,
            exclude: check(&settings.exclude, "exclude")?,
        })
    }

    fn accepts(&self, name: &str) -> bool {
        (self.only.is_empty() || self.only.contains(name)) && !self.exclude.contains(name)
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
                    return Err(match &item.origin {
                        Some(origin) => origin.error(message),
                        None => Error::Usage(message),
                    });
                }
            }
            Order::Custom(list.iter().map(|i| i.value.clone()).collect())
        }
    };
    Ok(graph.order(&order))
}

/// Asks on a terminal before lossy or destructive changes; elsewhere the
/// explicit `allow_destructive` is taken as the answer.
fn confirm(risky: usize) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(true);
    }
    eprint!("{risky} lossy or destructive schema changes will be applied to the target. Continue? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::Io {
            context: "reading the answer from the terminal".to_string(),
            source: e,
        })?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES"))
}

/// `--sql-out`: every statement that would run, in order, framed so the
/// engine's own client can run the file as it is. Refused changes are
/// written as comments.
fn write_sql_file(
    path: &PathBuf,
    flavor: &crate::catalog::model::Flavor,
    settings: &Settings,
    changes: &[ChangeReport],
) -> Result<()> {
    let (prelude, epilogue) = engine::ddl_script_frame(flavor);
    let mut text = format!(
        "-- lockstep {} plan\n-- source: {}\n-- target: {}\n",
        env!("CARGO_PKG_VERSION"),
        settings.source,
        settings.target
    );
    for stmt in &prelude {
        text.push_str(&format!("{stmt};\n"));
    }
    for change in changes {
        text.push_str(&format!("\n-- {} [{}]\n", change.table, change.safety));
        for sql in &change.sql {
            match &change.skipped_because {
                Some(why) => {
                    text.push_str(&format!("-- {why}\n"));
                    for line in sql.lines() {
                        text.push_str(&format!("-- {line}\n"));
                    }
                }
                None => text.push_str(&format!("{sql};\n")),
            }
        }
    }
    for stmt in &epilogue {
        text.push_str(&format!("{stmt};\n"));
    }
    std::fs::write(path, text).map_err(|e| Error::Io {
        context: format!("writing the SQL plan to {}", path.display()),
        source: e,
    })
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
        .filter(|c| {
            c.skipped_because
                .as_deref()
                .is_some_and(|w| w.starts_with("refused"))
        })
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
