//! Merges two key-ordered row streams (source and target) into the changes
//! that make the target equal the source: inserts, updates and deletes.
//! Memory is constant: one row of look-ahead per side.
//!
//! Without a usable key the whole row is the key, so both streams are
//! ordered by every column and the merge compares them as multisets:
//! duplicates count, and an extra copy on either side is an insert or a
//! delete.

use std::cmp::Ordering;
use std::iter::Peekable;

use super::value::{key_cmp, Row, Value};
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum RowChange {
    /// The source has the row, the target does not.
    Insert(Row),
    /// Both have the key; the source's row differs.
    Update { old: Row, new: Row },
    /// The target has the row, the source does not.
    Delete(Row),
}

/// The merge, as an iterator of changes.
pub struct RowDiff<S: Iterator<Item = Result<Row>>, T: Iterator<Item = Result<Row>>> {
    source: Peekable<S>,
    target: Peekable<T>,
    /// Column positions of the key in each row; empty means the whole row.
    key: Vec<usize>,
    table: String,
    last_source: Option<Vec<Value>>,
    last_target: Option<Vec<Value>>,
    /// The insert half of a keyless pair that sorts equal but differs.
    pending: Option<RowChange>,
}

impl<S, T> RowDiff<S, T>
where
    S: Iterator<Item = Result<Row>>,
    T: Iterator<Item = Result<Row>>,
{
    /// `key` lists the key's column positions (empty for whole-row
    /// compare); `table` names the table in errors.
    pub fn new(source: S, target: T, key: Vec<usize>, table: &str) -> Self {
        RowDiff {
            source: source.peekable(),
            target: target.peekable(),
            key,
            table: table.to_string(),
            last_source: None,
            last_target: None,
            pending: None,
        }
    }

    /// Takes the next row of one side, checking that keys only go up (a
    /// stream out of key order would make the merge wrong, so it is an
    /// error, not a silent mistake).
    fn take(&mut self, from_source: bool) -> Result<Row> {
        let next = if from_source {
            self.source.next()
        } else {
            self.target.next()
        };
        let row = next.expect("peeked")?;
        let key = key_of(&self.key, &row);
        let strict = !self.key.is_empty();
        let last = if from_source {
            &mut self.last_source
        } else {
            &mut self.last_target
        };
        if let Some(prev) = last.as_ref() {
            let order = key_cmp(prev, &key);
            if order == Ordering::Greater || (strict && order == Ordering::Equal) {
                return Err(Error::database(
                    format!("table `{}`", self.table),
                    format!(
                        "the {} returned rows out of key order (or a duplicate key); \
                         the comparison key must be unique and ordered the same way on both sides",
                        if from_source { "source" } else { "target" }
                    ),
                ));
            }
        }
        *last = Some(key);
        Ok(row)
    }
}

impl<S, T> Iterator for RowDiff<S, T>
where
    S: Iterator<Item = Result<Row>>,
    T: Iterator<Item = Result<Row>>,
{
    type Item = Result<RowChange>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(change) = self.pending.take() {
            return Some(Ok(change));
        }
        loop {
            // Errors surface as soon as they are peeked.
            if matches!(self.source.peek(), Some(Err(_)))
                || matches!(self.target.peek(), Some(Err(_)))
            {
                let from_source = matches!(self.source.peek(), Some(Err(_)));
                return Some(self.take(from_source).map(RowChange::Insert));
            }
            let order = match (self.source.peek(), self.target.peek()) {
                (None, None) => return None,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(Ok(s)), Some(Ok(t))) => compare_keys(&self.key, s, t),
                _ => unreachable!("errors handled above"),
            };
            let change = match order {
                Ordering::Less => self.take(true).map(RowChange::Insert),
                Ordering::Greater => self.take(false).map(RowChange::Delete),
                Ordering::Equal => {
                    let new = match self.take(true) {
                        Ok(r) => r,
                        Err(e) => return Some(Err(e)),
                    };
                    let old = match self.take(false) {
                        Ok(r) => r,
                        Err(e) => return Some(Err(e)),
                    };
                    if rows_equal(&old, &new) {
                        continue;
                    }
                    if self.key.is_empty() {
                        // Whole rows that sort equal yet differ (0 and -0.0):
                        // without a key there is nothing to update by.
                        self.pending = Some(RowChange::Insert(new));
                        return Some(Ok(RowChange::Delete(old)));
                    }
                    Ok(RowChange::Update { old, new })
                }
            };
            return Some(change);
        }
    }
}

/// The key values of a row (the whole row when `key` is empty).
fn key_of(key: &[usize], row: &Row) -> Vec<Value> {
    if key.is_empty() {
        row.clone()
    } else {
        key.iter().map(|&i| row[i].clone()).collect()
    }
}

/// Compares two rows by their keys without copying values.
fn compare_keys(key: &[usize], a: &Row, b: &Row) -> Ordering {
    if key.is_empty() {
        return key_cmp(a, b);
    }
    key.iter()
        .map(|&i| a[i].key_cmp(&b[i]))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

/// Exact equality of two rows, value by value ([`Value::same_as`]: -0.0
/// differs from 0.0, NaN payloads count, as the stored bytes do).
pub fn rows_equal(a: &Row, b: &Row) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn rows(map: &BTreeMap<i64, i64>) -> Vec<Row> {
        map.iter()
            .map(|(k, v)| vec![Value::Int(*k), Value::Int(*v)])
            .collect()
    }

    fn apply(target: &mut BTreeMap<i64, i64>, change: RowChange) {
        let kv = |r: &Row| match (&r[0], &r[1]) {
            (Value::Int(k), Value::Int(v)) => (*k, *v),
            _ => unreachable!(),
        };
        match change {
            RowChange::Insert(r) => {
                let (k, v) = kv(&r);
                assert!(target.insert(k, v).is_none(), "insert of an existing key");
            }
            RowChange::Update { old, new } => {
                assert_eq!(old[0], new[0]);
                let (k, v) = kv(&new);
                assert!(target.insert(k, v).is_some(), "update of a missing key");
            }
            RowChange::Delete(r) => {
                assert!(
                    target.remove(&kv(&r).0).is_some(),
                    "delete of a missing key"
                );
            }
        }
    }

    proptest! {
        /// Against an in-memory oracle: applying the diff to the target
        /// gives the source, and the number of changes is minimal.
        #[test]
        fn keyed_merge_makes_target_equal_source(
            source in prop::collection::btree_map(-50i64..50, 0i64..4, 0..40),
            target in prop::collection::btree_map(-50i64..50, 0i64..4, 0..40),
        ) {
            let s = rows(&source).into_iter().map(Ok);
            let t = rows(&target).into_iter().map(Ok);
            let changes: Vec<RowChange> = RowDiff::new(s, t, vec![0], "t").map(|c| c.unwrap()).collect();
            let expected = source.keys().filter(|k| target.get(k) != source.get(k)).count()
                + target.keys().filter(|k| !source.contains_key(k)).count();
            prop_assert_eq!(changes.len(), expected);
            let mut result = target.clone();
            for c in changes { apply(&mut result, c); }
            prop_assert_eq!(result, source);
        }

        /// Whole-row compare of multisets (no key): duplicates count.
        #[test]
        fn keyless_merge_matches_multisets(
            mut source in prop::collection::vec((0i64..5, 0i64..3), 0..30),
            mut target in prop::collection::vec((0i64..5, 0i64..3), 0..30),
        ) {
            source.sort();
            target.sort();
            let to_rows = |v: &Vec<(i64, i64)>| v.iter().map(|(a, b)| Ok(vec![Value::Int(*a), Value::Int(*b)])).collect::<Vec<_>>();
            let changes: Vec<RowChange> = RowDiff::new(to_rows(&source).into_iter(), to_rows(&target).into_iter(), vec![], "t")
                .map(|c| c.unwrap()).collect();
            let mut bag: BTreeMap<(i64, i64), i64> = BTreeMap::new();
            for r in &target { *bag.entry(*r).or_default() += 1; }
            for c in changes {
                let pair = |r: &Row| match (&r[0], &r[1]) { (Value::Int(a), Value::Int(b)) => (*a, *b), _ => unreachable!() };
                match c {
                    RowChange::Insert(r) => *bag.entry(pair(&r)).or_default() += 1,
                    RowChange::Delete(r) => *bag.entry(pair(&r)).or_default() -= 1,
                    RowChange::Update { .. } => prop_assert!(false, "no updates without a key"),
                }
            }
            bag.retain(|_, n| *n != 0);
            let mut want: BTreeMap<(i64, i64), i64> = BTreeMap::new();
            for r in &source { *want.entry(*r).or_default() += 1; }
            prop_assert_eq!(bag, want);
        }
    }

    #[test]
    fn out_of_order_input_is_an_error() {
        let s = vec![Ok(vec![Value::Int(2)]), Ok(vec![Value::Int(1)])].into_iter();
        let t = Vec::<Result<Row>>::new().into_iter();
        let result: Result<Vec<RowChange>> = RowDiff::new(s, t, vec![0], "orders").collect();
        let err = result.unwrap_err().to_string();
        assert!(
            err.contains("orders") && err.contains("out of key order"),
            "{err}"
        );
    }
}
