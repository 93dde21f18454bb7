//! The SQLite fixture: the contract's tables in SQLite's words, rows
//! inserted as bound values and read back by storage class (the integer
//! 1, the real 1.0, the text '1' and the blob x'31' stay four values).

use lockstep::data::value::{Row, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::ToSql;

use super::{sorted, Fixture, Refusal, Table, WriteErrorKind};
use crate::common::SqliteDb;

impl Fixture for SqliteDb {
    fn fresh(prefix: &str) -> Self {
        SqliteDb::new(prefix)
    }

    fn url(&self) -> String {
        SqliteDb::url(self)
    }

    fn exec(&self, sql: &str) {
        SqliteDb::exec(self, sql)
    }

    fn ddl(table: Table) -> &'static str {
        match table {
            Table::Values => {
                "CREATE TABLE vals (id INTEGER PRIMARY KEY, n INTEGER, d REAL, s TEXT, b BLOB)"
            }
            Table::Pairs => {
                "CREATE TABLE pairs (a TEXT COLLATE NOCASE NOT NULL, b INTEGER NOT NULL, v TEXT,
                     PRIMARY KEY (a, b)) WITHOUT ROWID"
            }
            Table::Words => "CREATE TABLE words (w TEXT COLLATE NOCASE PRIMARY KEY, n INTEGER)",
            Table::Bag => {
                "CREATE TABLE bag (n INTEGER, s TEXT COLLATE NOCASE, d REAL, bl BLOB);
                 CREATE INDEX bag_s ON bag (s)"
            }
            Table::Family => {
                "CREATE TABLE parent (id INTEGER PRIMARY KEY);
                 CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER, email TEXT,
                     CONSTRAINT fk_child_parent FOREIGN KEY (pid) REFERENCES parent (id));
                 CREATE UNIQUE INDEX u_email ON child (email)"
            }
            Table::Numbers => "CREATE TABLE nums (id INTEGER PRIMARY KEY, v TEXT)",
            Table::Triggered => {
                "CREATE TABLE t (id INTEGER PRIMARY KEY);
                 CREATE TABLE audit (id INTEGER);
                 CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO audit VALUES (new.id); END;
                 CREATE TRIGGER t_del AFTER DELETE ON t BEGIN INSERT INTO audit VALUES (old.id); END;"
            }
            Table::UniqueIndex => {
                "CREATE TABLE u (code TEXT NOT NULL, v TEXT, n INTEGER);
                 CREATE UNIQUE INDEX uk ON u (code)"
            }
        }
    }

    fn insert(&self, table: &str, rows: &[Row]) {
        let Some(first) = rows.first() else { return };
        let mut c = rusqlite::Connection::open(&self.path).unwrap();
        let tx = c.transaction().unwrap();
        let sql = format!(
            "INSERT INTO \"{table}\" VALUES ({})",
            vec!["?"; first.len()].join(", ")
        );
        {
            let mut insert = tx.prepare(&sql).unwrap();
            for row in rows {
                insert
                    .execute(rusqlite::params_from_iter(row.iter().map(Param)))
                    .unwrap_or_else(|e| panic!("{e}\n{sql}\n{row:?}"));
            }
        }
        tx.commit().unwrap();
    }

    fn read_back(&self, table: &str) -> Vec<Row> {
        let c = rusqlite::Connection::open(&self.path).unwrap();
        let mut select = c.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let width = select.column_count();
        let rows = select
            .query_map([], |r| {
                (0..width)
                    .map(|i| Ok(value(r.get_ref(i)?)))
                    .collect::<rusqlite::Result<Row>>()
            })
            .unwrap();
        sorted(rows.map(Result::unwrap).collect())
    }

    fn count(&self, table: &str) -> usize {
        let c = rusqlite::Connection::open(&self.path).unwrap();
        c.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
            r.get(0)
        })
        .unwrap()
    }

    fn allow_writes_during_reads(&self) {
        SqliteDb::exec(self, "PRAGMA journal_mode=WAL");
    }

    fn refusal(refusal: Refusal) -> (WriteErrorKind, &'static str) {
        // SQLite names neither foreign keys nor indexes; a unique
        // violation names the columns instead.
        let foreign_key = WriteErrorKind::ForeignKey { constraint: None };
        let duplicate = |columns: &str| WriteErrorKind::Duplicate {
            index: Some(columns.into()),
        };
        match refusal {
            Refusal::Orphan | Refusal::Parent => (foreign_key, "FOREIGN KEY constraint failed"),
            Refusal::Email => (duplicate("child.email"), "UNIQUE constraint failed"),
            Refusal::Id => (duplicate("child.id"), "UNIQUE constraint failed"),
        }
    }
}

/// A value bound in its own storage class.
struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Double(v) => ValueRef::Real(*v),
            Value::Text(v) => ValueRef::Text(v),
            Value::Bytes(v) => ValueRef::Blob(v),
            other => panic!("SQLite stores no {other:?}"),
        }))
    }
}

/// A stored value by its storage class.
fn value(stored: ValueRef<'_>) -> Value {
    match stored {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(v) => Value::Int(v),
        ValueRef::Real(v) => Value::Double(v),
        ValueRef::Text(v) => Value::Text(v.to_vec()),
        ValueRef::Blob(v) => Value::Bytes(v.to_vec()),
    }
}
