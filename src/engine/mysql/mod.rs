//! MySQL / MariaDB: the engine contract over one `mysql_async` session.
//!
//! - `connect`: TLS, timeouts, a read-only session for a source, hints.
//! - `batch`: several statements in one round trip.
//! - `introspect`, `show_create`, `lexer`, `types`: the schema into the
//!   neutral model; `objects`: triggers, routines and events, read and
//!   created again in their own session context.
//! - `dialect`, `ddl`, `write`: SQL text for schema changes and rows.
//! - `rows`, `checksum`: streaming by key range, server-side checksums.
//! - `execute`, `load`: row writes, DDL, bulk loads.
//! - `snapshot`: several readers of one moment (FTWRL).
//! - `refusals`: rows a schema change would refuse, found before it runs.

mod batch;
pub mod checksum;
mod connect;
pub mod ddl;
mod dialect;
mod execute;
mod grants;
pub mod introspect;
mod lexer;
mod load;
mod objects;
mod refusals;
mod rows;
mod script_rows;
mod show_create;
mod snapshot;
mod transient;
mod types;
pub mod write;

pub use dialect::MySqlDialect;
pub use show_create::strip_auto_increment;

use mysql_async::prelude::Queryable;

use crate::catalog::change::SchemaChange;
use crate::catalog::model::{Catalog, Flavor, ForeignKey};
use crate::data::segment::{Checksum, KeyRange};
use crate::data::table::TableData;
use crate::data::value::{Row, Value};
use crate::engine::{
    BulkLoad, ConnectOptions, DataSession, DatabaseIdentity, EngineConnection, Link,
    MissingPrivilege, PlannedAccess, Role, RowHash, RowReceiver, RowSender, SharedSnapshot,
    TableSize, WriteError,
};
use crate::error::{Error, Result};
use crate::url::ServerUrl;
use batch::Statement;

pub struct MySqlConnection {
    conn: mysql_async::Conn,
    flavor: Flavor,
    /// Where this session came from, to open more like it.
    server: ServerUrl,
    options: ConnectOptions,
    role: Role,
    /// The server's `max_allowed_packet`, read when the data session starts.
    max_allowed_packet: usize,
    /// The server takes `LOAD DATA LOCAL INFILE` (until it refuses once).
    local_infile: bool,
    /// The round trip and compression, as the first session measured them.
    link: Link,
    /// An uncompressed session in the same snapshot that streams of keys
    /// and row hashes go through, where the link says they should travel
    /// uncompressed and this session is compressed (see `snapshot`).
    hash_session: Option<Box<MySqlConnection>>,
}

/// Assumed until the server says otherwise (the smallest default of the
/// supported servers).
const DEFAULT_MAX_ALLOWED_PACKET: usize = 4 << 20;
/// Room left in a packet for the protocol's framing.
const PACKET_MARGIN: usize = 1024;
/// Tables one statement asks about at most (emptiness, checksums).
const TABLES_A_STATEMENT: usize = 100;
/// Statements are kept this small even when the server takes more.
const MAX_STATEMENT_CAP: usize = 16 << 20;
/// Session settings for exact row values, shared by lockstep's own
/// sessions and `--sql-out` scripts: TIMESTAMPs travel as UTC whatever
/// either server's zone; the SQL mode is strict, so a value the server
/// would change (truncate, clip, replace) is refused instead of stored,
/// yet without NO_ZERO_DATE / NO_ZERO_IN_DATE and with ALLOW_INVALID_DATES,
/// so zero, partial and invalid dates a source holds are written as they
/// are; NO_AUTO_VALUE_ON_ZERO so an id 0 stays 0; never
/// NO_BACKSLASH_ESCAPES, as strings go to the server escaped with
/// backslashes (`write::wire_form`).
pub const DATA_SESSION_SETTINGS: &[&str] = &[
    "SET time_zone = '+00:00'",
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION,ALLOW_INVALID_DATES'",
];

impl MySqlConnection {
    pub async fn open(server: &ServerUrl, options: &ConnectOptions, role: Role) -> Result<Self> {
        Self::open_with(server, options, role, None).await
    }

    async fn open_with(
        server: &ServerUrl,
        options: &ConnectOptions,
        role: Role,
        known: Option<Link>,
    ) -> Result<Self> {
        let (conn, flavor, link) = connect::connect(server, options, role, known).await?;
        Ok(MySqlConnection {
            conn,
            flavor,
            server: server.clone(),
            options: options.clone(),
            role,
            max_allowed_packet: DEFAULT_MAX_ALLOWED_PACKET,
            local_infile: true,
            link,
            hash_session: None,
        })
    }

    /// Another session to the same database, for the same side, over the
    /// link as this one measured it.
    async fn open_sibling(&self) -> Result<Self> {
        Self::open_with(&self.server, &self.options, self.role, Some(self.link)).await
    }

    /// Whether streams of keys and row hashes want a session of their own:
    /// this one is compressed and they should not be.
    fn wants_hash_session(&self) -> bool {
        self.link.compressed && !self.link.hashes_compressed
    }

    /// An uncompressed sibling for streams of keys and row hashes.
    async fn open_hash_session(&self) -> Result<Self> {
        let plain = Link {
            compressed: false,
            ..self.link
        };
        Self::open_with(&self.server, &self.options, self.role, Some(plain)).await
    }

    /// A transient error of this connection tagged with its side and
    /// server (see `Error::located`).
    fn located(&self, error: Error) -> Error {
        error.located(self.role.as_str(), || format!("mysql://{}", self.server))
    }

    /// Whether the session refuses writes (true for every source session).
    pub async fn session_is_read_only(&mut self) -> Result<bool> {
        // MySQL 8 knows only the first name, MariaDB 10.11 only the second.
        let mut last = None;
        for sql in [
            "SELECT @@session.transaction_read_only",
            "SELECT @@session.tx_read_only",
        ] {
            match self.conn.query_first::<i64, _>(sql).await {
                Ok(value) => return Ok(value.unwrap_or(0) != 0),
                Err(e) => last = Some(Error::statement("reading the session mode", sql, e)),
            }
        }
        Err(last.unwrap_or_else(|| Error::database("reading the session mode", "no answer")))
    }

    /// Whether streams of keys and row hashes go over an uncompressed
    /// session of their own (opened with the snapshot, where the link
    /// wants them uncompressed and this session is compressed).
    pub fn hashes_apart(&self) -> bool {
        self.hash_session.is_some()
    }

    /// Whether the server says this session uses the compressed protocol.
    pub async fn session_is_compressed(&mut self) -> Result<bool> {
        let sql = "SHOW SESSION STATUS LIKE 'Compression'";
        let row: Option<(String, String)> = self
            .conn
            .query_first(sql)
            .await
            .map_err(|e| Error::statement("reading the session's compression", sql, e))?;
        Ok(row.is_some_and(|(_, value)| value.eq_ignore_ascii_case("ON")))
    }

    /// The account's grants, with what its active roles grant (MariaDB's
    /// `SHOW GRANTS` lists the current role's; MySQL 8 needs `USING`);
    /// `None` when the server will not say.
    async fn grants(&mut self) -> Option<grants::Grants> {
        let mut sql = "SHOW GRANTS".to_string();
        if matches!(self.flavor, Flavor::MySql { .. }) {
            if let Ok(Some(roles)) = self
                .conn
                .query_first::<String, _>("SELECT CURRENT_ROLE()")
                .await
            {
                if !roles.is_empty() && roles != "NONE" {
                    sql = format!("SHOW GRANTS FOR CURRENT_USER() USING {roles}");
                }
            }
        }
        let lines: Vec<Vec<u8>> = self.conn.query(sql).await.ok()?;
        let lines: Vec<String> = lines
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect();
        Some(grants::Grants::parse(&lines))
    }

    /// Runs a query whose one row (if any) holds what the caller reads.
    async fn first<T: mysql_async::prelude::FromRow + Send + 'static>(
        &mut self,
        context: String,
        sql: &str,
    ) -> Result<Option<T>> {
        self.conn
            .query_first(sql)
            .await
            .map_err(|e| self.located(transient::query_error(context, sql, e)))
    }
}

impl EngineConnection for MySqlConnection {
    fn flavor(&self) -> &Flavor {
        &self.flavor
    }

    fn link(&self) -> Option<Link> {
        Some(self.link)
    }

    async fn introspect(&mut self) -> Result<Catalog> {
        introspect::catalog(&mut self.conn, &self.server.database, &self.flavor).await
    }

    /// From `SHOW GRANTS` (see `grants`); nothing when the server will
    /// not list them.
    async fn missing_privileges(
        &mut self,
        access: &PlannedAccess<'_>,
    ) -> Result<Vec<MissingPrivilege>> {
        Ok(match self.grants().await {
            Some(grants) => grants::missing(&grants, &self.server.database, &self.flavor, access),
            None => Vec::new(),
        })
    }

    /// The server's own id where it has one (MySQL's `@@server_uuid`,
    /// MariaDB's `@@server_uid`, a hash of its MAC address and port), its
    /// host name, port and data directory, and the database: equal for two
    /// sessions however they reached the server (another host name, a
    /// proxy, a tunnel).
    async fn identity(&mut self) -> Result<Option<DatabaseIdentity>> {
        let id = match self.flavor {
            Flavor::MySql { .. } => "@@server_uuid",
            _ => "@@server_uid",
        };
        let with_id = format!("SELECT {id}, @@hostname, @@port, @@datadir, DATABASE()");
        let row: Option<(String, String, u64, String, String)> =
            match self.conn.query_first(&with_id).await {
                Ok(row) => row,
                // A server without the variable (MariaDB before 10.3) says so.
                Err(mysql_async::Error::Server(_)) => {
                    let sql = "SELECT '', @@hostname, @@port, @@datadir, DATABASE()";
                    self.first("reading which server this is".to_string(), sql)
                        .await?
                }
                Err(e) => {
                    let context = "reading which server this is";
                    return Err(self.located(transient::query_error(context, &with_id, e)));
                }
            };
        Ok(row.map(
            |(server_id, host, port, datadir, database)| DatabaseIdentity {
                key: format!("{server_id}|{host}|{port}|{datadir}|{database}"),
                shown: format!(
                    "database `{database}` on the server {host}:{port} (data directory {datadir})"
                ),
            },
        ))
    }

    /// `time_zone = '+00:00'` (TIMESTAMPs travel as UTC),
    /// `character_set_results = binary` (text arrives as the stored
    /// bytes), a strict but date-permissive `sql_mode`
    /// ([`DATA_SESSION_SETTINGS`]), a larger `max_sort_length` (keyless
    /// tables sort by whole rows, blobs included); reads
    /// `max_allowed_packet`. A source session then starts a read-only
    /// transaction WITH CONSISTENT SNAPSHOT, at REPEATABLE READ whatever
    /// the server's default (at READ COMMITTED MariaDB would silently
    /// ignore the snapshot).
    async fn begin_data_session(&mut self, session: DataSession) -> Result<()> {
        let mut statements = DATA_SESSION_SETTINGS.to_vec();
        statements.extend([
            "SET character_set_results = binary",
            // Keyless tables sort by whole rows: compare 64 KiB of each
            // value (not the default 1 KiB), in a sort buffer big enough
            // for that (a far larger length makes even small sorts fail
            // with "Out of sort memory"). Rows equal in those first bytes
            // but not after come out in no set order, which the merge
            // reports as an error rather than mis-pairing them.
            "SET SESSION max_sort_length = 65536",
            "SET SESSION sort_buffer_size = 8388608",
        ]);
        if session == DataSession::SourceSnapshot {
            statements.extend([
                "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
            ]);
        }
        let context = format!("preparing the {session:?} session for rows");
        let mut batch: Vec<Statement> = statements
            .into_iter()
            .map(|sql| Statement::new(context.as_str(), sql))
            .collect();
        batch.push(Statement::new(
            context.as_str(),
            "SELECT @@max_allowed_packet",
        ));
        let answers = batch::query_all(&mut self.conn, &batch, |what, sql, e| {
            transient::query_error(what, sql, e)
        })
        .await
        .map_err(|e| self.located(e))?;
        let packet: Option<u64> = answers
            .into_iter()
            .last()
            .and_then(|rows| batch::first_value(rows, 0));
        if let Some(packet) = packet {
            self.max_allowed_packet = usize::try_from(packet).unwrap_or(usize::MAX);
        }
        Ok(())
    }

    /// Ends a source's snapshot transaction (a target's session has
    /// nothing to undo).
    async fn end_data_session(&mut self) -> Result<()> {
        if let Some(mut plain) = self.hash_session.take() {
            Box::pin(plain.end_data_session()).await?;
        }
        match self.role {
            Role::Source => execute::session(&mut self.conn, "COMMIT").await,
            Role::Target | Role::TargetReadOnly => Ok(()),
        }
    }

    async fn share_snapshot(&mut self, more: usize) -> Result<SharedSnapshot<Self>> {
        snapshot::share(self, more).await
    }

    /// The stored columns in key order (binary-safe: string keys ordered
    /// by their bytes), exact values, chunks of ROW_CHUNK rows.
    async fn stream_rows(
        &mut self,
        table: &TableData,
        range: Option<&KeyRange>,
        tx: &RowSender,
    ) -> Result<()> {
        if let Some(range) = range {
            range.check(table)?;
        }
        let condition = range.and_then(|r| checksum::range_condition(r, &self.flavor, table));
        rows::stream(&mut self.conn, table, condition, tx)
            .await
            .map_err(|e| self.located(e))
    }

    fn hashes_by_key(&self, table: &TableData) -> bool {
        !table.key.is_empty()
    }

    /// The key columns as `rows.rs` reads them, then the 64-bit hash
    /// (CRC32 and CRC32C side by side, or MD5's first half).
    async fn stream_key_hashes(
        &mut self,
        table: &TableData,
        range: Option<&KeyRange>,
        tx: &RowSender,
    ) -> Result<()> {
        if let Some(range) = range {
            range.check(table)?;
        }
        let sql = checksum::key_hashes_sql(&self.flavor, table, range, self.options.row_hash);
        let session = match self.hash_session.as_deref_mut() {
            Some(plain) => plain,
            None => self,
        };
        let mut columns: Vec<(rows::Kind, &str)> = table
            .key
            .iter()
            .map(|&i| &table.columns[i])
            .map(|c| (rows::Kind::of(&c.sql_type), c.name.as_str()))
            .collect();
        columns.push((rows::Kind::UInt, "row hash"));
        let context = format!("hashing the rows of `{}`", table.name);
        rows::stream_select(&mut session.conn, &sql, &columns, &context, tx)
            .await
            .map_err(|e| session.located(e))
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
        let condition = checksum::keyed_condition(&self.flavor, table, keys);
        rows::stream(&mut self.conn, table, Some(condition), tx)
            .await
            .map_err(|e| self.located(e))
    }

    /// `NOT EXISTS` of each table, `TABLES_A_STATEMENT` tables to a
    /// statement.
    async fn empty_tables(&mut self, tables: &[&TableData]) -> Result<Vec<bool>> {
        let mut empty = Vec::with_capacity(tables.len());
        for some in tables.chunks(TABLES_A_STATEMENT) {
            let tests: Vec<String> = some
                .iter()
                .map(|t| {
                    let name = ddl::quote_ident(&t.name);
                    format!("NOT EXISTS (SELECT 1 FROM {name})")
                })
                .collect();
            let sql = format!("SELECT {}", tests.join(", "));
            let context = format!(
                "reading whether `{}` and the tables after it are empty",
                some[0].name
            );
            let row: Option<mysql_async::Row> = self.first(context.clone(), &sql).await?;
            let answers = row.map(|r| r.unwrap()).unwrap_or_default();
            if answers.len() != some.len() {
                return Err(Error::statement(
                    context,
                    &sql,
                    "the server answered for fewer tables",
                ));
            }
            for answer in answers {
                match mysql_async::from_value_opt::<i64>(answer) {
                    Ok(none) => empty.push(none != 0),
                    Err(e) => return Err(Error::statement(context, &sql, e)),
                }
            }
        }
        Ok(empty)
    }

    async fn count_rows(&mut self, table: &TableData) -> Result<u64> {
        let sql = format!("SELECT COUNT(*) FROM {}", ddl::quote_ident(&table.name));
        let count: Option<u64> = self
            .first(format!("counting the rows of `{}`", table.name), &sql)
            .await?;
        Ok(count.unwrap_or(0))
    }

    async fn range_checksums(
        &mut self,
        table: &TableData,
        ranges: &[KeyRange],
    ) -> Result<Option<Vec<Checksum>>> {
        checksum::checksums(
            &mut self.conn,
            &self.flavor,
            table,
            ranges,
            self.options.row_hash,
        )
        .await
        .map(Some)
        .map_err(|e| self.located(e))
    }

    fn row_hashes(&self) -> Vec<RowHash> {
        checksum::row_hashes(&self.flavor)
    }

    fn set_row_hash(&mut self, hash: RowHash) {
        self.options.row_hash = hash;
    }

    /// `CHECKSUM TABLE`, read inside the session's transaction.
    /// `CHECKSUM TABLE` of up to `TABLES_A_STATEMENT` tables at once
    /// (one answer row per table, in the order named), read inside the
    /// session's transaction.
    async fn table_checksums(&mut self, tables: &[&TableData]) -> Result<Option<Vec<u64>>> {
        let mut sums = Vec::with_capacity(tables.len());
        for some in tables.chunks(TABLES_A_STATEMENT) {
            let names: Vec<String> = some.iter().map(|t| ddl::quote_ident(&t.name)).collect();
            let sql = format!("CHECKSUM TABLE {}", names.join(", "));
            let context = format!("checksumming `{}` and the tables after it", some[0].name);
            let rows: Vec<(mysql_async::Value, Option<u64>)> = self
                .conn
                .query(&sql)
                .await
                .map_err(|e| self.located(transient::query_error(context.clone(), &sql, e)))?;
            if rows.len() != some.len() {
                return Err(Error::statement(
                    context,
                    &sql,
                    "the server answered for fewer tables",
                ));
            }
            for ((_, sum), table) in rows.into_iter().zip(some) {
                let Some(sum) = sum else {
                    return Err(Error::statement(
                        format!("checksumming `{}`", table.name),
                        &sql,
                        "the server returned no checksum",
                    ));
                };
                sums.push(sum);
            }
        }
        Ok(Some(sums))
    }

    async fn split_points(
        &mut self,
        table: &TableData,
        range: &KeyRange,
        parts: usize,
    ) -> Result<Vec<Vec<Value>>> {
        checksum::split_points(&mut self.conn, &self.flavor, table, Some(range), parts)
            .await
            .map_err(|e| self.located(e))
    }

    /// `information_schema.TABLES`' `TABLE_ROWS` and `DATA_LENGTH`:
    /// InnoDB's estimates, free.
    async fn estimate_size(&mut self, table: &str) -> Option<TableSize> {
        let (rows, bytes) = self
            .conn
            .exec_first::<(Option<u64>, Option<u64>), _, _>(
                "SELECT TABLE_ROWS, DATA_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                (&self.server.database, table),
            )
            .await
            .ok()
            .flatten()?;
        Some(TableSize {
            rows: rows?,
            bytes: bytes?,
        })
    }

    /// MATCH SIMPLE: a key with a NULL column references nothing. One
    /// indexed anti-join per key, stopping at the first orphan.
    async fn references_resolve(&mut self, table: &TableData, keys: &[ForeignKey]) -> Result<bool> {
        let table = &table.name;
        for key in keys {
            let sql = format!(
                "SELECT 1 FROM {} AS c WHERE {} LIMIT 1",
                ddl::quote_ident(table),
                refusals::orphans(key)
            );
            let context = format!("checking `{table}`.`{}`", key.name);
            let orphan: Option<mysql_async::Value> = self.first(context, &sql).await?;
            if orphan.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn rows_refusing(&mut self, change: &SchemaChange) -> Result<Option<Vec<String>>> {
        refusals::find(&mut self.conn, change).await
    }

    /// From `SHOW CREATE TABLE`, live on both servers (MySQL 8's
    /// information_schema.TABLES may show a cached counter).
    async fn auto_increment(&mut self, table: &str) -> Result<Option<u64>> {
        let create = introspect::show_create(&mut self.conn, "TABLE", table).await?;
        show_create::parse_table(&create)
            .map(|parsed| parsed.auto_increment)
            .map_err(|m| Error::database(format!("reading table `{table}`"), m))
    }

    /// `ALTER TABLE ... AUTO_INCREMENT = next`: InnoDB takes it unless a
    /// row holds a key that large, and then sets the largest key + 1.
    async fn set_auto_increment(&mut self, table: &str, next: u64) -> Result<()> {
        let sql = ddl::set_counter(table, next);
        self.conn.query_drop(&sql).await.map_err(|e| {
            Error::statement(
                format!("setting the AUTO_INCREMENT counter of `{table}`"),
                &sql,
                e,
            )
        })
    }

    async fn execute_write(&mut self, statements: &[String]) -> Result<(), WriteError> {
        execute::write_rows(
            &mut self.conn,
            &self.flavor,
            self.max_allowed_packet,
            statements,
        )
        .await
    }

    async fn execute_session(&mut self, sql: &str) -> Result<()> {
        execute::session(&mut self.conn, sql)
            .await
            .map_err(|e| self.located(e))
    }

    async fn execute_ddl(&mut self, statements: &[String]) -> Result<()> {
        execute::run_ddl(&mut self.conn, statements).await
    }

    /// `max_allowed_packet` less a margin for the statement's framing,
    /// at most 16 MiB.
    fn max_statement_bytes(&self) -> usize {
        self.max_allowed_packet
            .saturating_sub(PACKET_MARGIN)
            .min(MAX_STATEMENT_CAP)
    }

    /// `LOAD DATA LOCAL INFILE` from memory.
    async fn load_rows(&mut self, table: &TableData, rows: &[Row]) -> BulkLoad {
        load::rows(self, table, rows).await
    }

    /// Until the server says local files are off.
    fn streams_bulk_loads(&self) -> bool {
        self.local_infile
    }

    async fn load_stream(&mut self, table: &TableData, rows: RowReceiver) -> Result<BulkLoad> {
        let loaded = load::stream(self, table, rows).await;
        loaded.map_err(|e| self.located(e))
    }
}
