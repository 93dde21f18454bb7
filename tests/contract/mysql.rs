//! The MySQL/MariaDB fixture: the contract's tables in MySQL's words, rows
//! inserted and read back with the binary protocol (exact floats, text
//! told from bytes by the column's character set).

use lockstep::data::value::{Row, Value};
use mysql_async::prelude::Queryable;
use mysql_async::Value as MyValue;

use super::{sorted, Fixture, Refusal, Table, WriteErrorKind};
use crate::common::{run_blocking, MyDb};

/// MySQL's number of the `binary` character set.
const BINARY: u16 = 63;

/// Rows per native INSERT (far below the 65535 placeholders a statement
/// may have).
const INSERT_ROWS: usize = 500;

impl Fixture for MyDb {
    fn fresh(prefix: &str) -> Self {
        MyDb::new(prefix)
    }

    fn url(&self) -> String {
        MyDb::url(self)
    }

    fn exec(&self, sql: &str) {
        MyDb::exec(self, sql)
    }

    fn ddl(table: Table) -> &'static str {
        match table {
            Table::Values => {
                "CREATE TABLE vals (id INT NOT NULL PRIMARY KEY, n BIGINT, d DOUBLE,
                     s TEXT CHARACTER SET utf8mb4, b BLOB)"
            }
            Table::Pairs => {
                "CREATE TABLE pairs (
                     a VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
                     b INT NOT NULL, v VARCHAR(20) CHARACTER SET utf8mb4, PRIMARY KEY (a, b))"
            }
            Table::Words => {
                "CREATE TABLE words (
                     w VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci PRIMARY KEY,
                     n INT)"
            }
            Table::Bag => {
                "CREATE TABLE bag (n INT,
                     s VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci,
                     d DOUBLE, bl BLOB, KEY (s))"
            }
            Table::Family => {
                "CREATE TABLE parent (id INT PRIMARY KEY);
                 CREATE TABLE child (id INT PRIMARY KEY, pid INT,
                     email VARCHAR(20) CHARACTER SET utf8mb4,
                     UNIQUE KEY u_email (email),
                     CONSTRAINT fk_child_parent FOREIGN KEY (pid) REFERENCES parent (id))"
            }
            Table::Numbers => {
                "CREATE TABLE nums (id INT NOT NULL PRIMARY KEY,
                     v VARCHAR(20) CHARACTER SET utf8mb4)"
            }
            Table::Triggered => {
                "CREATE TABLE t (id INT PRIMARY KEY);
                 CREATE TABLE audit (id INT);
                 CREATE TRIGGER t_ins AFTER INSERT ON t FOR EACH ROW INSERT INTO audit VALUES (NEW.id);
                 CREATE TRIGGER t_del BEFORE DELETE ON t FOR EACH ROW INSERT INTO audit VALUES (OLD.id)"
            }
            Table::UniqueIndex => {
                "CREATE TABLE u (code VARCHAR(10) CHARACTER SET utf8mb4 NOT NULL,
                     v TEXT CHARACTER SET utf8mb4, n INT, UNIQUE KEY uk (code))"
            }
        }
    }

    fn insert(&self, table: &str, rows: &[Row]) {
        let batches: Vec<(String, Vec<MyValue>)> = rows
            .chunks(INSERT_ROWS)
            .map(|batch| {
                let tuple = format!("({})", vec!["?"; batch[0].len()].join(", "));
                let sql = format!(
                    "INSERT INTO `{table}` VALUES {}",
                    vec![tuple; batch.len()].join(", ")
                );
                (sql, batch.iter().flatten().map(param).collect())
            })
            .collect();
        let url = MyDb::url(self);
        run_blocking(async move {
            let mut c = mysql_async::Conn::from_url(url).await.unwrap();
            for (sql, params) in batches {
                c.exec_drop(&sql, params)
                    .await
                    .unwrap_or_else(|e| panic!("{e}\n{sql}"));
            }
            c.disconnect().await.unwrap();
        });
    }

    fn read_back(&self, table: &str) -> Vec<Row> {
        let url = MyDb::url(self);
        let sql = format!("SELECT * FROM `{table}`");
        sorted(run_blocking(async move {
            let mut c = mysql_async::Conn::from_url(url).await.unwrap();
            let rows: Vec<mysql_async::Row> = c
                .exec(&sql, ())
                .await
                .unwrap_or_else(|e| panic!("{e}\n{sql}"));
            c.disconnect().await.unwrap();
            rows.into_iter()
                .map(|row| {
                    let binary: Vec<bool> = row
                        .columns_ref()
                        .iter()
                        .map(|c| c.character_set() == BINARY)
                        .collect();
                    row.unwrap()
                        .into_iter()
                        .zip(binary)
                        .map(|(v, binary)| value(v, binary))
                        .collect()
                })
                .collect()
        }))
    }

    fn count(&self, table: &str) -> usize {
        self.query(&format!("SELECT COUNT(*) FROM `{table}`"))[0][0]
            .as_deref()
            .unwrap()
            .parse()
            .unwrap()
    }

    fn allow_writes_during_reads(&self) {}

    fn refusal(refusal: Refusal) -> (WriteErrorKind, &'static str) {
        let foreign_key = WriteErrorKind::ForeignKey {
            constraint: Some("fk_child_parent".into()),
        };
        let duplicate = |index: &str| WriteErrorKind::Duplicate {
            index: Some(index.into()),
        };
        match refusal {
            Refusal::Orphan => (foreign_key, "1452"),
            Refusal::Parent => (foreign_key, "1451"),
            Refusal::Email => (duplicate("u_email"), "1062"),
            Refusal::Id => (duplicate("PRIMARY"), "1062"),
        }
    }
}

/// A value as a bound parameter of the binary protocol.
fn param(value: &Value) -> MyValue {
    match value {
        Value::Null => MyValue::NULL,
        Value::Int(v) => MyValue::Int(*v),
        Value::Double(v) => MyValue::Double(*v),
        Value::Text(v) | Value::Bytes(v) => MyValue::Bytes(v.clone()),
        other => panic!("the contract's tables hold no {other:?}"),
    }
}

/// A value of the binary protocol; strings are bytes in a binary column,
/// text otherwise.
fn value(value: MyValue, binary: bool) -> Value {
    match value {
        MyValue::NULL => Value::Null,
        MyValue::Int(v) => Value::Int(v),
        MyValue::Double(v) => Value::Double(v),
        MyValue::Bytes(v) if binary => Value::Bytes(v),
        MyValue::Bytes(v) => Value::Text(v),
        other => panic!("the contract's tables hold no {other:?}"),
    }
}
