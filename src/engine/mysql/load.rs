//! Bulk loads into a MySQL/MariaDB table that started empty: `LOAD DATA
//! LOCAL INFILE` fed from memory, a batch at a time or a whole table as
//! its rows stream in, with unique checks off (as mysqldump's files load)
//! and every warning refused like any other write.

use std::sync::{Arc, Mutex};

use mysql_async::prelude::Queryable;

use super::{execute, write, MySqlConnection};
use crate::data::table::TableData;
use crate::data::value::Row;
use crate::engine::{BulkLoad, RowReceiver};
use crate::error::{Error, Result};

/// Loads rows from memory in one `LOAD DATA LOCAL INFILE`.
pub(super) async fn rows(conn: &mut MySqlConnection, table: &TableData, rows: &[Row]) -> BulkLoad {
    let mut file = Vec::new();
    write::load_data_rows(&mut file, &table.columns, rows);
    let data = bytes::Bytes::from(file);
    let sql = write::load_data_sql(&conn.flavor, table);
    load(conn, &sql, async move {
        let stream: mysql_async::InfileData = Box::pin(OneChunk(Some(data)));
        Ok(stream)
    })
    .await
}

/// Loads a whole table, empty now, in one `LOAD DATA LOCAL INFILE` fed
/// from `rows` as they arrive (memory stays at a few chunks). With FK
/// checks off too (the caller's part), MariaDB fills an empty table in
/// bulk: each index built by one sort, not a B-tree insert per row. One
/// transaction: on failure nothing is kept. A read error that arrives on
/// `rows` is returned as the error.
pub(super) async fn stream(
    conn: &mut MySqlConnection,
    table: &TableData,
    rows: RowReceiver,
) -> Result<BulkLoad> {
    let read_error: Arc<Mutex<Option<Error>>> = Arc::default();
    let slot = read_error.clone();
    let columns = table.columns.clone();
    let sql = write::load_data_sql(&conn.flavor, table);
    let outcome = load(conn, &sql, async move {
        // The state ends (None) after a read error: nothing follows it.
        let state = Some((rows, columns, slot));
        let file = futures_util::stream::unfold(state, |state| async move {
            let (mut rows, columns, slot) = state?;
            match rows.recv().await? {
                Ok(chunk) => {
                    let mut file = Vec::new();
                    write::load_data_rows(&mut file, &columns, &chunk);
                    Some((Ok(bytes::Bytes::from(file)), Some((rows, columns, slot))))
                }
                Err(e) => {
                    let failed = std::io::Error::other(e.to_string());
                    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    Some((Err(failed), None))
                }
            }
        });
        let stream: mysql_async::InfileData = Box::pin(file);
        Ok(stream)
    })
    .await;
    let failed_read = read_error.lock().unwrap_or_else(|p| p.into_inner()).take();
    match failed_read {
        Some(e) => Err(e),
        None => Ok(outcome),
    }
}

/// Runs one `LOAD DATA LOCAL INFILE` reading `data`, in a transaction,
/// with unique checks off (the rows come from a table whose own unique
/// indexes vouch for them) and back on after, also after a failure. A
/// server that refuses local files is not asked again.
async fn load(
    conn: &mut MySqlConnection,
    sql: &str,
    data: impl std::future::Future<Output = mysql_async::Result<mysql_async::InfileData>>
        + Send
        + Sync
        + 'static,
) -> BulkLoad {
    if !conn.local_infile {
        return BulkLoad::Unavailable;
    }
    if let Err(e) = conn.conn.query_drop("SET unique_checks = 0").await {
        return BulkLoad::Refused(write::write_error(&conn.flavor, &e));
    }
    conn.conn.set_infile_handler(data);
    let outcome = execute::write_rows(
        &mut conn.conn,
        &conn.flavor,
        conn.max_allowed_packet,
        &[sql.to_string()],
    )
    .await;
    if let Err(e) = conn.conn.query_drop("SET unique_checks = 1").await {
        return BulkLoad::Refused(write::write_error(&conn.flavor, &e));
    }
    match outcome {
        Ok(()) => BulkLoad::Loaded,
        // 1148 / 3948 / 4166: local files are turned off on one side.
        Err(e)
            if e.message.contains("1148")
                || e.message.contains("3948")
                || e.message.contains("4166") =>
        {
            conn.local_infile = false;
            BulkLoad::Unavailable
        }
        Err(e) => BulkLoad::Refused(e),
    }
}

/// A stream of one chunk of bytes: the in-memory file of a `LOAD DATA
/// LOCAL INFILE`.
struct OneChunk(Option<bytes::Bytes>);

impl futures_core::Stream for OneChunk {
    type Item = std::io::Result<bytes::Bytes>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.take().map(Ok))
    }
}
