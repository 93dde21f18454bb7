//! The schema phase of a run: render the plan as the target's DDL, mark
//! what policy refuses, ask before lossy changes, apply in order, and
//! verify by reading the target again until it matches (or cannot).
//!
//! Changes run in two phases, as pg_dump splits a restore: pre-data
//! (`run`) before the rows, post-data (`post_data`) once the rows match
//! the source — the changes the target's old rows could refuse. Without a
//! data phase (`--schema-only`) both run, after the post-data changes were
//! checked against the rows they would meet.
//!
//! Equal triggers and events are suspended (dropped before the rows,
//! created again after them) only for the writes the data phase's first
//! look finds (`suspend`), so a run with nothing to write changes nothing.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};

use crate::catalog::change::{Safety, SchemaChange, Suspension};
use crate::catalog::diff::{diff, DiffOptions, Phase, PlannedChange};
use crate::catalog::model::Catalog;
use crate::engine::{Dialect, TargetDb};
use crate::error::{Error, Result};
use crate::report::{describe, ChangeReport, ChangeStatus, Mismatch};

/// The schema phase's result.
pub struct SchemaOutcome {
    /// Every change planned or applied, with its SQL and fate.
    pub changes: Vec<ChangeReport>,
    /// Differences found at the start.
    pub mismatches: Vec<Mismatch>,
    /// Differences left at the end (equal to `mismatches` when nothing
    /// was applied).
    pub remaining: Vec<Mismatch>,
    /// Tables whose rows cannot be synced yet: a change they need before
    /// the rows is still to run (refused, failed, or only planned).
    pub blocked: BTreeSet<String>,
    /// The target's catalog at the end.
    pub target_catalog: Catalog,
    /// A statement failed (exit code 2).
    pub failed: bool,
}

/// What the schema phase may do.
pub struct SchemaPolicy {
    /// Make the changes (otherwise only plan them).
    pub apply: bool,
    /// Apply the post-data changes too, right after the pre-data ones (no
    /// data phase follows).
    pub without_rows: bool,
    pub allow_destructive: bool,
    /// Do not ask before lossy or destructive changes.
    pub assume_yes: bool,
    /// Rows are written (or scripted) after the schema: the target's
    /// triggers are dropped before them and created after them.
    pub rows_follow: bool,
    /// Rows are written even though the schema is not fixed (data-only):
    /// only the triggers' drops and re-creations around them are made.
    pub suspend_only: bool,
}

/// What every step of the schema phase compares and may do.
pub struct SchemaContext<'a> {
    pub source: &'a Catalog,
    pub accepts: &'a dyn Fn(&str) -> bool,
    pub policy: SchemaPolicy,
}

impl SchemaContext<'_> {
    fn allowed(&self, planned: &PlannedChange) -> bool {
        planned.safety == Safety::Safe || self.policy.allow_destructive
    }

    /// The plan from `target`; `first`: the plan the run starts from,
    /// which suspends triggers for the rows (the plans that verify come
    /// after that, and would suspend them again).
    fn plan(&self, target: &Catalog, dialect: &dyn Dialect, first: bool) -> Vec<PlannedChange> {
        let options = DiffOptions {
            separate_fk_phase: dialect.alters_foreign_keys(),
            fks_after_rows: !dialect.references_missing_tables(),
            index_order_matters: dialect.index_order_matters(),
            suspend_triggers: first && self.policy.rows_follow,
        };
        diff(self.source, target, self.accepts, options)
    }

    /// The changes this run will make to `target`, in order (none when it
    /// only plans), for the privilege check before the first write.
    pub fn changes_to_apply(&self, target: &Catalog, dialect: &dyn Dialect) -> Vec<SchemaChange> {
        if !self.policy.apply {
            return Vec::new();
        }
        self.plan(target, dialect, true)
            .into_iter()
            .filter(|p| self.allowed(p))
            .map(|p| p.change)
            .collect()
    }

    /// Tables a plan leaves blocked for the rows: a change of their
    /// columns or primary key runs before the rows (or is refused), so the
    /// rows cannot be compared yet. Every mode answers this the same way:
    /// validate skips such a table, a dry run reloads it after the change,
    /// a real run syncs it once the change is made.
    /// A table also stays blocked while a trigger the source does not
    /// have (or has otherwise, or that must be created again in the
    /// source's firing order) is kept on it (its drop refused, or the
    /// schema not fixed): it would fire on the rows.
    fn blocked(&self, plan: &[PlannedChange]) -> BTreeSet<String> {
        plan.iter()
            .filter(|p| {
                ((p.phase == Phase::PreData || !self.allowed(p)) && p.change.reshapes_rows())
                    || ((!self.allowed(p) || self.policy.suspend_only) && p.change.drops_trigger())
            })
            .map(|p| p.change.object_name().to_string())
            .collect()
    }
}

/// Plans the schema changes and, when the policy says so, makes the
/// pre-data ones (all of them `without_rows`).
pub async fn run(
    context: &SchemaContext<'_>,
    target_catalog: Catalog,
    target: &mut TargetDb,
    warnings: &mut Vec<String>,
) -> Result<SchemaOutcome> {
    let SchemaPolicy {
        apply,
        without_rows,
        assume_yes,
        suspend_only,
        ..
    } = context.policy;
    let plan = context.plan(&target_catalog, target.dialect(), true);
    let mismatches = describe::mismatches(&plan);
    let mut changes = render_plan(&plan, target.dialect(), &|p| context.allowed(p));
    let mut outcome = SchemaOutcome {
        remaining: mismatches.clone(),
        mismatches,
        blocked: context.blocked(&plan),
        changes: Vec::new(),
        target_catalog,
        failed: false,
    };
    if !(apply || suspend_only) || plan.is_empty() {
        outcome.changes = changes;
        return Ok(outcome);
    }
    if without_rows {
        refuse_what_rows_would_refuse(context, &plan, target).await?;
    }
    let risky: Vec<&ChangeReport> = changes
        .iter()
        .filter(|c| c.safety != Safety::Safe && c.pending() && apply)
        .collect();
    if !risky.is_empty() && !assume_yes && !confirm(&risky)? {
        return Err(Error::Refused(
            "nothing was changed: the lossy/destructive changes were not confirmed (pass --yes to skip the question)"
                .to_string(),
        ));
    }
    let phases: &[Phase] = if without_rows {
        &[Phase::PreData, Phase::PostData]
    } else {
        &[Phase::PreData]
    };
    // Suspensions wait for the first look (`suspend`).
    apply_and_verify(
        context,
        target,
        &mut changes,
        (phases, false),
        warnings,
        &mut outcome,
    )
    .await?;
    outcome.changes = changes;
    Ok(outcome)
}

/// Keeps the suspensions of equal triggers and events that the `written`
/// tables' rows need (a trigger's table is written; an event: any table
/// is) and forgets the others; then, when `apply`, drops the kept ones
/// before the first row is written. A drop the target refuses stops the
/// run before any row is written: the trigger would fire on them.
pub async fn suspend(
    target: &mut TargetDb,
    written: &BTreeSet<String>,
    apply: bool,
    outcome: &mut SchemaOutcome,
    warnings: &mut Vec<String>,
) -> Result<()> {
    keep_needed_suspensions(&mut outcome.changes, written);
    if !apply {
        return Ok(());
    }
    let due = |c: &ChangeReport| c.pending() && c.phase == Phase::PreData && c.suspends.is_some();
    if !apply_changes(target, &mut outcome.changes, &due, warnings).await {
        return Ok(());
    }
    outcome.failed = true;
    let failed: Vec<String> = outcome
        .changes
        .iter()
        .filter_map(|c| match &c.status {
            ChangeStatus::Failed(e) if c.suspends.is_some() => Some(format!("`{}`: {e}", c.table)),
            _ => None,
        })
        .collect();
    Err(Error::Refused(format!(
        "no row was written: a trigger or event could not be taken out of the rows' way ({}); \
         grant the target's account the TRIGGER (and EVENT) privilege, then run again",
        failed.join("; ")
    )))
}

/// Drops from `changes` the suspensions no write needs: with `written`
/// empty (no data phase, or nothing to write), all of them.
pub fn keep_needed_suspensions(changes: &mut Vec<ChangeReport>, written: &BTreeSet<String>) {
    changes.retain(|c| match c.suspends {
        None => true,
        Some(Suspension::TableWrites) => written.contains(&c.table),
        Some(Suspension::AnyWrites) => !written.is_empty(),
    });
}

/// Without a data phase, the post-data changes meet the target's rows as
/// they are: any that those rows would refuse stops the run before
/// anything is written, naming the rows and what to do.
async fn refuse_what_rows_would_refuse(
    context: &SchemaContext<'_>,
    plan: &[PlannedChange],
    target: &mut TargetDb,
) -> Result<()> {
    let mut refusals = Vec::new();
    for planned in plan
        .iter()
        .filter(|p| p.phase == Phase::PostData && context.allowed(p))
    {
        for finding in target
            .rows_refusing(&planned.change)
            .await?
            .unwrap_or_default()
        {
            refusals.push(format!("`{}`: {finding}", planned.change.object_name()));
        }
    }
    if refusals.is_empty() {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "nothing was changed: the target's rows would refuse these schema changes:\n  {}\n\
         sync the rows too (--fix-schemas replaces them with the source's rows before adding these), or fix those rows first",
        refusals.join("\n  ")
    )))
}

/// Runs the post-data changes, now that the rows of the `synced` tables
/// match the source; a post-data change of a table whose rows were not
/// synced waits for a later run. Then verifies the whole schema again.
pub async fn post_data(
    context: &SchemaContext<'_>,
    target: &mut TargetDb,
    synced: &BTreeSet<String>,
    outcome: &mut SchemaOutcome,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let mut changes = std::mem::take(&mut outcome.changes);
    for change in changes.iter_mut().filter(|c| {
        c.phase == Phase::PostData && c.pending() && c.needs_rows && !synced.contains(&c.table)
    }) {
        change.status = ChangeStatus::Waiting(format!(
            "waits for the rows of `{}` to match the source (its rows were not synced in this run)",
            change.table
        ));
    }
    let result = apply_and_verify(
        context,
        target,
        &mut changes,
        (&[Phase::PreData, Phase::PostData], true),
        warnings,
        outcome,
    )
    .await;
    outcome.changes = changes;
    result
}

/// Applies the pending changes of `phases` (with the suspensions of equal
/// triggers and events, if `suspensions`), then reads the target again
/// and applies what is still pending of those phases. A server may rename
/// what it was told to keep (MariaDB renames an FK's implicit index when
/// the FK is added again), so a few more rounds reach the fixed point.
/// Leaves the remaining differences and the blocked tables in `outcome`.
async fn apply_and_verify(
    context: &SchemaContext<'_>,
    target: &mut TargetDb,
    changes: &mut Vec<ChangeReport>,
    (phases, suspensions): (&[Phase], bool),
    warnings: &mut Vec<String>,
    outcome: &mut SchemaOutcome,
) -> Result<()> {
    let due = |c: &ChangeReport| {
        c.pending()
            && phases.contains(&c.phase)
            && match c.suspends {
                Some(_) => suspensions,
                None => context.policy.apply,
            }
    };
    outcome.failed |= apply_changes(target, changes, &due, warnings).await;
    for round in 0..=EXTRA_ROUNDS {
        outcome.target_catalog = target.introspect_against(context.source).await?;
        let plan = context.plan(&outcome.target_catalog, target.dialect(), false);
        outcome.remaining = describe::mismatches(&plan);
        outcome.blocked = context.blocked(&plan);
        let mut more = render_plan(&plan, target.dialect(), &|p| context.allowed(p));
        if outcome.failed || round == EXTRA_ROUNDS || !more.iter().any(due) {
            break;
        }
        // Refused and waiting changes are already in the report.
        more.retain(due);
        outcome.failed |= apply_changes(target, &mut more, &due, warnings).await;
        changes.extend(more);
    }
    Ok(())
}

/// Apply rounds after the first, for servers that rename objects on the way.
const EXTRA_ROUNDS: usize = 2;

/// Renders each planned change as the target's statements, marking the
/// ones policy refuses.
fn render_plan(
    plan: &[PlannedChange],
    dialect: &dyn Dialect,
    allowed: &dyn Fn(&PlannedChange) -> bool,
) -> Vec<ChangeReport> {
    plan.iter()
        .map(|planned| ChangeReport {
            table: planned.change.object_name().to_string(),
            sql: dialect.render_change(&planned.change),
            safety: planned.safety,
            reason: planned.reason.clone(),
            phase: planned.phase,
            needs_rows: planned.change.needs_rows(),
            suspends: planned.change.suspends(),
            status: match allowed(planned) {
                true => ChangeStatus::Planned,
                false => ChangeStatus::Refused,
            },
        })
        .collect()
}

/// Runs the changes that are `due`, in order, until one fails; the rest of
/// them are marked as not tried. Returns whether one failed.
async fn apply_changes(
    target: &mut TargetDb,
    changes: &mut [ChangeReport],
    due: &dyn Fn(&ChangeReport) -> bool,
    warnings: &mut Vec<String>,
) -> bool {
    let mut failed = false;
    for change in changes.iter_mut().filter(|c| due(c)) {
        if failed {
            change.status = ChangeStatus::NotTried;
            continue;
        }
        match target.execute_ddl(&change.sql).await {
            Ok(()) => change.status = ChangeStatus::Applied,
            Err(e) => {
                change.status = ChangeStatus::Failed(e.to_string());
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

/// Asks on a terminal before lossy or destructive changes, listing each
/// (its class, table, first statement and why); elsewhere the explicit
/// `allow_destructive` is taken as the answer.
fn confirm(risky: &[&ChangeReport]) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(true);
    }
    let mut question =
        String::from("These lossy or destructive schema changes will be applied to the target:\n");
    for change in risky {
        let statement = change
            .sql
            .first()
            .map_or("", |s| s.lines().next().unwrap_or(""));
        question.push_str(&format!(
            "   [{}] {}: {statement}\n",
            change.safety, change.table
        ));
        if let Some(reason) = &change.reason {
            question.push_str(&format!("      {reason}\n"));
        }
    }
    eprint!("{question}Continue? [y/N] ");
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
