//! Progress bars for long steps: one line per table on a terminal (rows,
//! bytes read from the source and their rate over the link, rows/s, ETA)
//! under an overall line for the whole data phase; nothing in CI, in pipes
//! or with `--quiet`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{
    HumanBytes, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle,
};

use crate::data::value::Row;

pub struct Progress {
    multi: Option<MultiProgress>,
    /// The overall bar, once `overall` made it: every table's bar adds to it.
    overall: Mutex<Option<Overall>>,
}

/// The overall bar: rows and bytes of every table, tables done of all.
#[derive(Clone)]
pub struct Overall {
    bar: ProgressBar,
    bytes: Arc<AtomicU64>,
    tables_done: Arc<AtomicU64>,
}

impl Overall {
    /// One more table done.
    pub fn table_done(&self) {
        self.tables_done.fetch_add(1, Ordering::Relaxed);
    }
}

/// One step on one table: rows and bytes read from the source.
#[derive(Clone)]
pub struct RowBar {
    bar: ProgressBar,
    bytes: Arc<AtomicU64>,
    overall: Option<Overall>,
}

impl RowBar {
    /// Counts a chunk of rows read, here and overall.
    pub fn advance(&self, rows: &[Row]) {
        let bytes: u64 = rows
            .iter()
            .flat_map(|row| row.iter())
            .map(|v| v.data_len() as u64)
            .sum();
        self.bar.inc(rows.len() as u64);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        if let Some(overall) = &self.overall {
            overall.bar.inc(rows.len() as u64);
            overall.bytes.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    /// Ends the bar at the true count (its length was an estimate).
    pub fn finish(&self) {
        self.bar.set_length(self.bar.position());
        self.bar.finish();
    }

    /// Takes back what this bar counted (the step starts over) and clears it.
    pub fn abandon(&self) {
        if let Some(overall) = &self.overall {
            let rows = self.bar.position();
            overall
                .bar
                .set_position(overall.bar.position().saturating_sub(rows));
            let bytes = self.bytes.load(Ordering::Relaxed);
            let _ = overall
                .bytes
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                    Some(b.saturating_sub(bytes))
                });
        }
        self.bar.finish_and_clear();
    }

    /// Rows counted so far.
    #[cfg(test)]
    pub fn rows(&self) -> u64 {
        self.bar.position()
    }

    /// Bytes counted so far.
    #[cfg(test)]
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

impl Progress {
    /// Bars on stderr when it is a terminal and the run is not quiet.
    pub fn new(quiet: bool) -> Progress {
        let show = !quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        Progress {
            multi: show.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            overall: Mutex::new(None),
        }
    }

    /// No bars at all.
    pub fn hidden() -> Progress {
        Progress {
            multi: None,
            overall: Mutex::new(None),
        }
    }

    /// Bars that count without drawing (for tests).
    #[cfg(test)]
    pub fn counting() -> Progress {
        Progress {
            multi: Some(MultiProgress::with_draw_target(ProgressDrawTarget::hidden())),
            overall: Mutex::new(None),
        }
    }

    /// Whether bars are shown at all.
    pub fn visible(&self) -> bool {
        self.multi.is_some()
    }

    /// The overall bar over `tables` tables holding about `rows` rows (the
    /// ETA, when known); the bars made after it add to it.
    pub fn overall(&self, tables: u64, rows: Option<u64>) -> Option<Overall> {
        let multi = self.multi.as_ref()?;
        let bytes = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicU64::new(0));
        let (shown_bytes, shown_done) = (bytes.clone(), done.clone());
        let tables_key = move |_: &ProgressState, out: &mut dyn std::fmt::Write| {
            let _ = write!(out, "{}/{tables}", shown_done.load(Ordering::Relaxed));
        };
        let style =
            row_style(rows, shown_bytes, "  {tables} tables").with_key("tables", tables_key);
        let bar = multi.add(new_bar(rows).with_style(style));
        bar.set_prefix("overall");
        bar.enable_steady_tick(Duration::from_millis(200));
        let overall = Overall {
            bar,
            bytes,
            tables_done: done,
        };
        *self.overall.lock().unwrap_or_else(|p| p.into_inner()) = Some(overall.clone());
        Some(overall)
    }

    /// Ends the overall bar at its true count; later bars stand alone.
    pub fn finish_overall(&self) {
        let overall = self
            .overall
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(Overall { bar, .. }) = overall {
            bar.set_length(bar.position());
            bar.finish();
        }
    }

    /// A bar counting rows for one step on one table; `total` is the row
    /// count when known (it gives the ETA).
    pub fn rows(&self, table: &str, step: &str, total: Option<u64>) -> Option<RowBar> {
        let multi = self.multi.as_ref()?;
        let bytes = Arc::new(AtomicU64::new(0));
        let bar = multi.add(new_bar(total).with_style(row_style(total, bytes.clone(), "")));
        bar.set_prefix(format!("{step} {table}"));
        bar.enable_steady_tick(Duration::from_millis(200));
        let overall = self
            .overall
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Some(RowBar {
            bar,
            bytes,
            overall,
        })
    }
}

/// A bar's look: with a known total, a bar and the ETA; else a spinner and
/// the time so far. Both show rows, `bytes`, rows/s, then `suffix`.
fn row_style(total: Option<u64>, bytes: Arc<AtomicU64>, suffix: &str) -> ProgressStyle {
    let template = match total {
        Some(_) => "{prefix:>28} {bar:30} {human_pos}/{human_len} rows  {bytes}  {rate}  eta {eta}",
        None => "{prefix:>28} {spinner} {human_pos} rows  {bytes}  {rate}  {elapsed}",
    };
    ProgressStyle::with_template(&format!("{template}{suffix}"))
        .expect("valid template")
        .with_key("rate", rate)
        .with_key(
            "bytes",
            move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(
                    out,
                    "{}",
                    bytes_and_rate(bytes.load(Ordering::Relaxed), state.elapsed())
                );
            },
        )
}

/// Bytes read from the source and the rate they came at over `elapsed`:
/// `12.50 MiB at 3.10 MiB/s`.
fn bytes_and_rate(bytes: u64, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    match seconds > 0.0 {
        true => format!(
            "{} at {}/s",
            HumanBytes(bytes),
            HumanBytes((bytes as f64 / seconds) as u64)
        ),
        false => HumanBytes(bytes).to_string(),
    }
}

/// A bar of `total` steps, or a spinner when the total is unknown.
fn new_bar(total: Option<u64>) -> ProgressBar {
    match total {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    }
}

/// Rows per second, whole.
fn rate(state: &ProgressState, out: &mut dyn std::fmt::Write) {
    let _ = write!(out, "{:.0} rows/s", state.per_sec());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::value::Value;

    #[test]
    fn table_bars_add_rows_and_bytes_to_the_overall_bar() {
        let progress = Progress::counting();
        let overall = progress.overall(2, Some(10)).unwrap();
        let a = progress.rows("a", "copy", Some(4)).unwrap();
        let b = progress.rows("b", "sync", None).unwrap();
        let row = vec![Value::Int(1), Value::Text(b"hello".to_vec()), Value::Null];
        a.advance(&[row.clone(), row.clone()]);
        b.advance(std::slice::from_ref(&row));
        assert_eq!((a.rows(), a.bytes()), (2, 26));
        assert_eq!((b.rows(), b.bytes()), (1, 13));
        assert_eq!(overall.bar.position(), 3);
        assert_eq!(overall.bytes.load(Ordering::Relaxed), 39);
        // A step that starts over takes its count back.
        a.abandon();
        assert_eq!(overall.bar.position(), 1);
        assert_eq!(overall.bytes.load(Ordering::Relaxed), 13);
        overall.table_done();
        assert_eq!(overall.tables_done.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn bytes_show_with_the_rate_they_came_at() {
        let two_seconds = Duration::from_secs(2);
        assert_eq!(
            bytes_and_rate(5 * 1024 * 1024, two_seconds),
            "5.00 MiB at 2.50 MiB/s"
        );
        assert_eq!(bytes_and_rate(300, Duration::ZERO), "300 B");
    }
}
