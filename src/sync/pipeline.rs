//! The read side of one table's sync: both databases stream the table in
//! key order at the same time, a blocking thread merges the two streams
//! (`rowdiff`), and the changes come out in chunks. Every stage is joined
//! by a small bounded channel, so memory stays flat however big the table,
//! and reading, merging and writing overlap.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::data::rowdiff::{RowChange, RowDiff};
use crate::data::table::TableData;
use crate::data::value::Row;
use crate::engine::{RowRead, SourceDb, TargetReader, ROW_CHUNK};
use crate::error::{Error, Result};
use crate::report::progress::RowBar;

/// Chunks in flight per channel (here and in a streamed copy).
pub(crate) const CHANNEL_DEPTH: usize = 4;

/// A row stream fed by a channel of chunks, read from a blocking thread.
struct ChannelRows {
    rx: mpsc::Receiver<Result<Vec<Row>>>,
    buffer: VecDeque<Row>,
    progress: Option<RowBar>,
    /// Rows read so far, shared with the caller.
    read: Arc<AtomicU64>,
}

impl Iterator for ChannelRows {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        loop {
            if let Some(row) = self.buffer.pop_front() {
                return Some(Ok(row));
            }
            match self.rx.blocking_recv()? {
                Ok(chunk) => {
                    if let Some(bar) = &self.progress {
                        bar.advance(&chunk);
                    }
                    self.read.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    self.buffer = chunk.into();
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// What consumes a table's changes (writes them, or only counts them).
pub(crate) trait ChangeSink {
    /// Takes the next chunk of changes, in key order.
    async fn accept(&mut self, changes: Vec<RowChange>) -> Result<()>;
}

/// Streams what `what` asks of `table` (all rows, one key range's, those
/// with given keys, or keys with row hashes) from both sides and hands each chunk of
/// changes to `sink`, until the merge ends or the sink fails. `progress`
/// counts the source rows read. Returns how many rows were read from both
/// sides together. With `target_empty` the target is not read at all:
/// every source row is an insert.
pub(crate) async fn diff_table(
    source: &mut SourceDb,
    target: &mut TargetReader,
    table: &TableData,
    what: RowRead<'_>,
    target_empty: bool,
    progress: Option<RowBar>,
    sink: &mut impl ChangeSink,
) -> Result<u64> {
    let (source_tx, source_rx) = mpsc::channel(CHANNEL_DEPTH);
    let (target_tx, target_rx) = mpsc::channel(CHANNEL_DEPTH);
    let (change_tx, mut change_rx) = mpsc::channel::<Result<Vec<RowChange>>>(CHANNEL_DEPTH);

    // Keys with row hashes carry the key first.
    let key = match what {
        RowRead::KeyHashes(_) => (0..table.key.len()).collect(),
        RowRead::Rows(_) | RowRead::Keyed(_) => table.key.clone(),
    };
    let name = table.name.clone();
    let read = Arc::new(AtomicU64::new(0));
    let rows_read = read.clone();
    let merge = tokio::task::spawn_blocking(move || {
        let source_rows = ChannelRows {
            rx: source_rx,
            buffer: VecDeque::new(),
            progress,
            read: read.clone(),
        };
        let target_rows = ChannelRows {
            rx: target_rx,
            buffer: VecDeque::new(),
            progress: None,
            read: read.clone(),
        };
        let mut chunk = Vec::with_capacity(ROW_CHUNK);
        for change in RowDiff::new(source_rows, target_rows, key, &name) {
            match change {
                Ok(change) => {
                    chunk.push(change);
                    if chunk.len() == ROW_CHUNK
                        && change_tx
                            .blocking_send(Ok(std::mem::take(&mut chunk)))
                            .is_err()
                    {
                        return;
                    }
                }
                Err(e) => {
                    let _ = change_tx.blocking_send(Err(e));
                    return;
                }
            }
        }
        if !chunk.is_empty() {
            let _ = change_tx.blocking_send(Ok(chunk));
        }
    });

    // Each reader owns its sender: when it is done the channel closes and
    // the merge sees the end of that stream.
    let read_source = async move { source.stream(table, what, &source_tx).await };
    let read_target = async move {
        if !target_empty {
            target.stream(table, what, &target_tx).await
        }
    };
    // The consumer owns the change receiver: if it stops early, dropping
    // the receiver stops the merge, which stops both readers.
    let consume = async move {
        while let Some(chunk) = change_rx.recv().await {
            sink.accept(chunk?).await?;
        }
        Ok(())
    };
    let ((), (), outcome) = tokio::join!(read_source, read_target, consume);
    merge.await.map_err(|e| {
        Error::database(
            format!("table `{}`", table.name),
            format!("the merge stopped: {e}"),
        )
    })?;
    outcome.map(|()| rows_read.load(Ordering::Relaxed))
}
