//! Finding a table's changes by row hashes: both servers stream every
//! row's key with a 64-bit hash of the row (computed server-side, about
//! 16 bytes a row on the wire instead of the row), the two streams are
//! merged by key, and only the rows whose keys differ (missing on a side,
//! or hashed differently) are read whole, in batches of keys, and diffed
//! as usual. One hashing pass per server whatever the spread of the
//! changes, which bisection cannot promise.
//!
//! A big table is hashed in parts of `HASH_PART_ROWS`, cut by split
//! points, so the differing keys held before their rows are read stay
//! bounded. A part where more than a quarter of the keys differ is
//! streamed whole instead: its rows would cross anyway, and reading them
//! by key costs a round trip a batch.

use super::apply::TableApplier;
use super::choose::{hash_parts, HASH_PART_ROWS};
use super::pipeline::{diff_table, ChangeSink};
use crate::data::rowdiff::RowChange;
use crate::data::segment::KeyRange;
use crate::data::table::TableData;
use crate::data::value::{Row, Value};
use crate::engine::{RowRead, SourceDb, TargetReader};
use crate::error::Result;
use crate::report::progress::RowBar;

/// Keys read whole in one statement at most.
const FETCH_KEYS: usize = 1000;
/// A batch of keys stops growing at about this many bytes of key values
/// (far below any statement size limit).
const FETCH_KEY_BYTES: usize = 256 * 1024;

/// What hashing a table found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct HashesFound {
    /// Parts the table was hashed in.
    pub parts: usize,
    /// Keys with row hashes read from both sides together.
    pub hashes_read: u64,
    /// Whole rows read from both sides together (by key, or parts
    /// streamed whole).
    pub rows_read: u64,
}

/// Finds the changes of `table` inside `within` (about `rows` rows) by
/// row hashes, and hands them to `sink`. `bar` counts the source's keys
/// as they are hashed.
pub(crate) async fn diff_by_hashes(
    source: &mut SourceDb,
    target: &mut TargetReader,
    table: &TableData,
    rows: u64,
    within: &KeyRange,
    bar: Option<RowBar>,
    sink: &mut TableApplier<'_>,
) -> Result<HashesFound> {
    let parts = hash_parts(rows);
    let ranges = match parts {
        1 => vec![within.clone()],
        n => within.split(source.split_points(table, within, n as usize).await?),
    };
    // Rows a part holds, about (a part of unknown size: at most a full one).
    let part_rows = match rows {
        0 => HASH_PART_ROWS,
        rows => rows.div_ceil(ranges.len() as u64),
    };
    let mut found = HashesFound {
        parts: ranges.len(),
        ..HashesFound::default()
    };
    for range in &ranges {
        let mut keys = DifferingKeys {
            key_width: table.key.len(),
            keys: Vec::new(),
            most: (part_rows / 4) as usize,
            too_many: false,
        };
        found.hashes_read += diff_table(
            source,
            target,
            table,
            RowRead::KeyHashes(Some(range)),
            false,
            bar.clone(),
            &mut keys,
        )
        .await?;
        if keys.too_many {
            found.rows_read += diff_table(
                source,
                target,
                table,
                RowRead::Rows(Some(range)),
                false,
                None,
                sink,
            )
            .await?;
            continue;
        }
        for batch in batches(&keys.keys) {
            found.rows_read += diff_table(
                source,
                target,
                table,
                RowRead::Keyed(batch),
                false,
                None,
                sink,
            )
            .await?;
        }
    }
    Ok(found)
}

/// Collects the keys whose row hashes differ, in key order, up to `most`.
struct DifferingKeys {
    key_width: usize,
    keys: Vec<Row>,
    most: usize,
    /// More than `most` differ: the part is streamed whole.
    too_many: bool,
}

impl ChangeSink for DifferingKeys {
    async fn accept(&mut self, changes: Vec<RowChange>) -> Result<()> {
        if self.too_many {
            return Ok(());
        }
        for change in changes {
            let (RowChange::Insert(row)
            | RowChange::Delete(row)
            | RowChange::Update { new: row, .. }) = change;
            let mut key = row;
            key.truncate(self.key_width);
            self.keys.push(key);
        }
        if self.keys.len() > self.most {
            self.too_many = true;
            self.keys = Vec::new();
        }
        Ok(())
    }
}

/// `keys` in runs of at most `FETCH_KEYS` keys and about
/// `FETCH_KEY_BYTES` of values each.
fn batches(keys: &[Row]) -> Vec<&[Row]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, key) in keys.iter().enumerate() {
        let size: usize = key.iter().map(Value::data_len).sum();
        if i > start && (i - start == FETCH_KEYS || bytes + size > FETCH_KEY_BYTES) {
            out.push(&keys[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < keys.len() {
        out.push(&keys[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cut_by_count_and_by_bytes() {
        let small: Vec<Row> = (0..2500).map(|i| vec![Value::Int(i)]).collect();
        let cut = batches(&small);
        assert_eq!(
            cut.iter().map(|b| b.len()).collect::<Vec<_>>(),
            [1000, 1000, 500]
        );
        let wide: Vec<Row> = (0..10)
            .map(|_| vec![Value::Text(vec![b'x'; 100_000])])
            .collect();
        let cut = batches(&wide);
        assert!(cut.iter().all(|b| b.len() <= 3), "{:?}", cut.len());
        assert_eq!(cut.iter().map(|b| b.len()).sum::<usize>(), 10);
        assert!(batches(&[]).is_empty());
    }
}
