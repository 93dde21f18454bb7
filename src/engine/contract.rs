//! The engine contract: what every engine's connection offers the layers
//! above, as one trait, and the plain types that cross it.
//!
//! An engine implements [`EngineConnection`] for its connection type and
//! states only what it has: every capability an engine may lack (range
//! checksums, the server's own table checksum, split points, row
//! estimates, bulk loads, shared snapshots, AUTO_INCREMENT counters ...)
//! is a default method that answers "this engine cannot", and the sync
//! layer falls back to the general path (streaming every row, INSERT
//! batches, one reader) or does without (counters).
//! Rendering SQL is the engine's stateless [`super::Dialect`].
//!
//! Uses the row model (`data`) and the schema model (`catalog`) only.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::catalog::change::SchemaChange;
use crate::catalog::model::{Catalog, Flavor, ForeignKey};
use crate::data::segment::{Checksum, KeyRange};
use crate::data::table::TableData;
use crate::data::value::{Row, Value};
use crate::error::{Error, Result};

/// Rows per chunk sent from a reading stream to its consumer.
pub const ROW_CHUNK: usize = 1000;

/// Where a streaming read sends its rows: chunks in key order, then the
/// channel closes. A failed read sends its error as the last item, so the
/// merge can never take a cut-off stream for the end of the table.
pub type RowSender = mpsc::Sender<Result<Vec<Row>>>;

/// Rows arriving for a bulk load, in chunks (see [`RowSender`]).
pub type RowReceiver = mpsc::Receiver<Result<Vec<Row>>>;

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
    /// The account may not write there (a missing grant, a read-only
    /// server or file): every other row would be refused alike.
    Denied,
    /// The connection was lost, or the server gave up the write for now
    /// (lock wait timeout, deadlock): nothing is known to be kept, and
    /// the same write may succeed on a new connection.
    Transient,
    Other,
}

/// A failed write: nothing of the failed statements was kept.
#[derive(Debug, Clone)]
pub struct WriteError {
    pub kind: WriteErrorKind,
    /// The server's message.
    pub message: String,
}

/// What a bulk load of a whole table came to.
pub enum BulkLoad {
    /// Every row is in, in one transaction.
    Loaded,
    /// The target refused the rows: nothing was kept.
    Refused(WriteError),
    /// The engine has no bulk path (after all): write the rows otherwise.
    Unavailable,
}

/// Timeouts from the config, and the row hash of range checksums.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub write_timeout: Duration,
    /// Set once both sides are open (see [`EngineConnection::row_hashes`]);
    /// sessions opened later from a connection inherit it.
    pub row_hash: RowHash,
}

/// What a range checksum sums per row. Checksums compare only when both
/// sides use the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowHash {
    /// 128 bits: MD5 of the row's encoding (every MySQL and MariaDB).
    #[default]
    Md5,
    /// 64 bits: CRC32 and CRC32C of the encoding (MariaDB 10.8 and later;
    /// MySQL has no CRC32C), about twice as fast as MD5 on the server.
    Crc32Pair,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(300),
            write_timeout: Duration::from_secs(300),
            row_hash: RowHash::Md5,
        }
    }
}

impl ConnectOptions {
    /// The failure of a connection attempt that outlived `connect_timeout`.
    pub fn no_answer(&self) -> String {
        format!(
            "no answer within {} s (connect_timeout)",
            self.connect_timeout.as_secs_f64()
        )
    }
}

/// The network between lockstep and a server, measured when the first
/// session to it opened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    /// The smallest of a few protocol-level round trips.
    pub rtt: Duration,
    /// Whether the sessions use a compressed protocol.
    pub compressed: bool,
    /// Whether streams of keys and row hashes travel compressed too: on a
    /// link fast enough, compressing them costs the server more than the
    /// bytes it saves (their hash half is random), and an engine may send
    /// them over an uncompressed session of their own.
    pub hashes_compressed: bool,
    /// Bytes a second the server's answers arrive at, timed on one answer
    /// of random bytes; `None`: not measured (a round trip so short the
    /// link is as fast as loopback).
    pub bytes_per_sec: Option<u64>,
}

/// A table's size as the server's statistics estimate it (no scan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSize {
    pub rows: u64,
    /// Bytes the rows take in storage (pages included).
    pub bytes: u64,
}

impl Link {
    /// From this round trip on, a server's link is slower than loopback
    /// and its throughput is timed at connect (bytes then cost time, and
    /// the diff method is chosen by what they cost).
    pub const PROBE_THROUGHPUT_FROM: Duration = Duration::from_millis(1);

    /// A probe answer's rate in bytes a second: `bytes` arrived after its
    /// first row, which came at `first` (the round trip before the first
    /// row is not part of it).
    pub fn rate_since(first: Option<std::time::Instant>, bytes: usize) -> u64 {
        let seconds = first.map_or(0.0, |t| t.elapsed().as_secs_f64());
        (bytes as f64 / seconds.max(1e-4)) as u64
    }

    /// The smallest of a few timed round trips (`probe` makes one): the
    /// others may include waiting for a busy CPU.
    pub async fn smallest_round_trip<E>(
        mut probe: impl AsyncFnMut() -> std::result::Result<(), E>,
    ) -> std::result::Result<Duration, E> {
        const PROBES: usize = 5;
        let mut best = Duration::MAX;
        for _ in 0..PROBES {
            let started = std::time::Instant::now();
            probe().await?;
            best = best.min(started.elapsed());
        }
        Ok(best)
    }
}

/// Which side of the sync a connection serves, and whether it may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Read-only by construction; never created.
    Source,
    /// The side that is written (a SQLite file is created when missing).
    Target,
    /// The target in a mode that writes nothing (validate, dry-run):
    /// opened read-only like a source, and never created.
    TargetReadOnly,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Target | Role::TargetReadOnly => "target",
        }
    }

    /// Whether the connection may write (only a target in a mode that writes).
    pub fn writes(self) -> bool {
        self == Role::Target
    }
}

/// The reads a run makes of a database that its account must be able to
/// make whole.
#[derive(Debug, Clone, Copy)]
pub enum Reads<'a> {
    Nothing,
    /// These tables' rows.
    Tables(&'a [String]),
    /// Every table and view: only privileges on the whole database
    /// guarantee it (a table the account cannot see would pass for one
    /// the database lacks).
    Everything,
}

/// What a run will do to one database, so its engine can say before the
/// first write which privileges the account lacks for it.
#[derive(Debug, Clone, Copy)]
pub struct PlannedAccess<'a> {
    pub reads: Reads<'a>,
    /// Schema changes to apply.
    pub changes: &'a [SchemaChange],
    /// Tables whose rows are inserted, updated and deleted.
    pub row_writes: &'a [String],
}

/// A privilege the account lacks for what a run will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingPrivilege {
    /// As the engine names it (`INSERT`, `DROP`, write access to a file).
    pub privilege: String,
    /// Where it is needed (`` `db`.`t` ``, `` `db`.* ``, a file).
    pub on: String,
    /// What the run needs it for.
    pub purpose: String,
}

/// Which database a connection reaches, as its engine can tell: two
/// connections with the same `key` reach the same database, however their
/// URLs are written (another host name, port forward or path).
#[derive(Debug, Clone)]
pub struct DatabaseIdentity {
    /// What tells this database apart from every other (compared).
    pub key: String,
    /// The same, for people.
    pub shown: String,
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

/// Source connections that all read one moment of the source.
pub struct SharedSnapshot<C> {
    /// Connections besides the one asked, each inside the snapshot.
    pub more: Vec<C>,
    /// Why fewer connections than asked could share it, for the report.
    pub note: Option<String>,
}

/// What one connection to one database can do. The sync layer calls
/// nothing else; the defaults mean "this engine cannot".
///
/// The futures need not be `Send`: a run drives every connection from one
/// task (lanes are polled together, never spawned).
#[allow(async_fn_in_trait)]
pub trait EngineConnection: Sized {
    /// The server's dialect and version, read at connect.
    fn flavor(&self) -> &Flavor;

    /// The link to the server as measured at connect; `None` for a local
    /// file, which has no link.
    fn link(&self) -> Option<Link> {
        None
    }

    /// The database's schema in the neutral model.
    async fn introspect(&mut self) -> Result<Catalog>;

    /// Where the server prints a definition differently from the text it
    /// was created from (PostgreSQL): `target`, this connection's catalog,
    /// takes `source`'s text for each object this server would store
    /// exactly as it stores its own, so that the same object compares
    /// equal. Nothing by default.
    async fn restate(&mut self, source: &Catalog, target: &mut Catalog) -> Result<()> {
        let _ = (source, target);
        Ok(())
    }

    /// Takes out of `source`, before any plan, what this target server
    /// cannot hold and lockstep does not create (PostgreSQL: privileges
    /// granted to roles the server lacks), with a warning for each
    /// naming what to do. Nothing by default.
    async fn unplaceable(&mut self, source: &mut Catalog) -> Result<Vec<String>> {
        let _ = source;
        Ok(Vec::new())
    }

    /// Which database this connection reaches (server and database, or
    /// file), so a run can refuse a source and target that are one
    /// database; `None`: this engine cannot tell.
    async fn identity(&mut self) -> Result<Option<DatabaseIdentity>> {
        Ok(None)
    }

    /// The privileges the account lacks for `access`, as far as the engine
    /// can tell without trying (a doubt is no lack); empty by default.
    async fn missing_privileges(
        &mut self,
        access: &PlannedAccess<'_>,
    ) -> Result<Vec<MissingPrivilege>> {
        let _ = access;
        Ok(Vec::new())
    }

    /// Session settings for exact row transfer (time zone, raw bytes, a
    /// permissive SQL mode), by what the session is for; a source session
    /// opens its consistent snapshot here.
    async fn begin_data_session(&mut self, session: DataSession) -> Result<()>;

    /// Ends what `begin_data_session` began (closes a snapshot, gives a
    /// file its journal mode back).
    async fn end_data_session(&mut self) -> Result<()>;

    /// Opens the snapshot of `begin_data_session(SourceSnapshot)` on this
    /// connection and on up to `more` new connections, all seeing one
    /// moment of the source. By default the engine reads on this one
    /// connection alone.
    async fn share_snapshot(&mut self, more: usize) -> Result<SharedSnapshot<Self>> {
        let _ = more;
        self.begin_data_session(DataSession::SourceSnapshot).await?;
        Ok(SharedSnapshot {
            more: Vec::new(),
            note: None,
        })
    }

    /// Streams the table's rows in key order (binary order of the key's
    /// values, `Value::key_cmp`) into `tx`, all of them or one key range's.
    async fn stream_rows(
        &mut self,
        table: &TableData,
        range: Option<&KeyRange>,
        tx: &RowSender,
    ) -> Result<()>;

    /// Whether this engine can stream `table`'s keys with row hashes
    /// ([`EngineConnection::stream_key_hashes`]) and read its rows back
    /// by key ([`EngineConnection::stream_keyed_rows`]): a table with a
    /// key, on an engine that hashes rows on the server.
    fn hashes_by_key(&self, table: &TableData) -> bool {
        let _ = table;
        false
    }

    /// Streams, in key order, each row's key values followed by one
    /// 64-bit hash of the whole row (the session's [`RowHash`], so both
    /// sides of a run hash alike), all rows or one key range's. Only
    /// called where [`EngineConnection::hashes_by_key`] says so.
    async fn stream_key_hashes(
        &mut self,
        table: &TableData,
        range: Option<&KeyRange>,
        tx: &RowSender,
    ) -> Result<()> {
        let _ = (range, tx);
        Err(Error::Refused(format!(
            "table `{}`: this engine does not hash rows by key",
            table.name
        )))
    }

    /// Streams, in key order, the rows whose keys are among `keys` (whole
    /// keys, in key order), matched by the server's own equality: a
    /// collation's equal keys come back too, from both sides alike. Only
    /// called where [`EngineConnection::hashes_by_key`] says so.
    async fn stream_keyed_rows(
        &mut self,
        table: &TableData,
        keys: &[Vec<Value>],
        tx: &RowSender,
    ) -> Result<()> {
        let _ = (keys, tx);
        Err(Error::Refused(format!(
            "table `{}`: this engine does not read rows by key",
            table.name
        )))
    }

    /// Which of `tables` have no row at all, in order, asked in as few
    /// round trips as the engine can (a run's first look asks it of
    /// every table).
    async fn empty_tables(&mut self, tables: &[&TableData]) -> Result<Vec<bool>>;

    /// The table's exact row count.
    async fn count_rows(&mut self, table: &TableData) -> Result<u64>;

    /// The server-computed checksums of key ranges (row count and 128
    /// bits of row hashes each), one per range in order, asked in as few
    /// round trips as the engine can; `None`: this engine cannot.
    async fn range_checksums(
        &mut self,
        table: &TableData,
        ranges: &[KeyRange],
    ) -> Result<Option<Vec<Checksum>>> {
        let _ = (table, ranges);
        Ok(None)
    }

    /// The row hashes this server's range checksums can use, cheapest
    /// first; the run uses the first both sides have (MD5 at worst).
    fn row_hashes(&self) -> Vec<RowHash> {
        vec![RowHash::Md5]
    }

    /// Makes range checksums, on this session and those opened from it,
    /// use `hash` (one of [`EngineConnection::row_hashes`]).
    fn set_row_hash(&mut self, hash: RowHash) {
        let _ = hash;
    }

    /// The server's own whole-table checksum of each of `tables` (MySQL's
    /// `CHECKSUM TABLE`), in order, asked in as few round trips as the
    /// engine can; comparable only between servers of the same flavor and
    /// version; `None`: this engine has none.
    async fn table_checksums(&mut self, tables: &[&TableData]) -> Result<Option<Vec<u64>>> {
        let _ = tables;
        Ok(None)
    }

    /// Keys that cut `range` into about `parts` segments of equal row
    /// count; empty: this engine cannot tell.
    async fn split_points(
        &mut self,
        table: &TableData,
        range: &KeyRange,
        parts: usize,
    ) -> Result<Vec<Vec<Value>>> {
        let _ = (table, range, parts);
        Ok(Vec::new())
    }

    /// The table's row count and stored bytes as the server estimates
    /// them (for progress bars and the choice of diff method); `None`
    /// where that would cost a scan.
    async fn estimate_size(&mut self, table: &str) -> Option<TableSize> {
        let _ = table;
        None
    }

    /// Whether every foreign key value of the table finds its parent row
    /// here (so a copy may skip the target's checks and lose nothing they
    /// would refuse); `false`: not known, keep the checks.
    async fn references_resolve(&mut self, table: &TableData, keys: &[ForeignKey]) -> Result<bool> {
        let _ = (table, keys);
        Ok(false)
    }

    /// What the target's current rows would refuse of `change` (a new
    /// unique index meeting duplicates, NOT NULL meeting NULLs ...), a
    /// finding per refusing clause naming a few rows; empty when nothing
    /// would. `None`: this engine cannot tell in advance.
    async fn rows_refusing(&mut self, change: &SchemaChange) -> Result<Option<Vec<String>>> {
        let _ = change;
        Ok(None)
    }

    /// The table's AUTO_INCREMENT counter: the key its next generated row
    /// would get; `None`: the table has no counter, or this engine cannot
    /// tell.
    async fn auto_increment(&mut self, table: &str) -> Result<Option<u64>> {
        let _ = table;
        Ok(None)
    }

    /// Sets the table's AUTO_INCREMENT counter to `next`, as far as the
    /// engine allows (MySQL never below the largest key + 1). By default
    /// the engine has no counter to set, and nothing happens.
    async fn set_auto_increment(&mut self, table: &str, next: u64) -> Result<()> {
        let _ = (table, next);
        Ok(())
    }

    /// Runs row-write statements as one transaction: all or nothing.
    async fn execute_write(&mut self, statements: &[String]) -> Result<(), WriteError>;

    /// Runs one session-setting statement.
    async fn execute_session(&mut self, sql: &str) -> Result<()>;

    /// Runs DDL statements in order, inside the engine's DDL session
    /// settings (FK checks off while the schema changes). Stops at the
    /// first failure and names the statement.
    async fn execute_ddl(&mut self, statements: &[String]) -> Result<()>;

    /// The largest statement the target accepts.
    fn max_statement_bytes(&self) -> usize;

    /// Loads several rows into a table that started empty by the engine's
    /// bulk path, as one transaction.
    async fn load_rows(&mut self, table: &TableData, rows: &[Row]) -> BulkLoad {
        let _ = (table, rows);
        BulkLoad::Unavailable
    }

    /// Whether `load_stream` can load a whole table in one statement.
    fn streams_bulk_loads(&self) -> bool {
        false
    }

    /// Loads a whole table that is empty now from `rows` as they arrive,
    /// in one statement and one transaction. `Err` when reading the rows
    /// failed (the error that arrived on `rows`).
    async fn load_stream(&mut self, table: &TableData, rows: RowReceiver) -> Result<BulkLoad> {
        let _ = (table, rows);
        Ok(BulkLoad::Unavailable)
    }
}
