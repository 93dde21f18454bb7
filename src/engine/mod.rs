//! The engine layer: the only code that speaks SQL dialects. Each engine
//! (one folder each) connects, introspects into the neutral catalog, renders
//! schema changes as DDL, and executes statements on a target.
//!
//! Dispatch is by enum, not trait objects (async methods cannot go through
//! `dyn`). Reading and writing are split by type: `SourceDb` has no method
//! that writes, so nothing can ever be written to the source.

pub mod mysql;
pub mod sqlite;

use std::time::Duration;

use std::collections::BTreeMap;

use tokio::sync::mpsc;

use crate::catalog::change::SchemaChange;
use crate::catalog::model::{Catalog, EngineFamily, Flavor, ForeignKey};
use crate::data::segment::{Checksum, KeyRange};
use crate::data::table::TableData;
use crate::data::value::Row;
use crate::error::{Error, Result};
use crate::url::DatabaseUrl;

/// How long taking the source's global read lock may wait, in seconds.
const HOLD_WAIT_SECONDS: u32 = 5;

/// Rows per chunk sent from a reading stream to the merge.
pub const ROW_CHUNK: usize = 1000;

/// Where a streaming read sends its rows: chunks in key order, then the
/// channel closes. A failed read sends its error as the last item, so the
/// merge can never take a cut-off stream for the end of the table.
pub type RowSender = mpsc::Sender<Result<Vec<Row>>>;

/// One write to a target table.
#[derive(Debug, Clone, Copy)]
pub enum WriteOp<'a> {
    /// Rows the target lacks (plain inserts: the diff knows they are new,
    /// so a clash with another row's unique value fails loudly instead of
    /// overwriting that row).
    Insert(&'a [Row]),
    /// Rows whose key the target has, with the source's values (written
    /// as upserts on the key).
    Update(&'a [Row]),
    /// Target rows to remove: by key, or, without a key, one copy of each
    /// whole row.
    Delete(&'a [Row]),
    /// Every row of the table (a scripted reload of a table whose schema
    /// changes first).
    DeleteAll,
}

/// Why a write failed, as far as the data phase needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteErrorKind {
    /// A foreign key refused the row; the constraint's name when known.
    ForeignKey {
        constraint: Option<String>,
    },
    /// A unique index refused the row; the index's name when known.
    Duplicate {
        index: Option<String>,
    },
    Other,
}

/// A failed write: nothing of the failed statements was kept.
#[derive(Debug, Clone)]
pub struct WriteError {
    pub kind: WriteErrorKind,
    /// The server's message.
    pub message: String,
}

/// Timeouts from the config.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub write_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(300),
            write_timeout: Duration::from_secs(300),
        }
    }
}

/// Which side of the sync a connection serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Source,
    Target,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Target => "target",
        }
    }
}

/// What a connection does in the data phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSession {
    /// Reads the source inside one consistent snapshot.
    SourceSnapshot,
    /// Reads the target; every statement sees the latest commits.
    TargetReader,
    /// Writes the target.
    TargetWriter,
}

/// An open connection to one database of some engine.
enum Connection {
    MySql(mysql::MySqlConnection),
    Sqlite(SharedSqlite),
}

/// A SQLite connection that a blocking thread can borrow: rusqlite blocks,
/// so reads run on their own thread while the async side goes on.
struct SharedSqlite {
    flavor: Flavor,
    conn: std::sync::Arc<std::sync::Mutex<sqlite::SqliteConnection>>,
}

impl SharedSqlite {
    fn new(conn: sqlite::SqliteConnection) -> Self {
        SharedSqlite {
            flavor: conn.flavor().clone(),
            conn: std::sync::Arc::new(std::sync::Mutex::new(conn)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, sqlite::SqliteConnection> {
        // A poisoned lock means a reader thread panicked; the connection
        // itself is still sound for the next statement.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Connection {
    async fn open(url: &DatabaseUrl, options: &ConnectOptions, role: Role) -> Result<Self> {
        match url {
            DatabaseUrl::MySql(server) => Ok(Connection::MySql(
                mysql::MySqlConnection::open(server, options, role).await?,
            )),
            DatabaseUrl::Sqlite { path } => Ok(Connection::Sqlite(SharedSqlite::new(
                sqlite::SqliteConnection::open(path, role)?,
            ))),
            DatabaseUrl::Postgres(_) => Err(Error::Refused(format!(
                "{url}: PostgreSQL is not supported yet; lockstep syncs MySQL/MariaDB and SQLite today"
            ))),
        }
    }

    fn flavor(&self) -> &Flavor {
        match self {
            Connection::MySql(c) => c.flavor(),
            Connection::Sqlite(c) => &c.flavor,
        }
    }

    async fn introspect(&mut self) -> Result<Catalog> {
        match self {
            Connection::MySql(c) => c.introspect().await,
            Connection::Sqlite(c) => c.lock().introspect(),
        }
    }

    /// Session settings for exact row transfer (time zone, raw bytes, a
    /// permissive SQL mode), by what the session is for.
    async fn prepare_data_session(&mut self, session: DataSession) -> Result<()> {
        match self {
            Connection::MySql(c) => c.prepare_data_session(session).await,
            Connection::Sqlite(c) => c.lock().prepare_data_session(session),
        }
    }

    /// Streams the table's rows in key order into `tx`. Errors go into the
    /// channel too (see [`RowSender`]).
    async fn stream_rows(&mut self, table: &TableData, range: Option<&KeyRange>, tx: &RowSender) {
        let result = match self {
            Connection::MySql(c) => c.stream_rows(table, range, tx).await,
            Connection::Sqlite(_) if range.is_some() => Err(Error::Refused(format!(
                "table `{}`: SQLite rows are read whole, not by key range",
                table.name
            ))),
            Connection::Sqlite(c) => {
                let (conn, table, sender) = (c.conn.clone(), table.clone(), tx.clone());
                tokio::task::spawn_blocking(move || {
                    let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                    conn.stream_rows(&table, &sender)
                })
                .await
                .unwrap_or_else(|e| {
                    Err(Error::database(
                        "reading rows",
                        format!("the reader thread stopped: {e}"),
                    ))
                })
            }
        };
        if let Err(e) = result {
            let _ = tx.send(Err(e)).await;
        }
    }

    /// The server-computed checksum of a key range; `None` where the engine
    /// cannot compute one.
    async fn checksum(&mut self, table: &TableData, range: &KeyRange) -> Result<Option<Checksum>> {
        match self {
            Connection::MySql(c) => c.checksum(table, range).await.map(Some),
            Connection::Sqlite(_) => Ok(None),
        }
    }

    /// The server's own whole-table checksum (MySQL's `CHECKSUM TABLE`),
    /// comparable only between servers of the same flavor and version;
    /// `None` where the engine has none.
    async fn quick_checksum(&mut self, table: &str) -> Result<Option<u64>> {
        match self {
            Connection::MySql(c) => c.quick_checksum(table).await.map(Some),
            Connection::Sqlite(_) => Ok(None),
        }
    }

    /// Whether the table has no row at all.
    async fn is_empty(&mut self, table: &TableData) -> Result<bool> {
        match self {
            Connection::MySql(c) => c.is_empty(table).await,
            Connection::Sqlite(c) => c.lock().is_empty(table),
        }
    }
}

/// The source database: read-only by construction.
pub struct SourceDb {
    conn: Connection,
}

impl SourceDb {
    /// Connects and makes the session read-only.
    pub async fn open(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Self> {
        Ok(SourceDb {
            conn: Connection::open(url, options, Role::Source).await?,
        })
    }

    pub fn flavor(&self) -> &Flavor {
        self.conn.flavor()
    }

    pub async fn introspect(&mut self) -> Result<Catalog> {
        self.conn.introspect().await
    }

    /// Opens the consistent snapshot every later row read comes from, with
    /// the session settings for exact values.
    pub async fn begin_data_reads(&mut self) -> Result<()> {
        self.conn
            .prepare_data_session(DataSession::SourceSnapshot)
            .await
    }

    /// Streams a table's rows in key order, all of them or one key
    /// range's (see [`RowSender`]).
    pub async fn stream_rows(
        &mut self,
        table: &TableData,
        range: Option<&KeyRange>,
        tx: &RowSender,
    ) {
        self.conn.stream_rows(table, range, tx).await
    }

    /// Whether every foreign key value of the table finds its parent row
    /// here (so a copy may skip the target's checks and lose nothing they
    /// would refuse); `false` where the engine is not asked (SQLite).
    pub async fn references_resolve(&mut self, table: &str, keys: &[ForeignKey]) -> Result<bool> {
        match &mut self.conn {
            Connection::MySql(c) => c.references_resolve(table, keys).await,
            Connection::Sqlite(_) => Ok(false),
        }
    }

    /// The table's row count as the server estimates it (for progress
    /// bars); `None` where that would cost a scan.
    pub async fn estimate_rows(&mut self, table: &str) -> Option<u64> {
        match &mut self.conn {
            Connection::MySql(c) => c.estimate_rows(table).await,
            Connection::Sqlite(_) => None,
        }
    }

    /// Holds every write on the source server (MySQL's `FLUSH TABLES WITH
    /// READ LOCK`, which needs the RELOAD privilege) while several
    /// connections open their snapshots, so they all see one moment.
    /// `Ok(false)` where the engine has no such lock.
    /// The lock waits at most `HOLD_WAIT_SECONDS` for running statements
    /// (while it waits, the server holds new writes too), then gives up.
    pub async fn hold_writes(&mut self) -> Result<bool> {
        match &mut self.conn {
            Connection::MySql(c) => {
                c.execute_session(&format!(
                    "SET SESSION lock_wait_timeout = {HOLD_WAIT_SECONDS}"
                ))
                .await?;
                c.execute_session("FLUSH TABLES WITH READ LOCK")
                    .await
                    .map(|()| true)
            }
            Connection::Sqlite(_) => Ok(false),
        }
    }

    /// Lets the source's writers go again.
    pub async fn release_writes(&mut self) -> Result<()> {
        match &mut self.conn {
            Connection::MySql(c) => c.execute_session("UNLOCK TABLES").await,
            Connection::Sqlite(_) => Ok(()),
        }
    }

    /// Closes the snapshot `begin_data_reads` opened.
    pub async fn end_data_reads(&mut self) -> Result<()> {
        match &mut self.conn {
            Connection::MySql(c) => c.execute_session("COMMIT").await,
            Connection::Sqlite(c) => c.lock().finish_data_session(),
        }
    }
}

/// A second connection to the target, for reading its rows while the
/// main connection writes.
pub struct TargetReader {
    conn: Connection,
}

impl TargetReader {
    /// Streams a table's rows in key order, all of them or one key
    /// range's (see [`RowSender`]).
    pub async fn stream_rows(
        &mut self,
        table: &TableData,
        range: Option<&KeyRange>,
        tx: &RowSender,
    ) {
        self.conn.stream_rows(table, range, tx).await
    }

    /// Whether the target table has no row (then its rows need no reading:
    /// every source row is new).
    pub async fn is_empty(&mut self, table: &TableData) -> Result<bool> {
        self.conn.is_empty(table).await
    }
}

/// Checksums a key range on both sides at the same time; `None` when
/// either engine cannot, or their checksums are not comparable (another
/// flavor or version, whose text forms of values may differ).
pub async fn range_checksums(
    source: &mut SourceDb,
    target: &mut TargetReader,
    table: &TableData,
    range: &KeyRange,
) -> Result<Option<(Checksum, Checksum)>> {
    if source.flavor() != target.conn.flavor() {
        return Ok(None);
    }
    let (a, b) = tokio::try_join!(
        source.conn.checksum(table, range),
        target.conn.checksum(table, range)
    )?;
    Ok(a.zip(b))
}

/// Keys of the source that cut `range` into about `parts` segments of
/// equal row count (empty where the engine cannot tell).
pub async fn split_points(
    source: &mut SourceDb,
    table: &TableData,
    range: &KeyRange,
    parts: usize,
) -> Result<Vec<Vec<crate::data::value::Value>>> {
    match &mut source.conn {
        Connection::MySql(c) => c.split_points(table, range, parts).await,
        Connection::Sqlite(_) => Ok(Vec::new()),
    }
}

/// Compares a table on both sides by the servers' own whole-table
/// checksums, computed at the same time: `Some(true)` means equal rows,
/// `Some(false)` different ones, `None` that the servers cannot tell
/// (another engine, flavor or version, whose checksums differ for equal
/// rows). `source_sum` keeps the source's checksum between calls: the
/// source is read in one snapshot, so a table's checksum there cannot
/// change, and the check after the writes costs the target's alone.
pub async fn quick_compare(
    source: &mut SourceDb,
    target: &mut TargetReader,
    table: &str,
    source_sum: &mut Option<u64>,
) -> Result<Option<bool>> {
    if source.flavor() != target.conn.flavor() {
        return Ok(None);
    }
    let (a, b) = match *source_sum {
        Some(known) => (Some(known), target.conn.quick_checksum(table).await?),
        None => tokio::try_join!(
            source.conn.quick_checksum(table),
            target.conn.quick_checksum(table)
        )?,
    };
    *source_sum = a;
    Ok(match (a, b) {
        (Some(a), Some(b)) => Some(a == b),
        _ => None,
    })
}

/// The target database: the only side lockstep writes to.
pub struct TargetDb {
    conn: Connection,
    url: DatabaseUrl,
    options: ConnectOptions,
}

impl TargetDb {
    pub async fn open(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Self> {
        Ok(TargetDb {
            conn: Connection::open(url, options, Role::Target).await?,
            url: url.clone(),
            options: options.clone(),
        })
    }

    /// Opens a second connection for reading the target's rows (while this
    /// one writes, in a sync). Each read sees the target as it is then.
    pub async fn open_reader(&self) -> Result<TargetReader> {
        let mut conn = Connection::open(&self.url, &self.options, Role::Target).await?;
        conn.prepare_data_session(DataSession::TargetReader).await?;
        Ok(TargetReader { conn })
    }

    /// Readies this connection for row writes (exact values, permissive
    /// SQL mode; SQLite switches to WAL so the reader can read meanwhile).
    pub async fn begin_writes(&mut self) -> Result<()> {
        self.conn
            .prepare_data_session(DataSession::TargetWriter)
            .await
    }

    /// Undoes what `begin_writes` changed beyond this session (SQLite's
    /// journal mode). The reader must be closed first: SQLite leaves WAL
    /// only from the file's last connection.
    pub async fn end_writes(&mut self, reader: TargetReader) -> Result<()> {
        drop(reader);
        match &mut self.conn {
            Connection::MySql(_) => Ok(()),
            Connection::Sqlite(c) => c.lock().finish_data_session(),
        }
    }

    /// The largest statement the target accepts (MySQL's
    /// `max_allowed_packet`, less a margin).
    pub fn max_statement_bytes(&self) -> usize {
        match &self.conn {
            Connection::MySql(c) => c.max_statement_bytes(),
            Connection::Sqlite(_) => sqlite::write::MAX_STATEMENT_BYTES,
        }
    }

    /// Loads rows into a table that started empty by the engine's bulk
    /// path (MySQL: `LOAD DATA LOCAL INFILE` from memory), as one
    /// transaction; `None` where there is none (write INSERTs instead).
    pub async fn load_rows(
        &mut self,
        table: &TableData,
        rows: &[Row],
    ) -> Option<Result<(), WriteError>> {
        match &mut self.conn {
            Connection::MySql(c) => c.load_rows(table, rows).await,
            Connection::Sqlite(_) => None,
        }
    }

    /// Whether `load_stream` can load a whole table in one statement.
    pub fn streams_bulk_loads(&self) -> bool {
        match &self.conn {
            Connection::MySql(c) => c.takes_local_files(),
            Connection::Sqlite(_) => false,
        }
    }

    /// Loads a whole table that is empty now from `rows` as they arrive,
    /// in one statement and one transaction (MySQL: a streamed `LOAD DATA
    /// LOCAL INFILE`); see `streams_bulk_loads`. `Ok(None)` when the engine
    /// has no such path after all; `Ok(Some(Err))` when the target refused
    /// the rows (nothing was kept); `Err` when reading them failed.
    pub async fn load_stream(
        &mut self,
        table: &TableData,
        rows: mpsc::Receiver<Result<Vec<Row>>>,
    ) -> Result<Option<Result<(), WriteError>>> {
        match &mut self.conn {
            Connection::MySql(c) => c.load_stream(table, rows).await,
            Connection::Sqlite(_) => Ok(None),
        }
    }

    /// Runs row-write statements as one transaction: all or nothing.
    pub async fn execute_write(&mut self, statements: &[String]) -> Result<(), WriteError> {
        match &mut self.conn {
            Connection::MySql(c) => c.execute_write(statements).await,
            Connection::Sqlite(c) => c.lock().execute_write(statements),
        }
    }

    /// Turns this session's foreign key enforcement on or off.
    pub async fn set_foreign_key_checks(&mut self, on: bool) -> Result<()> {
        let sql = foreign_key_checks(self.flavor(), on);
        match &mut self.conn {
            Connection::MySql(c) => c.execute_session(&sql).await,
            Connection::Sqlite(c) => c.lock().execute_session(&sql),
        }
    }

    /// Triggers on the target's tables: table -> trigger names.
    pub async fn triggers(&mut self) -> Result<BTreeMap<String, Vec<String>>> {
        match &mut self.conn {
            Connection::MySql(c) => c.triggers().await,
            Connection::Sqlite(c) => c.lock().triggers(),
        }
    }

    pub fn flavor(&self) -> &Flavor {
        self.conn.flavor()
    }

    pub async fn introspect(&mut self) -> Result<Catalog> {
        self.conn.introspect().await
    }

    /// Runs DDL statements in order, inside the engine's DDL session
    /// settings (FK checks off while the schema changes). Stops at the first
    /// failure and names the statement.
    pub async fn execute_ddl(&mut self, statements: &[String]) -> Result<()> {
        match &mut self.conn {
            Connection::MySql(c) => c.execute_ddl(statements).await,
            Connection::Sqlite(c) => c.lock().execute_ddl(statements),
        }
    }
}

/// Whether this engine's DDL can add and drop foreign keys on their own
/// (MySQL can; SQLite needs a table rebuild, so FK changes travel with the
/// table's other changes).
pub fn alters_foreign_keys(family: EngineFamily) -> bool {
    !matches!(family, EngineFamily::Sqlite)
}

/// Whether the engine shows secondary indexes in creation order, making
/// the order part of the schema (MySQL's `SHOW CREATE TABLE` does).
pub fn index_order_matters(family: EngineFamily) -> bool {
    matches!(family, EngineFamily::MySql)
}

/// Renders one schema change as the statements of the given engine.
pub fn render_change(flavor: &Flavor, change: &SchemaChange) -> Result<Vec<String>> {
    match flavor.family() {
        EngineFamily::MySql => Ok(mysql::ddl::render(flavor, change)),
        EngineFamily::Sqlite => Ok(sqlite::ddl::render(change)),
        EngineFamily::Postgres => Err(Error::Refused(
            "PostgreSQL DDL is not supported yet".to_string(),
        )),
    }
}

/// The statements that write `op` to `table`, each at most
/// `max_statement_bytes` long (a single row may exceed it; it then goes
/// alone). Values are written exactly, as literals no server reinterprets.
pub fn render_write(
    flavor: &Flavor,
    table: &TableData,
    op: WriteOp,
    max_statement_bytes: usize,
) -> Vec<String> {
    match flavor.family() {
        EngineFamily::MySql => mysql::write::render(flavor, table, op, max_statement_bytes),
        EngineFamily::Sqlite => sqlite::write::render(table, op, max_statement_bytes),
        EngineFamily::Postgres => Vec::new(),
    }
}

/// The statement that turns foreign key enforcement on or off for a
/// session (also written into `--sql-out` files).
pub fn foreign_key_checks(flavor: &Flavor, on: bool) -> String {
    match flavor.family() {
        EngineFamily::MySql => format!("SET FOREIGN_KEY_CHECKS={}", u8::from(on)),
        EngineFamily::Sqlite => format!("PRAGMA foreign_keys={}", if on { "ON" } else { "OFF" }),
        EngineFamily::Postgres => String::new(),
    }
}

/// Session settings a script's row statements need to mean exactly what
/// lockstep's own sessions mean (time zone, SQL mode).
pub fn data_script_prelude(flavor: &Flavor) -> Vec<String> {
    match flavor.family() {
        EngineFamily::MySql => mysql::DATA_SESSION_SETTINGS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        EngineFamily::Sqlite | EngineFamily::Postgres => Vec::new(),
    }
}

/// Statements that wrap a DDL script for this engine so it can run in any
/// order (FK checks off); used for `--sql-out` files, which must run as they
/// are in the engine's own client.
pub fn ddl_script_frame(flavor: &Flavor) -> (Vec<String>, Vec<String>) {
    match flavor.family() {
        EngineFamily::MySql => mysql::ddl::script_frame(),
        EngineFamily::Sqlite => sqlite::ddl::script_frame(),
        EngineFamily::Postgres => (Vec::new(), Vec::new()),
    }
}
