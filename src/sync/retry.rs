//! Redoing one table's pass after a transient failure (a lost connection,
//! a lock wait timeout, a deadlock): wait (doubling from `retry_wait`,
//! capped), open the side's connections again with their session state,
//! and sync the table again from a fresh look at the target.
//!
//! Why a redo is safe: every batch is one transaction, so the target holds
//! whole batches only, and the redo re-reads the target before writing.
//! A batch whose COMMIT's answer was lost is then either there (and found
//! equal) or not (and written again) — never written twice, keyless tables
//! included, where a blind re-apply would duplicate rows. A table that
//! started empty is diffed on the redo instead of copied.
//!
//! A table cut into key ranges (`ranges`) redoes the failed range alone:
//! the range is a unit of work like a table, its writes touch no key of
//! another range.
//!
//! A lost source connection loses its snapshot: the redo reads the table
//! (or range) on a new snapshot, at a later moment than the other tables,
//! and the retry's line in the report says so.

use std::time::Duration;

use super::first_look::Look;
use super::lanes::Lane;
use super::table_pass::{sync_one, Step, TableWork};
use super::{RowMode, Shared, SyncTable};
use crate::engine::DataSession;
use crate::error::{Error, Result};

/// Longest wait between two attempts.
const MAX_WAIT: Duration = Duration::from_secs(60);
/// How often a wait looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(100);

/// How often, and after how long, a transient failure is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: a transient failure fails the
    /// run at once).
    pub retries: u32,
    /// The wait before the first retry; it doubles for each next one, up
    /// to a minute.
    pub first_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 3,
            first_wait: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `n` (1-based).
    pub fn wait(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
        self.first_wait.saturating_mul(factor).min(MAX_WAIT)
    }
}

/// A transient failure, as far as a retry needs it.
struct Lost {
    side: &'static str,
    endpoint: String,
    what: String,
}

/// `sync_one`, redone after transient failures while `shared.retry`
/// allows (applying only: a script or a count has nothing to redo
/// safely). What was written is in the returned work whatever the result.
pub(crate) async fn sync_retrying(
    lane: &mut Lane<'_>,
    mut mode: RowMode<'_>,
    table: &SyncTable,
    mut step: Step,
    shared: &Shared<'_>,
) -> (TableWork, Result<()>) {
    let name = match &step.part {
        Some(part) => format!("`{}` (key range {})", table.data.name, part.label()),
        None => format!("`{}`", table.data.name),
    };
    let applying = matches!(mode, RowMode::Apply);
    let policy = shared.retry;
    let mut work = TableWork::default();
    let mut attempt = 0u32;
    let mut lost: Option<Lost> = None;
    loop {
        if let Some(failure) = lost.take() {
            if shared.stop.requested() {
                return (work, Err(Error::Stopped));
            }
            if !applying || attempt >= policy.retries {
                return (work, Err(gave_up(&name, failure, attempt, policy)));
            }
            attempt += 1;
            let wait = policy.wait(attempt);
            let later = match failure.side {
                "source" => "; read again on a new snapshot of the source, at a later moment than the tables before it",
                _ => "",
            };
            work.retries.push(format!(
                "{name}: retry {attempt} of {} after {} s: the {} connection ({}) failed: {}{later}",
                policy.retries,
                wait.as_secs_f64(),
                failure.side,
                failure.endpoint,
                failure.what
            ));
            if !pause(wait, shared).await {
                return (work, Err(Error::Stopped));
            }
            if let Err(e) = reopen(lane, failure.side).await {
                lost = Some(Lost {
                    what: format!("opening it again: {e}"),
                    ..failure
                });
                continue;
            }
            // The target may hold part of the table now: compare, do not
            // copy blindly.
            if matches!(step.look, Look::Empty | Look::Replace) {
                step.look = Look::Differs;
            }
        }
        work.refused.clear();
        work.deferred = Default::default();
        work.moves.clear();
        match sync_one(
            lane,
            mode.reborrow(),
            table,
            step.clone(),
            shared,
            &mut work,
        )
        .await
        {
            Err(Error::Transient {
                side,
                endpoint,
                context,
                message,
            }) => {
                lost = Some(Lost {
                    side,
                    endpoint,
                    what: format!("{context}: {message}"),
                })
            }
            other => return (work, other),
        }
    }
}

/// Waits `wait`, or less when a stop is asked for (then false).
async fn pause(wait: Duration, shared: &Shared<'_>) -> bool {
    let until = tokio::time::Instant::now() + wait;
    while tokio::time::Instant::now() < until {
        if shared.stop.requested() {
            return false;
        }
        tokio::time::sleep(STOP_POLL.min(until - tokio::time::Instant::now())).await;
    }
    !shared.stop.requested()
}

/// Opens the lost side's connections of the lane again.
async fn reopen(lane: &mut Lane<'_>, side: &str) -> Result<()> {
    match side {
        "source" => lane.source.reopen(DataSession::SourceSnapshot).await,
        _ => {
            lane.reader.reopen(DataSession::TargetReader).await?;
            lane.writer.reopen_writer().await
        }
    }
}

/// The error a run stops with once the retries are spent; `table` names
/// the table (and the key range) as the report does.
fn gave_up(table: &str, failure: Lost, retried: u32, policy: RetryPolicy) -> Error {
    let Lost {
        side,
        endpoint,
        what,
    } = failure;
    let tries = match (retried, policy.retries) {
        (0, 0) => "not retried (retries = 0)".to_string(),
        (0, _) => "not retried (only runs that write rows retry)".to_string(),
        (n, _) => format!("after {} attempts", n + 1),
    };
    Error::Database {
        context: format!("syncing {table}: the {side} connection ({endpoint}) failed, {tries}"),
        message: format!(
            "{what}\n  hint: what was written before is kept whole (each batch is one transaction); check the {side} server and the network, then run the same command again to finish (or raise retries / retry_wait in [sync])"
        ),
        statement: None,
    }
}
