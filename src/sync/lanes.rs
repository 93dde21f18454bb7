//! Lanes: the connections one table is synced over at a time (a source
//! connection inside the shared snapshot, a target reader and a writer),
//! and the one scheduler that spreads work over them — one item per lane
//! at a time, each started as soon as a lane is free and the item may
//! start.

use std::future::Future;
use std::pin::Pin;

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::engine::{SourceDb, TargetDb, TargetReader};
use crate::error::Result;

pub struct Lane<'a> {
    pub source: &'a mut SourceDb,
    pub reader: &'a mut TargetReader,
    pub writer: &'a mut TargetDb,
}

/// What the scheduler asks of the work it runs.
pub(crate) trait Schedule {
    /// What an item starts from, decided when it starts.
    type Start;
    /// What an item's work gives back.
    type Done;
    /// The next item that may start now, if any.
    fn next(&mut self) -> Option<(usize, Self::Start)>;
    /// An item's work is done; an error stops the run (after the items
    /// still running are done too).
    fn done(&mut self, item: usize, result: Self::Done) -> Result<()>;
}

type Running<'l, 'f, T> = Pin<Box<dyn Future<Output = (Lane<'l>, usize, Result<T>)> + 'f>>;

/// Runs `work` over `lanes` for every item `plan` lets start, until none
/// is left or one fails: then no item starts, the running ones are seen
/// to their end (each hands `plan` what it did: a stop ends them at their
/// next batch), and the first error is returned. The lanes are back in
/// `lanes` afterwards.
pub(crate) async fn run_on_lanes<'l, P: Schedule>(
    lanes: &mut Vec<Lane<'l>>,
    plan: &mut P,
    work: impl AsyncFn(&mut Lane<'l>, usize, P::Start) -> Result<P::Done>,
) -> Result<()> {
    let mut idle = std::mem::take(lanes);
    let mut running: FuturesUnordered<Running<'l, '_, P::Done>> = FuturesUnordered::new();
    let work = &work;
    let mut failed = None;
    let result = async {
        loop {
            while !idle.is_empty() && failed.is_none() {
                let Some((item, start)) = plan.next() else {
                    break;
                };
                let mut lane = idle.pop().expect("an idle lane");
                running.push(Box::pin(async move {
                    let done = work(&mut lane, item, start).await;
                    (lane, item, done)
                }));
            }
            let Some((lane, item, done)) = running.next().await else {
                return failed.map_or(Ok(()), Err);
            };
            idle.push(lane);
            if let Err(e) = done.and_then(|done| plan.done(item, done)) {
                failed.get_or_insert(e);
            }
        }
    }
    .await;
    drop(running);
    *lanes = idle;
    result
}
