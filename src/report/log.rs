//! `--log FILE`: a record of each run for cron jobs, appended to a file:
//! when it ran (UTC), the mode, the databases (passwords masked), the
//! verdict and exit code, the counts, every problem left and warning (each
//! retry after a lost connection, say), or the error that stopped the run. Every line starts with the time, so `grep` keeps
//! a run's lines together.

use std::time::{SystemTime, UNIX_EPOCH};

use super::{count, DataStatus, Report};

/// One run, as the log records it.
pub struct Run<'a> {
    pub at: SystemTime,
    /// `sync full`, `validate`, ...
    pub command: &'a str,
    /// Source and target, passwords masked, when the config could be read.
    pub endpoints: Option<(String, String)>,
    pub exit_code: i32,
    /// The report, or the error that stopped the run (masked).
    pub outcome: Result<&'a Report, String>,
}

/// The lines the log gets for `run`, each ending in a newline.
pub fn record(run: &Run<'_>) -> String {
    let at = utc(run.at);
    let between = run
        .endpoints
        .as_ref()
        .map_or(String::new(), |(s, t)| format!(" {s} -> {t}"));
    let head = format!("{at} {}{between}", run.command);
    let mut lines = Vec::new();
    match &run.outcome {
        Ok(report) => {
            let verdict = match report.in_sync {
                true => "in sync",
                false => "differences remain",
            };
            let d = &report.data;
            let rows = match d.status {
                DataStatus::NotRun => String::new(),
                DataStatus::Applied => format!(
                    "; rows {} inserted, {} updated, {} deleted",
                    d.rows_inserted, d.rows_updated, d.rows_deleted
                ),
                DataStatus::Planned => format!(
                    "; rows {} to insert, {} to update, {} to delete",
                    d.rows_inserted, d.rows_updated, d.rows_deleted
                ),
            };
            lines.push(format!(
                "{head}: {verdict} (exit {}); {} analyzed, {} synced, {} skipped{rows}; {}",
                run.exit_code,
                count(report.schema.tables_analyzed, "table", "tables"),
                d.tables_synced,
                d.tables_skipped,
                count(d.errors.len(), "row error", "row errors"),
            ));
            if !report.in_sync {
                lines.extend(report.problems().iter().map(|p| format!("{at}   {p}")));
            }
            for t in &d.tables {
                if let Some(why) = &t.skipped_because {
                    lines.push(format!("{at}   skipped {}: {why}", t.table));
                }
            }
            for e in &d.errors {
                let key = e.key.as_deref().unwrap_or("-");
                lines.push(format!("{at}   refused {} [{key}]: {}", e.table, e.message));
            }
            // Retries after a lost connection among them: a run that
            // recovered says so here too.
            for w in &report.warnings {
                lines.push(format!("{at}   warning: {w}"));
            }
        }
        Err(error) => {
            lines.push(format!("{head}: error (exit {})", run.exit_code));
            lines.extend(error.lines().map(|l| format!("{at}   {l}")));
        }
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// `2026-12-02T12:31:58Z`.
fn utc(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let time = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

/// The calendar date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        let at = |secs| utc(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(at(4_107_542_399), "2100-02-28T23:59:59Z");
    }
}
