//! The human report, in the shape our users know from the scripts we
//! replace: the schema analysis report, then the data statistics, then the
//! verdict. Colour only when asked for (a terminal without `--no-color`).

use std::fmt::Write;

use crate::catalog::change::Safety;

use super::{ChangeStatus, DataError, DataStatus, Mismatch, Report};

/// ANSI styling that is a no-op when colour is off.
struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    fn green(&self, t: &str) -> String {
        self.paint("32", t)
    }
    fn yellow(&self, t: &str) -> String {
        self.paint("33", t)
    }
    fn red(&self, t: &str) -> String {
        self.paint("31", t)
    }
}

/// Renders the whole report as text.
pub fn render(report: &Report, color: bool) -> String {
    let s = Style { on: color };
    let mut out = String::new();
    let schema = &report.schema;
    let rule = "=".repeat(60);
    let _ = writeln!(out, "{}", s.bold("SCHEMA ANALYSIS REPORT"));
    let _ = writeln!(out, "{rule}");
    let _ = writeln!(out, "source:  {} ({})", report.source, report.source_flavor);
    let _ = writeln!(out, "target:  {} ({})", report.target, report.target_flavor);
    let _ = writeln!(out, "mode:    {}", report.mode);
    let _ = writeln!(out, "Tables analyzed: {}", schema.tables_analyzed);
    let _ = writeln!(out, "Schema mismatches found: {}", schema.mismatches.len());
    let fk_edges: usize = schema
        .fk_dependencies
        .iter()
        .map(|d| d.depends_on.len())
        .sum();
    let _ = writeln!(out, "Foreign key dependencies analyzed: {fk_edges}");
    let _ = writeln!(
        out,
        "FK cycles: {}   self-references: {}",
        schema.cycles.len(),
        schema.self_references.len()
    );

    if !schema.mismatches.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            s.bold(&format!("Schema mismatches ({}):", schema.mismatches.len()))
        );
        write_mismatches(&mut out, &schema.mismatches);
    }

    let with_parents: Vec<_> = schema
        .fk_dependencies
        .iter()
        .filter(|d| !d.depends_on.is_empty())
        .collect();
    if !with_parents.is_empty() {
        let _ = writeln!(out, "\n{}", s.bold("Foreign key dependencies:"));
        for dep in with_parents {
            let _ = writeln!(
                out,
                "   {} depends on: {}",
                dep.table,
                dep.depends_on.join(", ")
            );
        }
    }
    if !schema.cycles.is_empty() || !schema.self_references.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            s.bold("FK cycles (synced by deferring the cycle's checks):")
        );
        for cycle in &schema.cycles {
            let _ = writeln!(out, "   {} -> {}", cycle.join(" -> "), cycle[0]);
        }
        for table in &schema.self_references {
            let _ = writeln!(out, "   {table} -> {table} (self-reference)");
        }
    }

    if !schema.changes.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            s.bold(&format!("Schema changes ({}):", schema.changes.len()))
        );
        for change in &schema.changes {
            let mark = match change.status {
                ChangeStatus::Applied => s.green("applied"),
                ChangeStatus::Planned => "planned".to_string(),
                ChangeStatus::Refused
                | ChangeStatus::Failed(_)
                | ChangeStatus::NotTried
                | ChangeStatus::Waiting(_) => s.yellow("not applied"),
            };
            let safety = match change.safety {
                Safety::Safe => s.green("safe"),
                Safety::Lossy => s.yellow("lossy"),
                Safety::Destructive => s.red("destructive"),
            };
            let _ = writeln!(out, "   [{mark}] [{safety}] {}", change.table);
            for sql in &change.sql {
                let _ = writeln!(out, "      {}", sql.replace('\n', "\n      "));
            }
            if let Some(reason) = &change.reason {
                let _ = writeln!(out, "      why {}: {reason}", change.safety);
            }
            if let Some(why) = change.skipped_because() {
                let _ = writeln!(out, "      {}", s.yellow(&why));
            }
        }
    }

    if report.data.status != DataStatus::NotRun {
        write_data(&mut out, report, &s);
    }

    if !report.warnings.is_empty() {
        let _ = writeln!(out, "\n{}", s.bold("Warnings:"));
        for w in &report.warnings {
            let _ = writeln!(out, "   - {}", s.yellow(w));
        }
    }
    if !report.recommendations.is_empty() {
        let _ = writeln!(out, "\n{}", s.bold("Recommendations:"));
        for r in &report.recommendations {
            let _ = writeln!(out, "   - {r}");
        }
    }

    let _ = writeln!(out);
    if report.in_sync {
        let _ = writeln!(out, "{}", s.green("Result: the target matches the source."));
    } else {
        let _ = writeln!(out, "{}", s.red(&format!("Result: {}", verdict(report))));
        write_mismatches(&mut out, &schema.remaining_mismatches);
    }
    out
}

/// The verdict in one line: in sync, or every kind of problem left with
/// its tables and counts (`differences remain: 2 schema differences (a);
/// 3 rows refused (child: 3)`).
pub fn verdict(report: &Report) -> String {
    match report.in_sync {
        true => "the target matches the source.".to_string(),
        false => format!("differences remain: {}.", report.problems().join("; ")),
    }
}

/// Keys shown per group of refused rows (the JSON report has them all).
const KEYS_SHOWN: usize = 5;

/// Refused rows grouped by table and constraint: how many, the first keys,
/// and the server's message for the first one.
fn write_refusals(out: &mut String, errors: &[DataError]) {
    let mut groups: Vec<(&str, Option<&str>, Vec<&DataError>)> = Vec::new();
    for e in errors {
        let constraint = e.constraint.as_deref();
        match groups
            .iter_mut()
            .find(|(t, c, _)| *t == e.table && *c == constraint)
        {
            Some((_, _, rows)) => rows.push(e),
            None => groups.push((&e.table, constraint, vec![e])),
        }
    }
    for (table, constraint, rows) in groups {
        let by = constraint.map_or(String::new(), |c| format!(" by constraint {c}"));
        let mut keys: Vec<&str> = rows
            .iter()
            .take(KEYS_SHOWN)
            .map(|e| e.key.as_deref().unwrap_or("-"))
            .collect();
        if rows.len() > KEYS_SHOWN {
            keys.push("…");
        }
        let _ = writeln!(
            out,
            "      {table}: {} refused{by} (keys {})",
            super::count(rows.len(), "row", "rows"),
            keys.join(", ")
        );
        let _ = writeln!(out, "         {}", rows[0].message);
    }
}

/// Mismatches grouped under their table.
fn write_mismatches(out: &mut String, mismatches: &[Mismatch]) {
    let mut last_table = None;
    for m in mismatches {
        if last_table != Some(&m.table) {
            let _ = writeln!(out, "   {}:", m.table);
            last_table = Some(&m.table);
        }
        let _ = writeln!(out, "      {}", m.detail);
    }
}

/// The data phase: one line per table, the statistics, the verification.
fn write_data(out: &mut String, report: &Report, s: &Style) {
    let d = &report.data;
    let planned = d.status == DataStatus::Planned;
    let title = if planned {
        "Data plan (nothing written):"
    } else {
        "Data sync:"
    };
    let _ = writeln!(out, "\n{}", s.bold(title));
    let width = d
        .tables
        .iter()
        .map(|t| t.table.len())
        .max()
        .unwrap_or(5)
        .max(5);
    if !d.diff_method.is_empty() {
        let _ = writeln!(out, "   Compared by {}", d.diff_method);
    }
    let _ = writeln!(
        out,
        "   {:<width$}  {:>9}  {:>9}  {:>9}  key",
        "table", "insert", "update", "delete"
    );
    for t in &d.tables {
        match &t.skipped_because {
            Some(why) => {
                let _ = writeln!(
                    out,
                    "   {:<width$}  {}",
                    t.table,
                    s.yellow(&format!("skipped: {why}"))
                );
            }
            None => {
                let after = match t.differences_after {
                    Some(0) => format!("  {}", s.green("verified")),
                    Some(n) => format!("  {}", s.red(&format!("{n} rows still differ"))),
                    None => String::new(),
                };
                let _ = writeln!(
                    out,
                    "   {:<width$}  {:>9}  {:>9}  {:>9}  {}; {}{after}",
                    t.table, t.rows_inserted, t.rows_updated, t.rows_deleted, t.key, t.found_by
                );
            }
        }
    }
    let _ = writeln!(out, "\n{}", s.bold("Final Statistics:"));
    let _ = writeln!(out, "   Tables processed: {}", d.tables_processed);
    let _ = writeln!(out, "   Tables synced: {}", d.tables_synced);
    let _ = writeln!(out, "   Tables skipped: {}", d.tables_skipped);
    let (ins, upd, del) = if planned {
        ("to insert", "to update", "to delete")
    } else {
        ("inserted", "updated", "deleted")
    };
    let _ = writeln!(out, "   Records {ins}: {}", d.rows_inserted);
    let _ = writeln!(out, "   Records {upd}: {}", d.rows_updated);
    let _ = writeln!(out, "   Records {del}: {}", d.rows_deleted);
    let _ = writeln!(out, "   Errors: {}", d.errors.len());
    write_refusals(out, &d.errors);
    if !planned {
        let verified: Vec<_> = d
            .tables
            .iter()
            .filter(|t| t.differences_after.is_some())
            .collect();
        let differing = verified
            .iter()
            .filter(|t| t.differences_after != Some(0))
            .count();
        let line = if differing == 0 {
            s.green(&format!(
                "Verification: all {} synced tables match the source.",
                verified.len()
            ))
        } else {
            s.red(&format!(
                "Verification: {differing} of {} synced tables still differ.",
                verified.len()
            ))
        };
        let _ = writeln!(out, "   {line}");
    }
}
