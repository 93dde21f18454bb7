//! The engine layer: the only code that speaks SQL dialects.
//!
//! - `contract`: what every engine's connection offers ([`EngineConnection`],
//!   capabilities as default methods that say "cannot") and the types that
//!   cross it; `dialect`: rendering SQL without a connection ([`Dialect`]).
//! - one folder per engine (`mysql/`, `postgres/`, `sqlite/`) implementing both.
//! - this file: the registry (which engine serves a URL, which dialect a
//!   flavor) and the three handles the layers above hold: [`SourceDb`]
//!   (no method writes, so nothing can ever be written to the source),
//!   [`TargetReader`] and [`TargetDb`].
//!
//! Uses `catalog` (the schema model) and `data` (the row model) only; it
//! never decides policy (what to sync, in what order, what is allowed).
//! Dispatch is by enum, not trait objects (async methods cannot go through
//! `dyn`): [`Connection`] delegates each method in one line.

mod contract;
mod dialect;
mod keyed;
pub mod mysql;
pub mod postgres;
mod split;
pub mod sqlite;
mod upsert;

pub use contract::{
    BulkLoad, ConnectOptions, DataSession, DatabaseIdentity, EngineConnection, Link,
    MissingPrivilege, PlannedAccess, Reads, Role, RowHash, RowReceiver, RowSender, SharedSnapshot,
    TableSize, WriteError, WriteErrorKind, WriteOp, ROW_CHUNK,
};
pub use dialect::Dialect;

use crate::catalog::change::SchemaChange;
use crate::catalog::model::{Catalog, Flavor, ForeignKey};
use crate::data::segment::{Checksum, KeyRange};
use crate::data::table::TableData;
use crate::data::value::{Row, Value};
use crate::error::Result;
use crate::url::DatabaseUrl;

/// An open connection of some engine: the registration of each engine.
enum Connection {
    /// Boxed, as PostgreSQL's: a server session holds far more than a
    /// SQLite handle.
    MySql(Box<mysql::MySqlConnection>),
    Postgres(Box<postgres::PgConnection>),
    Sqlite(sqlite::SharedSqlite),
}

/// Runs `$call` on whichever engine's connection `$conn` holds.
macro_rules! on_engine {
    ($conn:expr, $c:ident => $call:expr) => {
        match $conn {
            Connection::MySql($c) => $call,
            Connection::Postgres($c) => $call,
            Connection::Sqlite($c) => $call,
        }
    };
}

impl Connection {
    /// The engine that serves `url`.
    async fn open(url: &DatabaseUrl, options: &ConnectOptions, role: Role) -> Result<Self> {
        match url {
            DatabaseUrl::MySql(server) => Ok(Connection::MySql(Box::new(
                mysql::MySqlConnection::open(server, options, role).await?,
            ))),
            DatabaseUrl::Sqlite { path } => Ok(Connection::Sqlite(sqlite::SharedSqlite::new(
                sqlite::SqliteConnection::open(path, role)?,
            ))),
            DatabaseUrl::Postgres(server) => Ok(Connection::Postgres(Box::new(
                postgres::PgConnection::open(server, options, role).await?,
            ))),
        }
    }
}

/// The dialect that renders SQL for `flavor`.
pub fn dialect(flavor: &Flavor) -> Box<dyn Dialect> {
    match flavor {
        Flavor::MySql { .. } | Flavor::MariaDb { .. } => Box::new(mysql::MySqlDialect {
            flavor: flavor.clone(),
        }),
        Flavor::Sqlite { .. } => Box::new(sqlite::SqliteDialect),
        Flavor::Postgres { .. } => Box::new(postgres::PostgresDialect),
    }
}

impl EngineConnection for Connection {
    fn flavor(&self) -> &Flavor {
        on_engine!(self, c => c.flavor())
    }
    fn link(&self) -> Option<Link> {
        on_engine!(self, c => c.link())
    }
    async fn introspect(&mut self) -> Result<Catalog> {
        on_engine!(self, c => c.introspect().await)
    }
    async fn restate(&mut self, source: &Catalog, target: &mut Catalog) -> Result<()> {
        on_engine!(self, c => c.restate(source, target).await)
    }
    async fn unplaceable(&mut self, source: &mut Catalog) -> Result<Vec<String>> {
        on_engine!(self, c => c.unplaceable(source).await)
    }
    async fn identity(&mut self) -> Result<Option<DatabaseIdentity>> {
        on_engine!(self, c => c.identity().await)
    }
    async fn missing_privileges(
        &mut self,
        access: &PlannedAccess<'_>,
    ) -> Result<Vec<MissingPrivilege>> {
        on_engine!(self, c => c.missing_privileges(access).await)
    }
    async fn begin_data_session(&mut self, session: DataSession) -> Result<()> {
        on_engine!(self, c => c.begin_data_session(session).await)
    }
    async fn end_data_session(&mut self) -> Result<()> {
        on_engine!(self, c => c.end_data_session().await)
    }
    async fn share_snapshot(&mut self, more: usize) -> Result<SharedSnapshot<Self>> {
        on_engine!(self, c => c.share_snapshot(more).await.map(|s| SharedSnapshot {
            more: s.more.into_iter().map(Into::into).collect(),
            note: s.note,
        }))
    }
    async fn stream_rows(
        &mut self,
        table: &TableData,
        range: Option<&KeyRange>,
        tx: &RowSender,
    ) -> Result<()> {
        on_engine!(self, c => c.stream_rows(table, range, tx).await)
    }
    fn hashes_by_key(&self, table: &TableData) -> bool {
        on_engine!(self, c => c.hashes_by_key(table))
    }
    async fn stream_key_hashes(
        &mut self,
        table: &TableData,
        range: Option<&KeyRange>,
        tx: &RowSender,
    ) -> Result<()> {
        on_engine!(self, c => c.stream_key_hashes(table, range, tx).await)
    }
    async fn stream_keyed_rows(
        &mut self,
        table: &TableData,
        keys: &[Vec<Value>],
        tx: &RowSender,
    ) -> Result<()> {
        on_engine!(self, c => c.stream_keyed_rows(table, keys, tx).await)
    }
    async fn empty_tables(&mut self, tables: &[&TableData]) -> Result<Vec<bool>> {
        on_engine!(self, c => c.empty_tables(tables).await)
    }
    async fn count_rows(&mut self, table: &TableData) -> Result<u64> {
        on_engine!(self, c => c.count_rows(table).await)
    }
    async fn range_checksums(
        &mut self,
        table: &TableData,
        ranges: &[KeyRange],
    ) -> Result<Option<Vec<Checksum>>> {
        on_engine!(self, c => c.range_checksums(table, ranges).await)
    }
    fn row_hashes(&self) -> Vec<RowHash> {
        on_engine!(self, c => c.row_hashes())
    }
    fn set_row_hash(&mut self, hash: RowHash) {
        on_engine!(self, c => c.set_row_hash(hash))
    }
    async fn table_checksums(&mut self, tables: &[&TableData]) -> Result<Option<Vec<u64>>> {
        on_engine!(self, c => c.table_checksums(tables).await)
    }
    async fn split_points(
        &mut self,
        table: &TableData,
        range: &KeyRange,
        parts: usize,
    ) -> Result<Vec<Vec<Value>>> {
        on_engine!(self, c => c.split_points(table, range, parts).await)
    }
    async fn estimate_size(&mut self, table: &str) -> Option<TableSize> {
        on_engine!(self, c => c.estimate_size(table).await)
    }
    async fn references_resolve(&mut self, table: &TableData, keys: &[ForeignKey]) -> Result<bool> {
        on_engine!(self, c => c.references_resolve(table, keys).await)
    }
    async fn rows_refusing(&mut self, change: &SchemaChange) -> Result<Option<Vec<String>>> {
        on_engine!(self, c => c.rows_refusing(change).await)
    }
    async fn auto_increment(&mut self, table: &str) -> Result<Option<u64>> {
        on_engine!(self, c => c.auto_increment(table).await)
    }
    async fn set_auto_increment(&mut self, table: &str, next: u64) -> Result<()> {
        on_engine!(self, c => c.set_auto_increment(table, next).await)
    }
    async fn execute_write(&mut self, statements: &[String]) -> Result<(), WriteError> {
        on_engine!(self, c => c.execute_write(statements).await)
    }
    async fn execute_session(&mut self, sql: &str) -> Result<()> {
        on_engine!(self, c => c.execute_session(sql).await)
    }
    async fn execute_ddl(&mut self, statements: &[String]) -> Result<()> {
        on_engine!(self, c => c.execute_ddl(statements).await)
    }
    fn max_statement_bytes(&self) -> usize {
        on_engine!(self, c => c.max_statement_bytes())
    }
    async fn load_rows(&mut self, table: &TableData, rows: &[Row]) -> BulkLoad {
        on_engine!(self, c => c.load_rows(table, rows).await)
    }
    fn streams_bulk_loads(&self) -> bool {
        on_engine!(self, c => c.streams_bulk_loads())
    }
    async fn load_stream(&mut self, table: &TableData, rows: RowReceiver) -> Result<BulkLoad> {
        on_engine!(self, c => c.load_stream(table, rows).await)
    }
}

impl From<mysql::MySqlConnection> for Connection {
    fn from(c: mysql::MySqlConnection) -> Self {
        Connection::MySql(Box::new(c))
    }
}

impl From<postgres::PgConnection> for Connection {
    fn from(c: postgres::PgConnection) -> Self {
        Connection::Postgres(Box::new(c))
    }
}

impl From<sqlite::SharedSqlite> for Connection {
    fn from(c: sqlite::SharedSqlite) -> Self {
        Connection::Sqlite(c)
    }
}

/// Which rows of a table a streaming read takes, and in what shape.
#[derive(Debug, Clone, Copy)]
pub enum RowRead<'a> {
    /// Whole rows, all of them or one key range's.
    Rows(Option<&'a KeyRange>),
    /// Keys with row hashes, all of them or one key range's (see
    /// [`EngineConnection::stream_key_hashes`]).
    KeyHashes(Option<&'a KeyRange>),
    /// Whole rows with these keys (see
    /// [`EngineConnection::stream_keyed_rows`]).
    Keyed(&'a [Vec<Value>]),
}

/// Streams into `tx`; a failed read sends its error down the channel as
/// its last item (see [`RowSender`]).
async fn stream_into(conn: &mut Connection, table: &TableData, read: RowRead<'_>, tx: &RowSender) {
    let outcome = match read {
        RowRead::Rows(range) => conn.stream_rows(table, range, tx).await,
        RowRead::KeyHashes(range) => conn.stream_key_hashes(table, range, tx).await,
        RowRead::Keyed(keys) => conn.stream_keyed_rows(table, keys, tx).await,
    };
    if let Err(e) = outcome {
        let _ = tx.send(Err(e)).await;
    }
}

/// What both sides read the same way: rows by key range, row counts,
/// checksums. [`SourceDb`] and [`TargetReader`] are each a `Reader` plus
/// what only that side does.
pub struct Reader {
    conn: Connection,
    /// Where the connection came from, to open it again.
    url: DatabaseUrl,
    options: ConnectOptions,
    role: Role,
}

impl Reader {
    async fn open(url: &DatabaseUrl, options: &ConnectOptions, role: Role) -> Result<Self> {
        Ok(Reader {
            conn: Connection::open(url, options, role).await?,
            url: url.clone(),
            options: options.clone(),
            role,
        })
    }

    /// The server and database read, without the password.
    pub fn endpoint(&self) -> String {
        self.url.to_string()
    }

    /// Replaces a lost connection with a new one in `session`. A source's
    /// new snapshot reads the source as it is now, not as of the run's
    /// first moment.
    pub async fn reopen(&mut self, session: DataSession) -> Result<()> {
        let mut conn = Connection::open(&self.url, &self.options, self.role).await?;
        conn.begin_data_session(session).await?;
        self.conn = conn;
        Ok(())
    }

    pub fn flavor(&self) -> &Flavor {
        self.conn.flavor()
    }

    /// See [`EngineConnection::link`].
    pub fn link(&self) -> Option<Link> {
        self.conn.link()
    }

    /// Streams what `read` asks of a table, in key order (see
    /// [`RowSender`]).
    pub async fn stream(&mut self, table: &TableData, read: RowRead<'_>, tx: &RowSender) {
        stream_into(&mut self.conn, table, read, tx).await
    }

    /// See [`EngineConnection::hashes_by_key`].
    pub fn hashes_by_key(&self, table: &TableData) -> bool {
        self.conn.hashes_by_key(table)
    }

    /// See [`EngineConnection::count_rows`].
    pub async fn count_rows(&mut self, table: &TableData) -> Result<u64> {
        self.conn.count_rows(table).await
    }

    /// Which of `tables` have no row (an empty target's rows need no
    /// reading: every source row is new; an empty source's nothing to
    /// write either).
    pub async fn empty_tables(&mut self, tables: &[&TableData]) -> Result<Vec<bool>> {
        self.conn.empty_tables(tables).await
    }

    /// See [`EngineConnection::range_checksums`].
    pub async fn range_checksums(
        &mut self,
        table: &TableData,
        ranges: &[KeyRange],
    ) -> Result<Option<Vec<Checksum>>> {
        self.conn.range_checksums(table, ranges).await
    }

    /// See [`EngineConnection::table_checksums`].
    pub async fn table_checksums(&mut self, tables: &[&TableData]) -> Result<Option<Vec<u64>>> {
        self.conn.table_checksums(tables).await
    }
}

/// Each side's handle reads through its [`Reader`].
macro_rules! reads_through_reader {
    ($side:ty) => {
        impl std::ops::Deref for $side {
            type Target = Reader;
            fn deref(&self) -> &Reader {
                &self.reader
            }
        }
        impl std::ops::DerefMut for $side {
            fn deref_mut(&mut self) -> &mut Reader {
                &mut self.reader
            }
        }
    };
}
reads_through_reader!(SourceDb);
reads_through_reader!(TargetReader);

/// The source database: read-only by construction.
pub struct SourceDb {
    reader: Reader,
}

impl SourceDb {
    /// Connects and makes the session read-only.
    pub async fn open(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Self> {
        Ok(SourceDb {
            reader: Reader::open(url, options, Role::Source).await?,
        })
    }

    pub async fn introspect(&mut self) -> Result<Catalog> {
        self.reader.conn.introspect().await
    }

    /// See [`EngineConnection::row_hashes`].
    pub fn row_hashes(&self) -> Vec<RowHash> {
        self.reader.conn.row_hashes()
    }

    /// See [`EngineConnection::set_row_hash`]; the sessions the source
    /// shares its snapshot with later use it too.
    pub fn set_row_hash(&mut self, hash: RowHash) {
        self.reader.conn.set_row_hash(hash)
    }

    /// See [`EngineConnection::identity`].
    pub async fn identity(&mut self) -> Result<Option<DatabaseIdentity>> {
        self.reader.conn.identity().await
    }

    /// See [`EngineConnection::missing_privileges`].
    pub async fn missing_privileges(
        &mut self,
        access: &PlannedAccess<'_>,
    ) -> Result<Vec<MissingPrivilege>> {
        self.reader.conn.missing_privileges(access).await
    }

    /// Opens the consistent snapshot every later row read comes from, with
    /// the session settings for exact values.
    pub async fn begin_data_reads(&mut self) -> Result<()> {
        self.conn
            .begin_data_session(DataSession::SourceSnapshot)
            .await
    }

    /// Opens the snapshot here and on up to `more` new source connections,
    /// all reading one moment of the source; fewer where the engine or the
    /// account cannot, with a note saying why.
    pub async fn share_snapshot(&mut self, more: usize) -> Result<(Vec<SourceDb>, Option<String>)> {
        let shared = self.reader.conn.share_snapshot(more).await?;
        let more = shared
            .more
            .into_iter()
            .map(|conn| SourceDb {
                reader: Reader {
                    conn,
                    url: self.reader.url.clone(),
                    options: self.reader.options.clone(),
                    role: Role::Source,
                },
            })
            .collect();
        Ok((more, shared.note))
    }

    /// Closes the snapshot.
    pub async fn end_data_reads(&mut self) -> Result<()> {
        self.reader.conn.end_data_session().await
    }

    /// See [`EngineConnection::split_points`].
    pub async fn split_points(
        &mut self,
        table: &TableData,
        range: &KeyRange,
        parts: usize,
    ) -> Result<Vec<Vec<Value>>> {
        self.reader.conn.split_points(table, range, parts).await
    }

    /// See [`EngineConnection::references_resolve`].
    pub async fn references_resolve(
        &mut self,
        table: &TableData,
        keys: &[ForeignKey],
    ) -> Result<bool> {
        self.reader.conn.references_resolve(table, keys).await
    }

    /// See [`EngineConnection::estimate_size`].
    pub async fn estimate_size(&mut self, table: &str) -> Option<TableSize> {
        self.reader.conn.estimate_size(table).await
    }
}

/// A second connection to the target, for reading its rows while the
/// main connection writes.
pub struct TargetReader {
    reader: Reader,
}

/// The target database: the only side lockstep writes to.
pub struct TargetDb {
    conn: Connection,
    dialect: Box<dyn Dialect>,
    url: DatabaseUrl,
    options: ConnectOptions,
    role: Role,
}

impl TargetDb {
    /// Connects for writing (a missing SQLite file is created).
    pub async fn open(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Self> {
        Self::open_as(url, options, Role::Target).await
    }

    /// Connects for a mode that writes nothing: a read-only session, and a
    /// missing SQLite file is an error, not created.
    pub async fn open_read_only(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Self> {
        Self::open_as(url, options, Role::TargetReadOnly).await
    }

    async fn open_as(url: &DatabaseUrl, options: &ConnectOptions, role: Role) -> Result<Self> {
        let conn = Connection::open(url, options, role).await?;
        Ok(TargetDb {
            dialect: dialect(conn.flavor()),
            conn,
            url: url.clone(),
            options: options.clone(),
            role,
        })
    }

    /// Another connection to the same target, opened the same way.
    pub async fn open_writer(&self) -> Result<TargetDb> {
        Self::open_as(&self.url, &self.options, self.role).await
    }

    /// Opens a second connection for reading the target's rows (while this
    /// one writes, in a sync). Each read sees the target as it is then.
    pub async fn open_reader(&self) -> Result<TargetReader> {
        let mut reader = Reader::open(&self.url, &self.options, self.role).await?;
        reader
            .conn
            .begin_data_session(DataSession::TargetReader)
            .await?;
        Ok(TargetReader { reader })
    }

    pub fn flavor(&self) -> &Flavor {
        self.conn.flavor()
    }

    /// See [`EngineConnection::row_hashes`].
    pub fn row_hashes(&self) -> Vec<RowHash> {
        self.conn.row_hashes()
    }

    /// See [`EngineConnection::set_row_hash`]; the writers and readers
    /// opened later use it too.
    pub fn set_row_hash(&mut self, hash: RowHash) {
        self.options.row_hash = hash;
        self.conn.set_row_hash(hash)
    }

    /// The server and database written, without the password.
    pub fn endpoint(&self) -> String {
        self.url.to_string()
    }

    /// Replaces a lost writing connection with a new one, its session
    /// readied for row writes as `begin_writes` does (FK checks are each
    /// table's to set again).
    pub async fn reopen_writer(&mut self) -> Result<()> {
        let mut conn = Connection::open(&self.url, &self.options, self.role).await?;
        conn.begin_data_session(DataSession::TargetWriter).await?;
        self.conn = conn;
        Ok(())
    }

    /// See [`EngineConnection::link`].
    pub fn link(&self) -> Option<Link> {
        self.conn.link()
    }

    /// How this target's SQL is written.
    pub fn dialect(&self) -> &dyn Dialect {
        self.dialect.as_ref()
    }

    pub async fn introspect(&mut self) -> Result<Catalog> {
        self.conn.introspect().await
    }

    /// This target's schema, in `source`'s text wherever the server
    /// stores the two texts alike (see [`EngineConnection::restate`]).
    pub async fn introspect_against(&mut self, source: &Catalog) -> Result<Catalog> {
        let mut catalog = self.conn.introspect().await?;
        self.restate(source, &mut catalog).await?;
        Ok(catalog)
    }

    /// See [`EngineConnection::restate`].
    pub async fn restate(&mut self, source: &Catalog, target: &mut Catalog) -> Result<()> {
        self.conn.restate(source, target).await
    }

    /// See [`EngineConnection::unplaceable`].
    pub async fn unplaceable(&mut self, source: &mut Catalog) -> Result<Vec<String>> {
        self.conn.unplaceable(source).await
    }

    /// See [`EngineConnection::identity`].
    pub async fn identity(&mut self) -> Result<Option<DatabaseIdentity>> {
        self.conn.identity().await
    }

    /// See [`EngineConnection::missing_privileges`].
    pub async fn missing_privileges(
        &mut self,
        access: &PlannedAccess<'_>,
    ) -> Result<Vec<MissingPrivilege>> {
        self.conn.missing_privileges(access).await
    }

    /// Readies this connection for row writes (exact values, permissive
    /// SQL mode; SQLite switches to WAL so the reader can read meanwhile).
    pub async fn begin_writes(&mut self) -> Result<()> {
        self.conn
            .begin_data_session(DataSession::TargetWriter)
            .await
    }

    /// Undoes what `begin_writes` changed beyond this session (SQLite's
    /// journal mode). The reader must be closed first: SQLite leaves WAL
    /// only from the file's last connection.
    pub async fn end_writes(&mut self, reader: TargetReader) -> Result<()> {
        drop(reader);
        self.conn.end_data_session().await
    }

    /// See [`EngineConnection::max_statement_bytes`].
    pub fn max_statement_bytes(&self) -> usize {
        self.conn.max_statement_bytes()
    }

    /// See [`EngineConnection::load_rows`].
    pub async fn load_rows(&mut self, table: &TableData, rows: &[Row]) -> BulkLoad {
        self.conn.load_rows(table, rows).await
    }

    /// See [`EngineConnection::streams_bulk_loads`].
    pub fn streams_bulk_loads(&self) -> bool {
        self.conn.streams_bulk_loads()
    }

    /// See [`EngineConnection::load_stream`].
    pub async fn load_stream(&mut self, table: &TableData, rows: RowReceiver) -> Result<BulkLoad> {
        self.conn.load_stream(table, rows).await
    }

    /// Runs row-write statements as one transaction: all or nothing.
    pub async fn execute_write(&mut self, statements: &[String]) -> Result<(), WriteError> {
        self.conn.execute_write(statements).await
    }

    /// Turns this session's foreign key enforcement on or off.
    pub async fn set_foreign_key_checks(&mut self, on: bool) -> Result<()> {
        let sql = self.dialect.foreign_key_checks(on);
        self.conn.execute_session(&sql).await
    }

    /// See [`EngineConnection::auto_increment`].
    pub async fn auto_increment(&mut self, table: &str) -> Result<Option<u64>> {
        self.conn.auto_increment(table).await
    }

    /// See [`EngineConnection::set_auto_increment`].
    pub async fn set_auto_increment(&mut self, table: &str, next: u64) -> Result<()> {
        self.conn.set_auto_increment(table, next).await
    }

    /// See [`EngineConnection::rows_refusing`].
    pub async fn rows_refusing(&mut self, change: &SchemaChange) -> Result<Option<Vec<String>>> {
        self.conn.rows_refusing(change).await
    }

    /// See [`EngineConnection::execute_ddl`].
    pub async fn execute_ddl(&mut self, statements: &[String]) -> Result<()> {
        self.conn.execute_ddl(statements).await
    }
}
