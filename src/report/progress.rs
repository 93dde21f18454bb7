//! Progress bars for long steps: one line per table on a terminal, nothing
//! in CI, in pipes or with `--quiet`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

pub struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    /// Bars on stderr when it is a terminal and the run is not quiet.
    pub fn new(quiet: bool) -> Progress {
        let show = !quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        Progress {
            multi: show.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    /// No bars at all.
    pub fn hidden() -> Progress {
        Progress { multi: None }
    }

    /// The overall bar: tables done of `total`, with the elapsed time.
    pub fn tables(&self, total: u64) -> Option<ProgressBar> {
        let multi = self.multi.as_ref()?;
        let bar = multi.add(
            ProgressBar::new(total).with_style(
                ProgressStyle::with_template(
                    "{prefix:>28} {bar:30} {pos}/{len} tables  {elapsed} elapsed",
                )
                .expect("valid template"),
            ),
        );
        bar.set_prefix("overall");
        Some(bar)
    }

    /// Whether bars are shown at all.
    pub fn visible(&self) -> bool {
        self.multi.is_some()
    }

    /// A bar counting rows for one step on one table; `total` is the row
    /// count when known (it gives the ETA).
    pub fn rows(&self, table: &str, step: &str, total: Option<u64>) -> Option<ProgressBar> {
        let multi = self.multi.as_ref()?;
        let bar = match total {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template(
                    "{prefix:>28} {bar:30} {human_pos}/{human_len} rows  {rate}  eta {eta}",
                )
                .expect("valid template")
                .with_key("rate", rate),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template(
                    "{prefix:>28} {spinner} {human_pos} rows  {rate}  {elapsed}",
                )
                .expect("valid template")
                .with_key("rate", rate),
            ),
        };
        let bar = multi.add(bar);
        bar.set_prefix(format!("{step} {table}"));
        bar.enable_steady_tick(Duration::from_millis(200));
        Some(bar)
    }
}

/// Rows per second, whole.
fn rate(state: &ProgressState, out: &mut dyn std::fmt::Write) {
    let _ = write!(out, "{:.0} rows/s", state.per_sec());
}
