//! PostgreSQL: the engine contract over one `tokio-postgres` session.
//!
//! - `connect`: URL parameters, the session settings for exact values, a
//!   read-only session for a source or a target that is not written.
//! - `introspect`, `types`: every schema the user made into the neutral
//!   model, each object named by `names` (bare in the current schema,
//!   `schema.name` in another).
//! - `user_types`: enums, domains, composite and range types: read,
//!   created, changed, and the rows an enum rebuild would refuse.
//! - `dialect`, `ddl`, `write`: SQL text for schema changes and rows.
//! - `rows`, `checksum`: streaming by key range through a cursor,
//!   server-side checksums and split points.
//! - `sizes`: the tables' size estimates, read with the schema.
//! - `execute`, `load`: row writes, DDL, `COPY` bulk loads.
//! - `restate`: the target's own print of a source definition, so the
//!   same CHECK or view compares equal.
//!
//! A source reads inside one `REPEATABLE READ READ ONLY` transaction;
//! more source connections join its snapshot through
//! `pg_export_snapshot()` and `SET TRANSACTION SNAPSHOT`.

mod checksum;
mod comments;
mod connect;
pub mod ddl;
mod dialect;
mod execute;
mod extensions;
mod grants;
pub mod introspect;
mod load;
mod names;
mod restate;
mod row_security;
mod rows;
mod schemas;
mod sequences;
mod sizes;
mod tls;
mod transient;
pub mod types;
mod user_types;
pub mod write;

pub use connect::SESSION_SETTINGS;
pub use dialect::PostgresDialect;

use std::collections::BTreeMap;

use futures_util::future::try_join_all;
use tokio_postgres::Client;

use crate::catalog::change::SchemaChange;
use crate::catalog::model::{Catalog, Flavor, ForeignKey, SqlType};
use crate::data::segment::{Checksum, KeyRange};
use crate::data::table::{DataColumn, TableData};
use crate::data::value::{Row, Value};
use crate::engine::{
    BulkLoad, ConnectOptions, DataSession, DatabaseIdentity, EngineConnection, Link, Role,
    RowReceiver, RowSender, SharedSnapshot, TableSize, WriteError,
};
use crate::error::{Error, Result};
use crate::url::ServerUrl;
use connect::error_text;
use names::relation;
use types::{quote_ident, quote_text};

/// Statements are kept this small (the server takes up to 1 GiB).
const MAX_STATEMENT_BYTES: usize = 16 << 20;

const SNAPSHOT_BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// PostgreSQL takes a transaction's snapshot at its first statement, not
/// at BEGIN: this one pins it.
const PIN_SNAPSHOT: &str = "SELECT 1";

pub struct PgConnection {
    client: Client,
    flavor: Flavor,
    /// Where this session came from, to open more like it.
    server: ServerUrl,
    options: ConnectOptions,
    role: Role,
    /// Inside the source's snapshot transaction.
    in_snapshot: bool,
    /// The round trip, as the first session to this server measured it.
    link: Link,
    /// The tables' size estimates as read with the schema (see `sizes`).
    sizes: BTreeMap<String, TableSize>,
}

impl PgConnection {
    pub async fn open(server: &ServerUrl, options: &ConnectOptions, role: Role) -> Result<Self> {
        Self::open_with(server, options, role, None).await
    }

    /// `open`, with the link as the first session measured it (`None`:
    /// measure it).
    async fn open_with(
        server: &ServerUrl,
        options: &ConnectOptions,
        role: Role,
        known: Option<Link>,
    ) -> Result<Self> {
        let (client, flavor, link) = connect::connect(server, options, role, known).await?;
        Ok(PgConnection {
            client,
            flavor,
            link,
            server: server.clone(),
            options: options.clone(),
            role,
            in_snapshot: false,
            sizes: BTreeMap::new(),
        })
    }

    /// A transient error of this connection tagged with its side and
    /// server (see `Error::located`).
    fn located(&self, error: Error) -> Error {
        error.located(self.role.as_str(), || format!("postgres://{}", self.server))
    }

    /// Another session to the same database, for the same side.
    async fn open_sibling(&self) -> Result<Self> {
        Self::open_with(&self.server, &self.options, self.role, Some(self.link)).await
    }

    /// One text value of a query's only row, if any (one round trip: see
    /// `introspect::query`).
    async fn text(&self, context: String, sql: &str) -> Result<Option<String>> {
        let rows = self
            .client
            .query_typed(sql, &[])
            .await
            .map_err(|e| Error::statement(context, sql, error_text(&e)))?;
        Ok(rows.first().and_then(|r| r.get::<_, Option<String>>(0)))
    }

    /// The sequence behind a table's identity or serial column (the first
    /// such column), as a regclass literal (see `ddl::counter_sequence`).
    async fn sequence(&self, table: &str) -> Result<Option<String>> {
        let sql = ddl::counter_sequence(table);
        self.text(format!("finding the sequence of `{table}`"), &sql)
            .await
    }

    /// The next key the table's identity or serial column would be given.
    async fn next_counter(&self, table: &str) -> Result<Option<u64>> {
        let Some(sequence) = self.sequence(table).await? else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT (CASE WHEN s.is_called THEN s.last_value + p.seqincrement ELSE s.last_value END)::text \
             FROM {sequence} AS s, pg_sequence AS p WHERE p.seqrelid = {}::regclass",
            quote_text(sequence.as_bytes())
        );
        let next = self
            .text(format!("reading the sequence of `{table}`"), &sql)
            .await?;
        Ok(next.and_then(|n| n.parse().ok()))
    }
}

impl EngineConnection for PgConnection {
    fn flavor(&self) -> &Flavor {
        &self.flavor
    }

    fn link(&self) -> Option<Link> {
        Some(self.link)
    }

    async fn restate(&mut self, source: &Catalog, target: &mut Catalog) -> Result<()> {
        restate::restate(&self.client, source, target).await;
        Ok(())
    }

    async fn unplaceable(&mut self, source: &mut Catalog) -> Result<Vec<String>> {
        grants::unplaceable(&self.client, source).await
    }

    /// The schema, and the next value of each identity or serial
    /// column's sequence as the table's counter (read with the schema, as
    /// MySQL's AUTO_INCREMENT is; the tables' reads pipelined, so a link's
    /// round trip is paid about once, not twice a table), and the tables'
    /// size estimates with them (kept for `estimate_size`).
    async fn introspect(&mut self) -> Result<Catalog> {
        let mut catalog = introspect::catalog(&self.client, &self.flavor).await?;
        let counting: Vec<String> = catalog
            .tables
            .iter()
            .filter(|t| t.columns.iter().any(|c| c.auto_increment))
            .map(|t| t.name.clone())
            .collect();
        let names: Vec<String> = catalog.tables.iter().map(|t| t.name.clone()).collect();
        let this = &*self;
        let (nexts, sizes) = tokio::join!(
            try_join_all(counting.iter().map(|t| this.next_counter(t))),
            sizes::read(&this.client, &names)
        );
        let nexts = nexts?;
        self.sizes = sizes;
        for (table, next) in counting.into_iter().zip(nexts) {
            if let Some(next) = next {
                catalog.counters.insert(table, next);
            }
        }
        Ok(catalog)
    }

    /// The cluster's system identifier (where the account may read it)
    /// and the database: every schema of it is synced, so two sessions
    /// with other current schemas still reach the same tables.
    async fn identity(&mut self) -> Result<Option<DatabaseIdentity>> {
        let sql = "SELECT (SELECT system_identifier::text FROM pg_control_system()), \
                   current_database()";
        let Ok(row) = self.client.query_typed_one(sql, &[]).await else {
            return Ok(None);
        };
        let (system, database): (Option<String>, String) = (row.get(0), row.get(1));
        Ok(system.map(|system| DatabaseIdentity {
            key: format!("{system}|{database}"),
            shown: format!("database `{database}` in the cluster {system}"),
        }))
    }

    /// A source opens its snapshot: one `REPEATABLE READ READ ONLY`
    /// transaction for every later read. A target's sessions need nothing
    /// beyond the settings every session has.
    async fn begin_data_session(&mut self, session: DataSession) -> Result<()> {
        if session == DataSession::SourceSnapshot && !self.in_snapshot {
            let begin = format!("{SNAPSHOT_BEGIN}; {PIN_SNAPSHOT}");
            execute::session(&self.client, &begin)
                .await
                .map_err(|e| self.located(e))?;
            self.in_snapshot = true;
        }
        Ok(())
    }

    async fn end_data_session(&mut self) -> Result<()> {
        if self.in_snapshot {
            self.in_snapshot = false;
            execute::session(&self.client, "COMMIT")
                .await
                .map_err(|e| self.located(e))?;
        }
        Ok(())
    }

    /// The snapshot opened here is exported and imported by `more` new
    /// sessions, which then read exactly what this one reads.
    async fn share_snapshot(&mut self, more: usize) -> Result<SharedSnapshot<Self>> {
        self.begin_data_session(DataSession::SourceSnapshot).await?;
        let mut readers = Vec::new();
        if more > 0 {
            let id = self
                .text(
                    "exporting the source's snapshot".to_string(),
                    "SELECT pg_export_snapshot()",
                )
                .await?
                .unwrap_or_default();
            let import = format!(
                "{SNAPSHOT_BEGIN}; SET TRANSACTION SNAPSHOT {}",
                quote_text(id.as_bytes())
            );
            // The sessions are opened side by side: over a link each
            // costs a few round trips.
            let this = &*self;
            let opened = (0..more).map(|_| async {
                let reader = this.open_sibling().await?;
                execute::session(&reader.client, &import)
                    .await
                    .map_err(|e| reader.located(e))?;
                Ok::<_, Error>(PgConnection {
                    in_snapshot: true,
                    sizes: this.sizes.clone(),
                    ..reader
                })
            });
            readers = try_join_all(opened).await?;
        }
        Ok(SharedSnapshot {
            more: readers,
            note: None,
        })
    }

    async fn stream_rows(
        &mut self,
        table: &TableData,
        range: Option<&KeyRange>,
        tx: &RowSender,
    ) -> Result<()> {
        if let Some(range) = range {
            range.check(table)?;
        }
        let condition = range.and_then(|r| rows::range_condition(r, table));
        rows::stream(&self.client, self.in_snapshot, table, condition, tx)
            .await
            .map_err(|e| self.located(e))
    }

    fn hashes_by_key(&self, table: &TableData) -> bool {
        !table.key.is_empty()
    }

    /// The key columns as `rows.rs` reads them, then the 64-bit
    /// `hashtextextended` of the row's encoding (see `checksum`).
    async fn stream_key_hashes(
        &mut self,
        table: &TableData,
        range: Option<&KeyRange>,
        tx: &RowSender,
    ) -> Result<()> {
        if let Some(range) = range {
            range.check(table)?;
        }
        let hash = DataColumn {
            name: "row hash".to_string(),
            sql_type: SqlType::Integer {
                bytes: 8,
                unsigned: false,
            },
            data_type: "bigint".to_string(),
            nullable: false,
        };
        let mut columns: Vec<&DataColumn> = table.key.iter().map(|&i| &table.columns[i]).collect();
        columns.push(&hash);
        let select = checksum::key_hashes_sql(table, range);
        let context = format!("hashing the rows of `{}`", table.name);
        rows::stream_select(
            &self.client,
            self.in_snapshot,
            &select,
            &columns,
            &context,
            tx,
        )
        .await
        .map_err(|e| self.located(e))
    }

    async fn stream_keyed_rows(
        &mut self,
        table: &TableData,
        keys: &[Vec<Value>],
        tx: &RowSender,
    ) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let condition = rows::keyed_condition(table, keys);
        rows::stream(&self.client, self.in_snapshot, table, Some(condition), tx)
            .await
            .map_err(|e| self.located(e))
    }

    /// One query a table, all sent at once (one round trip).
    async fn empty_tables(&mut self, tables: &[&TableData]) -> Result<Vec<bool>> {
        let client = &self.client;
        let empty = tables.iter().map(|table| async move {
            let sql = format!("SELECT 1 FROM {} LIMIT 1", rows::relation(table));
            let rows = client.query_typed(&sql, &[]).await.map_err(|e| {
                transient::query_error(format!("reading `{}`", table.name), &sql, &e)
            })?;
            Ok::<_, Error>(rows.is_empty())
        });
        try_join_all(empty).await.map_err(|e| self.located(e))
    }

    async fn count_rows(&mut self, table: &TableData) -> Result<u64> {
        let sql = format!("SELECT count(*) FROM {}", rows::relation(table));
        let row = self.client.query_typed_one(&sql, &[]).await.map_err(|e| {
            self.located(transient::query_error(
                format!("counting the rows of `{}`", table.name),
                &sql,
                &e,
            ))
        })?;
        Ok(row.get::<_, i64>(0).max(0) as u64)
    }

    /// One query per range, all sent at once: the session answers them
    /// in order, so a whole level of a bisection costs one round trip.
    async fn range_checksums(
        &mut self,
        table: &TableData,
        ranges: &[KeyRange],
    ) -> Result<Option<Vec<Checksum>>> {
        let sums = ranges
            .iter()
            .map(|range| checksum::checksum(&self.client, table, Some(range)));
        let sums = try_join_all(sums).await.map_err(|e| self.located(e))?;
        Ok(Some(sums))
    }

    /// One query a table, all sent at once (one round trip).
    async fn table_checksums(&mut self, tables: &[&TableData]) -> Result<Option<Vec<u64>>> {
        let sums = tables
            .iter()
            .map(|table| checksum::table_checksum(&self.client, table));
        try_join_all(sums)
            .await
            .map(Some)
            .map_err(|e| self.located(e))
    }

    async fn split_points(
        &mut self,
        table: &TableData,
        range: &KeyRange,
        parts: usize,
    ) -> Result<Vec<Vec<Value>>> {
        checksum::split_points(&self.client, table, Some(range), parts)
            .await
            .map_err(|e| self.located(e))
    }

    /// The estimate read with the schema, else the server's now (see
    /// `sizes`).
    async fn estimate_size(&mut self, table: &str) -> Option<TableSize> {
        if let Some(size) = self.sizes.get(table) {
            return Some(*size);
        }
        let name = [table.to_string()];
        sizes::read(&self.client, &name).await.remove(table)
    }

    /// MATCH SIMPLE: a key with a NULL column references nothing. One
    /// anti-join per key, stopping at the first orphan. The table's own
    /// rows against the referenced table's own (as the server checks a
    /// key; a partitioned referenced table's rows are its partitions',
    /// so its keys are taken as not known to resolve: the checks stay).
    async fn references_resolve(&mut self, table: &TableData, keys: &[ForeignKey]) -> Result<bool> {
        for key in keys {
            let joined: Vec<String> = key
                .columns
                .iter()
                .zip(&key.referenced_columns)
                .map(|(c, p)| format!("p.{} = c.{}", quote_ident(p), quote_ident(c)))
                .collect();
            let not_null: Vec<String> = key
                .columns
                .iter()
                .map(|c| format!("c.{} IS NOT NULL", quote_ident(c)))
                .collect();
            let sql = format!(
                "SELECT 1 FROM {} AS c WHERE {} AND NOT EXISTS (SELECT 1 FROM ONLY {} AS p WHERE {}) LIMIT 1",
                rows::relation(table),
                not_null.join(" AND "),
                relation(&key.referenced_table),
                joined.join(" AND ")
            );
            let orphan = self.client.query_typed_opt(&sql, &[]).await.map_err(|e| {
                Error::statement(
                    format!("checking `{}`.`{}`", table.name, key.name),
                    &sql,
                    error_text(&e),
                )
            })?;
            if orphan.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Rows holding an enum label that a type rebuild takes away; other
    /// changes are not checked in advance.
    async fn rows_refusing(&mut self, change: &SchemaChange) -> Result<Option<Vec<String>>> {
        user_types::rows_refusing(&self.client, change).await
    }

    /// The next value of the sequence behind the table's identity or
    /// serial column.
    async fn auto_increment(&mut self, table: &str) -> Result<Option<u64>> {
        self.next_counter(table).await
    }

    /// `setval(sequence, next, false)`: the next generated key is `next`.
    async fn set_auto_increment(&mut self, table: &str, next: u64) -> Result<()> {
        let sql = ddl::set_counter(table, next);
        self.client
            .query(sql.as_str(), &[])
            .await
            .map(|_| ())
            .map_err(|e| {
                Error::statement(
                    format!("setting the sequence of `{table}`"),
                    &sql,
                    error_text(&e),
                )
            })
    }

    async fn execute_write(&mut self, statements: &[String]) -> Result<(), WriteError> {
        execute::write_rows(&self.client, statements).await
    }

    /// A session setting. Only a superuser may set
    /// `session_replication_role` (foreign key checks off); for any other
    /// account the checks simply stay on, which refuses nothing the source
    /// holds once parents are written before children.
    async fn execute_session(&mut self, sql: &str) -> Result<()> {
        match self.client.batch_execute(sql).await {
            Err(e)
                if sql.contains("session_replication_role")
                    && e.code()
                        == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) =>
            {
                Ok(())
            }
            other => other.map_err(|e| {
                self.located(transient::query_error(
                    "changing a session setting",
                    sql,
                    &e,
                ))
            }),
        }
    }

    async fn execute_ddl(&mut self, statements: &[String]) -> Result<()> {
        execute::run_ddl(&self.client, statements).await
    }

    fn max_statement_bytes(&self) -> usize {
        MAX_STATEMENT_BYTES
    }

    async fn load_rows(&mut self, table: &TableData, rows: &[Row]) -> BulkLoad {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        // The one chunk fits the channel: the send cannot wait.
        let _ = tx.send(Ok(rows.to_vec())).await;
        drop(tx);
        match load::copy(&self.client, table, rx).await {
            Ok(load) => load,
            Err(e) => BulkLoad::Refused(WriteError {
                kind: match e {
                    Error::Transient { .. } => crate::engine::WriteErrorKind::Transient,
                    _ => crate::engine::WriteErrorKind::Other,
                },
                message: e.to_string(),
            }),
        }
    }

    fn streams_bulk_loads(&self) -> bool {
        true
    }

    async fn load_stream(&mut self, table: &TableData, rows: RowReceiver) -> Result<BulkLoad> {
        load::copy(&self.client, table, rows)
            .await
            .map_err(|e| self.located(e))
    }
}
