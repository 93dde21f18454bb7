//! The engine contract over a SQLite connection. rusqlite blocks, so the
//! connection sits behind a mutex that a blocking thread borrows for a
//! long read while the async side goes on; short calls take it in place.

use std::sync::{Arc, Mutex, MutexGuard};

use super::{write, SqliteConnection};
use crate::catalog::model::{Catalog, Flavor};
use crate::data::segment::KeyRange;
use crate::data::table::TableData;
use crate::engine::{
    DataSession, DatabaseIdentity, EngineConnection, MissingPrivilege, PlannedAccess, RowSender,
    WriteError,
};
use crate::error::{Error, Result};

pub struct SharedSqlite {
    flavor: Flavor,
    conn: Arc<Mutex<SqliteConnection>>,
}

impl SharedSqlite {
    pub fn new(conn: SqliteConnection) -> Self {
        SharedSqlite {
            flavor: conn.flavor().clone(),
            conn: Arc::new(Mutex::new(conn)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SqliteConnection> {
        lock(&self.conn)
    }
}

/// A poisoned lock means a reader thread panicked; the connection itself
/// is still sound for the next statement.
fn lock(conn: &Mutex<SqliteConnection>) -> MutexGuard<'_, SqliteConnection> {
    conn.lock().unwrap_or_else(|p| p.into_inner())
}

impl EngineConnection for SharedSqlite {
    fn flavor(&self) -> &Flavor {
        &self.flavor
    }

    async fn introspect(&mut self) -> Result<Catalog> {
        self.lock().introspect()
    }

    async fn identity(&mut self) -> Result<Option<DatabaseIdentity>> {
        Ok(self.lock().identity())
    }

    async fn missing_privileges(
        &mut self,
        access: &PlannedAccess<'_>,
    ) -> Result<Vec<MissingPrivilege>> {
        Ok(self.lock().missing_privileges(access))
    }

    async fn begin_data_session(&mut self, session: DataSession) -> Result<()> {
        self.lock().prepare_data_session(session)
    }

    async fn end_data_session(&mut self) -> Result<()> {
        self.lock().finish_data_session()
    }

    /// A whole table at a time: SQLite rows are not read by key range.
    async fn stream_rows(
        &mut self,
        table: &TableData,
        range: Option<&KeyRange>,
        tx: &RowSender,
    ) -> Result<()> {
        if range.is_some() {
            return Err(Error::Refused(format!(
                "table `{}`: SQLite rows are read whole, not by key range",
                table.name
            )));
        }
        let (conn, table, sender) = (self.conn.clone(), table.clone(), tx.clone());
        tokio::task::spawn_blocking(move || lock(&conn).stream_rows(&table, &sender))
            .await
            .unwrap_or_else(|e| {
                Err(Error::database(
                    "reading rows",
                    format!("the reader thread stopped: {e}"),
                ))
            })
    }

    async fn empty_tables(&mut self, tables: &[&TableData]) -> Result<Vec<bool>> {
        let mut sqlite = self.lock();
        tables.iter().map(|table| sqlite.is_empty(table)).collect()
    }

    async fn count_rows(&mut self, table: &TableData) -> Result<u64> {
        self.lock().count_rows(table)
    }

    async fn execute_write(&mut self, statements: &[String]) -> Result<(), WriteError> {
        self.lock().execute_write(statements)
    }

    async fn execute_session(&mut self, sql: &str) -> Result<()> {
        self.lock().execute_session(sql)
    }

    async fn execute_ddl(&mut self, statements: &[String]) -> Result<()> {
        self.lock().execute_ddl(statements)
    }

    fn max_statement_bytes(&self) -> usize {
        write::MAX_STATEMENT_BYTES
    }
}
