//! The schema phase of a run: render the plan as the target's DDL, mark
//! what policy refuses, ask before lossy changes, apply in order, and
//! verify by reading the target again until it matches (or cannot).

use std::io::{IsTerminal, Write};

use crate::catalog::change::Safety;
use crate::catalog::diff::{diff, DiffOptions, PlannedChange};
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
    /// The target's catalog at the end.
    pub target_catalog: Catalog,
    /// A statement failed (exit code 2).
    pub failed: bool,
}

/// What the schema phase may do.
pub struct SchemaPolicy {
    /// Make the changes (otherwise only plan them).
    pub apply: bool,
    pub allow_destructive: bool,
    /// Do not ask before lossy or destructive changes.
    pub assume_yes: bool,
    /// Rows are written (or scripted) after the schema: the target's
    /// triggers are dropped before them and created after them.
    pub rows_follow: bool,
}

/// Plans the schema changes and, when the policy says so, makes them.
pub async fn run(
    source_catalog: &Catalog,
    target_catalog: Catalog,
    target: &mut TargetDb,
    accepts: &dyn Fn(&str) -> bool,
    policy: &SchemaPolicy,
    warnings: &mut Vec<String>,
) -> Result<SchemaOutcome> {
    let SchemaPolicy {
        apply,
        allow_destructive,
        assume_yes,
        rows_follow,
    } = *policy;
    let plan = diff(
        source_catalog,
        &target_catalog,
        accepts,
        diff_options(target.dialect(), rows_follow),
    );
    let mismatches = describe::mismatches(&plan);
    let allowed = |p: &PlannedChange| p.safety == Safety::Safe || allow_destructive;
    let mut changes = render_plan(&plan, target.dialect(), &allowed);
    let mut outcome = SchemaOutcome {
        remaining: mismatches.clone(),
        mismatches,
        changes: Vec::new(),
        target_catalog,
        failed: false,
    };
    if !apply || plan.is_empty() {
        outcome.changes = changes;
        return Ok(outcome);
    }
    let risky = plan
        .iter()
        .filter(|p| p.safety != Safety::Safe && allowed(p))
        .count();
    if risky > 0 && !assume_yes && !confirm(risky)? {
        return Err(Error::Refused(
            "nothing was changed: the lossy/destructive changes were not confirmed (pass --yes to skip the question)"
                .to_string(),
        ));
    }
    outcome.failed = apply_changes(target, &mut changes, warnings).await;
    // Verify by reading the target again. A server may rename what it was
    // told to keep (MariaDB renames an FK's implicit index when the FK is
    // added again), so a few more rounds reach the fixed point. Triggers
    // suspended for the rows are back by now.
    let options = diff_options(target.dialect(), false);
    for round in 0..=EXTRA_ROUNDS {
        outcome.target_catalog = target.introspect().await?;
        let plan = diff(source_catalog, &outcome.target_catalog, accepts, options);
        outcome.remaining = describe::mismatches(&plan);
        let mut more = render_plan(&plan, target.dialect(), &allowed);
        if outcome.failed || round == EXTRA_ROUNDS || !more.iter().any(ChangeReport::pending) {
            break;
        }
        // Refused changes are already in the report from the first round.
        more.retain(ChangeReport::pending);
        outcome.failed = apply_changes(target, &mut more, warnings).await;
        changes.extend(more);
    }
    outcome.changes = changes;
    Ok(outcome)
}

/// Apply rounds after the first, for servers that rename objects on the way.
const EXTRA_ROUNDS: usize = 2;

/// Renders each planned change as the target's statements, marking the
/// ones policy refuses.
pub(super) fn render_plan(
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
            status: match allowed(planned) {
                true => ChangeStatus::Planned,
                false => ChangeStatus::Refused,
            },
        })
        .collect()
}

/// Runs the changes that are not refused, in order, until one fails; the
/// rest are marked as not tried. Returns whether one failed.
pub(super) async fn apply_changes(
    target: &mut TargetDb,
    changes: &mut [ChangeReport],
    warnings: &mut Vec<String>,
) -> bool {
    let mut failed = false;
    for change in changes.iter_mut().filter(|c| c.pending()) {
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

/// How the diff must shape its plan for the target's engine, and whether
/// rows are written after it (then triggers wait until they are).
fn diff_options(dialect: &dyn Dialect, rows_follow: bool) -> DiffOptions {
    DiffOptions {
        separate_fk_phase: dialect.alters_foreign_keys(),
        index_order_matters: dialect.index_order_matters(),
        suspend_triggers: rows_follow,
    }
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
