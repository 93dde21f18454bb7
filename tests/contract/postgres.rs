//! The PostgreSQL fixture: the contract's tables in PostgreSQL's words
//! (case-insensitive text through a nondeterministic ICU collation), rows
//! inserted as bound parameters and read back with the binary protocol
//! (exact floats, text told from bytea by the column's type).

use lockstep::data::value::{Row, Value};
use tokio_postgres::types::{ToSql, Type};

use super::{sorted, Fixture, Refusal, Table, WriteErrorKind};
use crate::common::{pg_client, run_blocking, PgDb};

impl Fixture for PgDb {
    fn fresh(prefix: &str) -> Self {
        PgDb::new(prefix)
    }

    fn url(&self) -> String {
        PgDb::url(self)
    }

    fn exec(&self, sql: &str) {
        PgDb::exec(self, sql)
    }

    fn ddl(table: Table) -> &'static str {
        match table {
            Table::Values => {
                "CREATE TABLE vals (id integer PRIMARY KEY, n bigint, d double precision,
                     s text, b bytea)"
            }
            Table::Pairs => {
                "CREATE COLLATION IF NOT EXISTS ci
                     (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
                 CREATE TABLE pairs (a varchar(10) COLLATE ci NOT NULL, b integer NOT NULL,
                     v varchar(20), PRIMARY KEY (a, b))"
            }
            Table::Words => {
                "CREATE COLLATION IF NOT EXISTS ci
                     (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
                 CREATE TABLE words (w varchar(10) COLLATE ci PRIMARY KEY, n integer)"
            }
            Table::Bag => {
                "CREATE COLLATION IF NOT EXISTS ci
                     (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
                 CREATE TABLE bag (n integer, s varchar(10) COLLATE ci, d double precision,
                     bl bytea);
                 CREATE INDEX bag_s ON bag (s)"
            }
            Table::Family => {
                "CREATE TABLE parent (id integer PRIMARY KEY);
                 CREATE TABLE child (id integer PRIMARY KEY, pid integer, email varchar(20),
                     CONSTRAINT fk_child_parent FOREIGN KEY (pid) REFERENCES parent (id));
                 CREATE UNIQUE INDEX u_email ON child (email)"
            }
            Table::Numbers => "CREATE TABLE nums (id integer PRIMARY KEY, v text)",
            Table::Triggered => {
                "CREATE TABLE t (id integer PRIMARY KEY);
                 CREATE TABLE audit (id integer);
                 CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                     INSERT INTO audit VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
                     RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
                 END $$;
                 CREATE TRIGGER t_ins AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION audit_row();
                 CREATE TRIGGER t_del BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION audit_row()"
            }
            Table::UniqueIndex => {
                "CREATE TABLE u (code varchar(10) NOT NULL, v text, n integer);
                 CREATE UNIQUE INDEX uk ON u (code)"
            }
        }
    }

    fn insert(&self, table: &str, rows: &[Row]) {
        let (db, table, rows) = (self.name.clone(), table.to_string(), rows.to_vec());
        run_blocking(async move {
            let client = pg_client(&db).await;
            client.batch_execute("BEGIN").await.unwrap();
            for row in &rows {
                // Each value's own type, cast to the column's on insert.
                let mut bound = 0;
                let placeholders: Vec<String> = row
                    .iter()
                    .map(|v| match param_type(v) {
                        Some(ty) => {
                            bound += 1;
                            format!("${bound}::{ty}")
                        }
                        None => "NULL".to_string(),
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO \"{table}\" VALUES ({})",
                    placeholders.join(", ")
                );
                let params: Vec<Box<dyn ToSql + Sync + Send>> =
                    row.iter().filter_map(param).collect();
                let refs: Vec<&(dyn ToSql + Sync)> = params
                    .iter()
                    .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                client
                    .execute(sql.as_str(), &refs)
                    .await
                    .unwrap_or_else(|e| panic!("{e:?}\n{sql}\n{row:?}"));
            }
            client.batch_execute("COMMIT").await.unwrap();
        });
    }

    fn read_back(&self, table: &str) -> Vec<Row> {
        let (db, sql) = (self.name.clone(), format!("SELECT * FROM \"{table}\""));
        sorted(run_blocking(async move {
            let client = pg_client(&db).await;
            let rows = client
                .query(sql.as_str(), &[])
                .await
                .unwrap_or_else(|e| panic!("{e}\n{sql}"));
            rows.iter()
                .map(|row| (0..row.len()).map(|i| value(row, i)).collect::<Row>())
                .collect()
        }))
    }

    fn count(&self, table: &str) -> usize {
        self.query(&format!("SELECT count(*) FROM \"{table}\""))[0][0]
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
            Refusal::Orphan | Refusal::Parent => (foreign_key, "SQLSTATE 23503"),
            Refusal::Email => (duplicate("u_email"), "SQLSTATE 23505"),
            Refusal::Id => (duplicate("child_pkey"), "SQLSTATE 23505"),
        }
    }
}

/// The type a value is bound as; NULL is written as a literal.
fn param_type(value: &Value) -> Option<&'static str> {
    match value {
        Value::Null => None,
        Value::Int(_) => Some("bigint"),
        Value::Double(_) => Some("double precision"),
        Value::Text(_) => Some("text"),
        Value::Bytes(_) => Some("bytea"),
        other => panic!("the contract's tables hold no {other:?}"),
    }
}

/// A value as a bound parameter of its own type (none for NULL).
fn param(value: &Value) -> Option<Box<dyn ToSql + Sync + Send>> {
    Some(match value {
        Value::Null => return None,
        Value::Int(v) => Box::new(*v),
        Value::Double(v) => Box::new(*v),
        Value::Text(v) => Box::new(String::from_utf8(v.clone()).unwrap()),
        Value::Bytes(v) => Box::new(v.clone()),
        other => panic!("the contract's tables hold no {other:?}"),
    })
}

/// Column `i` of a row, by its type.
fn value(row: &tokio_postgres::Row, i: usize) -> Value {
    let ty = row.columns()[i].type_().clone();
    let or_null = |v: Option<Value>| v.unwrap_or(Value::Null);
    match ty {
        Type::INT4 => or_null(row.get::<_, Option<i32>>(i).map(|v| Value::Int(v.into()))),
        Type::INT8 => or_null(row.get::<_, Option<i64>>(i).map(Value::Int)),
        Type::FLOAT8 => or_null(row.get::<_, Option<f64>>(i).map(Value::Double)),
        Type::TEXT | Type::VARCHAR => or_null(
            row.get::<_, Option<String>>(i)
                .map(|s| Value::Text(s.into_bytes())),
        ),
        Type::BYTEA => or_null(row.get::<_, Option<Vec<u8>>>(i).map(Value::Bytes)),
        other => panic!("the contract's tables hold no {other}"),
    }
}
