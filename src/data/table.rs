//! What the data phase reads and writes of one table: its stored columns,
//! the comparison key, and the unique keys whose values can move between
//! rows. Built from the catalog (and the config's key override); engines
//! read and write tables through it.

use crate::catalog::model::{IndexKind, SqlType, Table};
use crate::data::value::{Row, Value};
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct DataColumn {
    pub name: String,
    pub sql_type: SqlType,
    /// The engine's own spelling of the type (`bigint(20) unsigned`).
    pub data_type: String,
    pub nullable: bool,
}

/// Where the comparison key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    PrimaryKey,
    /// A unique index whose columns are all NOT NULL.
    UniqueIndex(String),
    /// `[tables.<name>] key = [...]` in the config.
    Configured,
    /// No usable key: rows are compared whole, as a multiset.
    WholeRow,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableData {
    pub name: String,
    /// Stored columns in table order; generated columns are never read or
    /// written (the target computes them).
    pub columns: Vec<DataColumn>,
    /// Positions in `columns` of the comparison key, in key order; empty
    /// when rows are compared whole.
    pub key: Vec<usize>,
    pub key_source: KeySource,
    /// Unique indexes other than the key, as positions in `columns`: rows
    /// whose values in one of them change may collide with each other.
    pub unique_keys: Vec<Vec<usize>>,
    /// The rows are its partitions' (a partitioned table): read and
    /// written through it. Any other table's rows are its own alone (an
    /// inheritance parent's without its children's).
    pub partitioned: bool,
}

impl TableData {
    /// The data view of a table; `configured_key` is the config's key
    /// override for it, if any.
    pub fn new(table: &Table, configured_key: Option<&[String]>) -> Result<TableData> {
        let columns: Vec<DataColumn> = table
            .columns
            .iter()
            .filter(|c| c.generated.is_none())
            .map(|c| DataColumn {
                name: c.name.clone(),
                sql_type: c.sql_type.clone(),
                data_type: c.data_type.clone(),
                nullable: c.nullable,
            })
            .collect();
        let position = |name: &str| columns.iter().position(|c| c.name == name);
        // Every part must be a whole stored column (no prefix, no expression).
        let positions = |index: &crate::catalog::model::Index| -> Option<Vec<usize>> {
            index
                .parts
                .iter()
                .map(|p| match (&p.column, p.prefix) {
                    (Some(name), None) => position(name),
                    _ => None,
                })
                .collect()
        };

        let (key, key_source) = if let Some(names) = configured_key {
            let mut key = Vec::with_capacity(names.len());
            for name in names {
                key.push(position(name).ok_or_else(|| {
                    Error::Usage(format!(
                        "tables.{}.key names column `{name}`, which table `{}` does not have as a stored column",
                        table.name, table.name
                    ))
                })?);
            }
            (key, KeySource::Configured)
        } else if let Some(pk) = table.primary_key.as_ref().and_then(positions) {
            (pk, KeySource::PrimaryKey)
        } else if let Some((index, key)) = table
            .indexes
            .iter()
            .filter(|i| i.kind == IndexKind::Unique && i.predicate.is_none())
            .filter_map(|i| positions(i).map(|k| (i, k)))
            .find(|(_, k)| k.iter().all(|&p| !columns[p].nullable))
        {
            (key, KeySource::UniqueIndex(index.name.clone()))
        } else {
            (Vec::new(), KeySource::WholeRow)
        };

        let unique_keys = table
            .indexes
            .iter()
            .filter(|i| i.kind == IndexKind::Unique)
            .filter_map(|i| {
                // Prefix or expression parts: watch every column the index names.
                let cols: Vec<usize> = i
                    .parts
                    .iter()
                    .filter_map(|p| p.column.as_deref().and_then(position))
                    .collect();
                (!cols.is_empty() && cols != key).then_some(cols)
            })
            .collect();

        Ok(TableData {
            name: table.name.clone(),
            columns,
            key,
            key_source,
            unique_keys,
            partitioned: table.options.partitioning.is_some(),
        })
    }

    /// The row's key values, owned (the whole row without a key): all a
    /// delete needs, and a fraction of the row to keep.
    pub fn into_key(&self, mut row: Row) -> Row {
        if self.key.is_empty() {
            return row;
        }
        self.key
            .iter()
            .map(|&i| std::mem::replace(&mut row[i], Value::Null))
            .collect()
    }

    /// A row holding `key` (as `into_key` gives it) and NULL elsewhere.
    pub fn row_of_key(&self, key: Row) -> Row {
        if self.key.is_empty() {
            return key;
        }
        let mut row = vec![Value::Null; self.columns.len()];
        for (&i, value) in self.key.iter().zip(key) {
            row[i] = value;
        }
        row
    }

    /// Positions of the columns rows are ordered by: the key, or every
    /// column without one.
    pub fn order_columns(&self) -> Vec<usize> {
        if self.key.is_empty() {
            (0..self.columns.len()).collect()
        } else {
            self.key.clone()
        }
    }

    /// The key values of a row (the whole row without a key).
    pub fn key_of<'a>(
        &self,
        row: &'a [crate::data::value::Value],
    ) -> Vec<&'a crate::data::value::Value> {
        if self.key.is_empty() {
            row.iter().collect()
        } else {
            self.key.iter().map(|&i| &row[i]).collect()
        }
    }

    /// The key, for messages: `id=42` or `(a, b)=(1, 'x')`.
    pub fn describe_key(&self, row: &[crate::data::value::Value]) -> String {
        let names: Vec<&str> = if self.key.is_empty() {
            self.columns.iter().map(|c| c.name.as_str()).collect()
        } else {
            self.key
                .iter()
                .map(|&i| self.columns[i].name.as_str())
                .collect()
        };
        let values: Vec<String> = self.key_of(row).iter().map(|v| v.to_string()).collect();
        if names.len() == 1 {
            format!("{}={}", names[0], values[0])
        } else {
            format!("({})=({})", names.join(", "), values.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(key: Vec<usize>) -> TableData {
        let column = |name: &str| DataColumn {
            name: name.to_string(),
            sql_type: SqlType::Integer {
                bytes: 4,
                unsigned: false,
            },
            data_type: "int".to_string(),
            nullable: true,
        };
        TableData {
            name: "t".to_string(),
            columns: vec![column("a"), column("b"), column("c")],
            key,
            key_source: KeySource::PrimaryKey,
            unique_keys: Vec::new(),
            partitioned: false,
        }
    }

    #[test]
    fn a_key_kept_alone_widens_back_to_a_row_with_that_key() {
        let row = vec![Value::Int(1), Value::Int(2), Value::Int(3)];
        let composite = table(vec![2, 0]);
        let key = composite.into_key(row.clone());
        assert_eq!(key, vec![Value::Int(3), Value::Int(1)]);
        assert_eq!(
            composite.row_of_key(key),
            vec![Value::Int(1), Value::Null, Value::Int(3)]
        );
        // Without a key the whole row is what identifies it.
        let keyless = table(Vec::new());
        assert_eq!(keyless.row_of_key(keyless.into_key(row.clone())), row);
    }
}
