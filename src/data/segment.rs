//! Key ranges and checksums: the units of server-side comparison. A
//! `KeyRange` is a run of a table's keys in stream order; a `Checksum` is
//! what a server computes over the rows of one (row count and 128 bits of
//! row hashes), so equal ranges are skipped without shipping a row.

use super::table::TableData;
use super::value::Value;
use crate::error::{Error, Result};

/// A run of keys in stream order: after `after` (exclusive) up to `up_to`
/// (inclusive); `None` leaves that side open. Values are given for the key
/// columns in key order (every column for a table without a key); a
/// shorter list bounds by that key prefix.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyRange {
    pub after: Option<Vec<Value>>,
    pub up_to: Option<Vec<Value>>,
}

impl KeyRange {
    /// Every row.
    pub fn all() -> KeyRange {
        KeyRange::default()
    }

    /// The ranges that `points` (increasing keys inside this range) cut
    /// this one into, in order.
    pub fn split(&self, points: Vec<Vec<Value>>) -> Vec<KeyRange> {
        let mut out = Vec::with_capacity(points.len() + 1);
        let mut after = self.after.clone();
        for point in points {
            out.push(KeyRange {
                after: after.take(),
                up_to: Some(point.clone()),
            });
            after = Some(point);
        }
        out.push(KeyRange {
            after,
            up_to: self.up_to.clone(),
        });
        out
    }

    /// Refuses bounds with more values than the stream has key columns.
    pub fn check(&self, table: &TableData) -> Result<()> {
        let width = table.order_columns().len();
        for bound in [&self.after, &self.up_to].into_iter().flatten() {
            if bound.len() > width || bound.is_empty() {
                return Err(Error::Usage(format!(
                    "a key range of `{}` gives {} values; its key has {width} columns",
                    table.name,
                    bound.len()
                )));
            }
        }
        Ok(())
    }
}

/// The row count and the two 64-bit halves of the row hashes, each summed
/// modulo 2^64 (high half in the upper 64 bits of `hash`). Sums, unlike
/// XOR, tell apart multisets with duplicate rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checksum {
    pub rows: u64,
    pub hash: u128,
}

impl Checksum {
    /// From the row count and the two half sums.
    pub fn from_halves(rows: u64, hi: u64, lo: u64) -> Checksum {
        Checksum {
            rows,
            hash: (u128::from(hi) << 64) | u128::from(lo),
        }
    }

    fn halves(self) -> (u64, u64) {
        ((self.hash >> 64) as u64, self.hash as u64)
    }

    /// The checksum of two disjoint sets of rows together (how the
    /// checksums of a range's segments add up to the range's).
    pub fn combine(self, other: Checksum) -> Checksum {
        let (hi, lo) = self.halves();
        let (other_hi, other_lo) = other.halves();
        Checksum::from_halves(
            self.rows + other.rows,
            hi.wrapping_add(other_hi),
            lo.wrapping_add(other_lo),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_combine_by_wrapping_sums() {
        let a = Checksum::from_halves(1, u64::MAX, 1);
        let b = Checksum::from_halves(1, 2, u64::MAX);
        assert_eq!(a.combine(b), Checksum::from_halves(2, 1, 0));
    }

    #[test]
    fn a_range_splits_into_adjoining_ranges() {
        let k = |n| vec![Value::Int(n)];
        let parts = KeyRange::all().split(vec![k(10), k(20)]);
        assert_eq!(parts.len(), 3);
        assert_eq!(
            parts[0],
            KeyRange {
                after: None,
                up_to: Some(k(10))
            }
        );
        assert_eq!(
            parts[1],
            KeyRange {
                after: Some(k(10)),
                up_to: Some(k(20))
            }
        );
        assert_eq!(
            parts[2],
            KeyRange {
                after: Some(k(20)),
                up_to: None
            }
        );
    }
}
