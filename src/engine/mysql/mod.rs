//! MySQL / MariaDB: connection setup, introspection and DDL.
//!
//! A connection is opened from a [`ServerUrl`] with TLS chosen by the
//! `ssl-mode` / `ssl-ca` query parameters, a utf8mb4 session and the
//! configured network timeouts; a source session is read-only.

pub mod checksum;
pub mod ddl;
pub mod introspect;
mod lexer;
mod rows;
mod show_create;
pub use show_create::strip_auto_increment;
mod types;
pub mod write;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use mysql_async::prelude::Queryable;
use mysql_async::{DriverError, OptsBuilder, SslOpts};

use crate::catalog::model::{Catalog, Flavor, ForeignKey};
use crate::data::segment::{Checksum, KeyRange};
use crate::data::table::TableData;
use crate::data::value::Row;
use crate::engine::{ConnectOptions, DataSession, Role, RowSender, WriteError, WriteErrorKind};
use crate::error::{Error, Result};
use crate::url::ServerUrl;

pub struct MySqlConnection {
    conn: mysql_async::Conn,
    flavor: Flavor,
    database: String,
    /// The server's `max_allowed_packet`, read when the data session starts.
    max_allowed_packet: usize,
    /// The server takes `LOAD DATA LOCAL INFILE` (until it refuses once).
    local_infile: bool,
}

/// TLS choice from `ssl-mode`, with the MySQL client's meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    Disabled,
    /// TLS when the server offers it, plain otherwise (the default).
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

/// Reads the URL's query parameters; unknown ones are refused so a typo
/// never silently weakens TLS.
fn tls_params(server: &ServerUrl) -> Result<(SslMode, Option<PathBuf>)> {
    let bad = |message: String| Error::Url {
        url: format!("mysql://{server}"),
        message,
    };
    let mut mode = SslMode::Preferred;
    let mut ca = None;
    for (key, value) in &server.params {
        match key.as_str() {
            "ssl-mode" => {
                mode = match value.to_ascii_lowercase().as_str() {
                    "disabled" => SslMode::Disabled,
                    "preferred" => SslMode::Preferred,
                    "required" => SslMode::Required,
                    "verify_ca" => SslMode::VerifyCa,
                    "verify_identity" => SslMode::VerifyIdentity,
                    other => {
                        return Err(bad(format!(
                            "unknown ssl-mode `{other}`; use disabled, preferred, required, verify_ca or verify_identity"
                        )))
                    }
                }
            }
            "ssl-ca" if !value.is_empty() => ca = Some(PathBuf::from(value)),
            "ssl-ca" => return Err(bad("ssl-ca needs a file path".to_string())),
            other => {
                return Err(bad(format!(
                    "unknown parameter `{other}`; MySQL URLs take ssl-mode and ssl-ca"
                )))
            }
        }
    }
    Ok((mode, ca))
}

fn ssl_opts(mode: SslMode, ca: Option<&PathBuf>) -> Option<SslOpts> {
    let base =
        SslOpts::default().with_root_certs(ca.map(|p| vec![p.clone().into()]).unwrap_or_default());
    match mode {
        SslMode::Disabled => None,
        SslMode::Preferred | SslMode::Required => Some(
            base.with_danger_accept_invalid_certs(true)
                .with_danger_skip_domain_validation(true),
        ),
        SslMode::VerifyCa => Some(base.with_danger_skip_domain_validation(true)),
        SslMode::VerifyIdentity => Some(base),
    }
}

impl MySqlConnection {
    pub async fn open(server: &ServerUrl, options: &ConnectOptions, role: Role) -> Result<Self> {
        let (mode, ca) = tls_params(server)?;
        let fail = |message: String, hint: String| Error::Connect {
            role: role.as_str(),
            endpoint: server.to_string(),
            message: scrub(&message, server.password.as_deref()),
            hint,
        };
        let builder = OptsBuilder::default()
            .ip_or_hostname(server.host.clone())
            .tcp_port(server.port)
            .user(Some(server.user.clone()))
            .pass(server.password.clone())
            .db_name(Some(server.database.clone()))
            .prefer_socket(false);
        let connect = |ssl: Option<SslOpts>| {
            let opts = builder.clone().ssl_opts(ssl);
            async move {
                tokio::time::timeout(options.connect_timeout, mysql_async::Conn::new(opts)).await
            }
        };
        let mut attempt = connect(ssl_opts(mode, ca.as_ref())).await;
        if mode == SslMode::Preferred {
            if let Ok(Err(mysql_async::Error::Driver(DriverError::NoClientSslFlagFromServer))) =
                attempt
            {
                attempt = connect(None).await;
            }
        }
        let conn = match attempt {
            Err(_) => {
                return Err(fail(
                    format!(
                        "no answer within {} s (connect_timeout)",
                        options.connect_timeout.as_secs_f64()
                    ),
                    unreachable_hint(server),
                ))
            }
            Ok(Err(e)) => {
                let hint = connect_hint(&e, server);
                return Err(fail(e.to_string(), hint));
            }
            Ok(Ok(conn)) => conn,
        };
        let mut this = MySqlConnection {
            conn,
            flavor: Flavor::MySql {
                version: String::new(),
            },
            database: server.database.clone(),
            max_allowed_packet: DEFAULT_MAX_ALLOWED_PACKET,
            local_infile: true,
        };
        this.setup_session(options, role).await.map_err(|e| {
            fail(
                e.to_string(),
                "check that the account may set session variables".to_string(),
            )
        })?;
        Ok(this)
    }

    async fn setup_session(&mut self, options: &ConnectOptions, role: Role) -> Result<()> {
        let mut statements = vec![
            "SET NAMES utf8mb4".to_string(),
            format!(
                "SET SESSION net_read_timeout = {}, net_write_timeout = {}",
                options.read_timeout.as_secs().max(1),
                options.write_timeout.as_secs().max(1)
            ),
        ];
        if role == Role::Source {
            statements.push("SET SESSION TRANSACTION READ ONLY".to_string());
        }
        for sql in &statements {
            self.conn
                .query_drop(sql)
                .await
                .map_err(|e| Error::statement("setting up the session", sql, e))?;
        }
        let version: Option<String> = self
            .conn
            .query_first("SELECT VERSION()")
            .await
            .map_err(|e| Error::database("reading the server version", e))?;
        let version = version.unwrap_or_default();
        self.flavor = if version.to_ascii_lowercase().contains("mariadb") {
            Flavor::MariaDb { version }
        } else {
            Flavor::MySql { version }
        };
        Ok(())
    }

    pub fn flavor(&self) -> &Flavor {
        &self.flavor
    }

    pub async fn introspect(&mut self) -> Result<Catalog> {
        introspect::catalog(&mut self.conn, &self.database, &self.flavor).await
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

    /// Runs DDL with foreign key checks off, restoring them afterwards even
    /// when a statement fails.
    pub async fn execute_ddl(&mut self, statements: &[String]) -> Result<()> {
        const OFF: &str = "SET FOREIGN_KEY_CHECKS=0";
        const ON: &str = "SET FOREIGN_KEY_CHECKS=1";
        self.conn
            .query_drop(OFF)
            .await
            .map_err(|e| Error::statement("preparing schema changes", OFF, e))?;
        let mut outcome = Ok(());
        for sql in statements {
            if let Err(e) = self.conn.query_drop(sql).await {
                let context = match statement_object(sql) {
                    Some(name) => format!("schema change on `{name}` failed"),
                    None => "schema change failed".to_string(),
                };
                outcome = Err(Error::statement(context, sql, e));
                break;
            }
        }
        let restored = self
            .conn
            .query_drop(ON)
            .await
            .map_err(|e| Error::statement("restoring foreign key checks", ON, e));
        outcome.and(restored)
    }
}

/// Assumed until the server says otherwise (the smallest default of the
/// supported servers).
const DEFAULT_MAX_ALLOWED_PACKET: usize = 4 << 20;
/// Room left in a packet for the protocol's framing.
const PACKET_MARGIN: usize = 1024;
/// Statements are kept this small even when the server takes more.
const MAX_STATEMENT_CAP: usize = 16 << 20;
/// Session settings for exact row values, shared by lockstep's own
/// sessions and `--sql-out` scripts: TIMESTAMPs travel as UTC whatever
/// either server's zone; the SQL mode is strict, so a value the server
/// would change (truncate, clip, replace) is refused instead of stored,
/// yet without NO_ZERO_DATE / NO_ZERO_IN_DATE and with ALLOW_INVALID_DATES,
/// so zero, partial and invalid dates a source holds are written as they
/// are; NO_AUTO_VALUE_ON_ZERO so an id 0 stays 0.
pub const DATA_SESSION_SETTINGS: &[&str] = &[
    "SET time_zone = '+00:00'",
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION,ALLOW_INVALID_DATES'",
];
/// Warnings that do not mean a value changed: deprecated syntax
/// (MySQL 8.0.20+ flags `VALUES()` in ON DUPLICATE KEY UPDATE).
const HARMLESS_WARNINGS: &[u32] = &[1287];

impl MySqlConnection {
    /// Session settings for exact row transfer: `time_zone = '+00:00'`
    /// (TIMESTAMPs travel as UTC), `character_set_results = binary` (text
    /// arrives as the stored bytes), a strict but date-permissive
    /// `sql_mode` ([`DATA_SESSION_SETTINGS`]), a larger `max_sort_length` (keyless
    /// tables sort by whole rows, blobs included); reads
    /// `max_allowed_packet`. A source session then starts a read-only
    /// transaction WITH CONSISTENT SNAPSHOT that every later read uses.
    pub async fn prepare_data_session(&mut self, session: DataSession) -> Result<()> {
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
        for sql in statements {
            self.conn
                .query_drop(sql)
                .await
                .map_err(|e| Error::statement(context.as_str(), sql, e))?;
        }
        const PACKET: &str = "SELECT @@max_allowed_packet";
        let packet: Option<u64> = self
            .conn
            .query_first(PACKET)
            .await
            .map_err(|e| Error::statement(context.as_str(), PACKET, e))?;
        if let Some(packet) = packet {
            self.max_allowed_packet = usize::try_from(packet).unwrap_or(usize::MAX);
        }
        Ok(())
    }

    /// Streams the table's stored columns in key order (binary-safe: string
    /// keys ordered by their bytes), exact values, chunks of ROW_CHUNK rows.
    pub async fn stream_rows(
        &mut self,
        table: &TableData,
        range: Option<&KeyRange>,
        tx: &RowSender,
    ) -> Result<()> {
        if let Some(range) = range {
            range.check(table)?;
        }
        let condition = range.and_then(|r| checksum::range_condition(r, &self.flavor, table));
        rows::stream(&mut self.conn, table, condition, tx).await
    }

    /// The rows and row-hash sums of a key range, computed by the server.
    pub async fn checksum(&mut self, table: &TableData, range: &KeyRange) -> Result<Checksum> {
        checksum::checksum(&mut self.conn, &self.flavor, table, Some(range)).await
    }

    /// Keys that cut a range into about `parts` segments of equal size.
    pub async fn split_points(
        &mut self,
        table: &TableData,
        range: &KeyRange,
        parts: usize,
    ) -> Result<Vec<Vec<crate::data::value::Value>>> {
        checksum::split_points(&mut self.conn, &self.flavor, table, Some(range), parts).await
    }

    /// `max_allowed_packet` less a margin for the statement's framing,
    /// at most 16 MiB.
    pub fn max_statement_bytes(&self) -> usize {
        self.max_allowed_packet
            .saturating_sub(PACKET_MARGIN)
            .min(MAX_STATEMENT_CAP)
    }

    /// Runs the statements in one transaction; on failure rolls back and
    /// classifies the error (1451/1452 foreign key, 1062 duplicate). A
    /// statement that leaves a warning (a value the server changed) fails
    /// too.
    pub async fn execute_write(&mut self, statements: &[String]) -> Result<(), WriteError> {
        if statements.is_empty() {
            return Ok(());
        }
        let outcome = self.write_transaction(statements).await;
        if outcome.is_err() {
            // The failure is what matters; a lost connection rolls back too.
            let _ = self.conn.query_drop("ROLLBACK").await;
        }
        outcome
    }

    /// Loads rows into a table with `LOAD DATA LOCAL INFILE` from memory,
    /// in one transaction, refusing any warning like `execute_write`.
    /// `None` when the server does not take local files (then the caller
    /// writes INSERTs; lockstep stops asking this server).
    pub async fn load_rows(
        &mut self,
        table: &TableData,
        rows: &[Row],
    ) -> Option<Result<(), WriteError>> {
        let mut file = Vec::new();
        write::load_data_rows(&mut file, &table.columns, rows);
        let data = bytes::Bytes::from(file);
        let sql = write::load_data_sql(&self.flavor, table);
        self.load(&sql, async move {
            let stream: mysql_async::InfileData = Box::pin(OneChunk(Some(data)));
            Ok(stream)
        })
        .await
    }

    /// Loads a whole table, empty now, in one `LOAD DATA LOCAL INFILE`
    /// fed from `rows` as they arrive (memory stays at a few chunks). With
    /// FK checks off too (the caller's part), MariaDB fills an empty table
    /// in bulk: each index built by one sort, not a B-tree insert per row.
    /// One transaction: on failure nothing is kept. `None` as for
    /// `load_rows`; a read error that arrives on `rows` is returned as the
    /// outer error.
    pub async fn load_stream(
        &mut self,
        table: &TableData,
        rows: tokio::sync::mpsc::Receiver<Result<Vec<Row>>>,
    ) -> Result<Option<Result<(), WriteError>>> {
        let read_error: Arc<Mutex<Option<Error>>> = Arc::default();
        let slot = read_error.clone();
        let columns = table.columns.clone();
        let sql = write::load_data_sql(&self.flavor, table);
        let outcome = self
            .load(&sql, async move {
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
    /// indexes vouch for them, as mysqldump's files do) and back on after,
    /// also after a failure.
    async fn load(
        &mut self,
        sql: &str,
        data: impl std::future::Future<Output = mysql_async::Result<mysql_async::InfileData>>
            + Send
            + Sync
            + 'static,
    ) -> Option<Result<(), WriteError>> {
        if !self.local_infile {
            return None;
        }
        if let Err(e) = self.conn.query_drop("SET unique_checks = 0").await {
            return Some(Err(write::write_error(&self.flavor, &e)));
        }
        self.conn.set_infile_handler(data);
        let outcome = self.write_transaction(&[sql.to_string()]).await;
        if outcome.is_err() {
            let _ = self.conn.query_drop("ROLLBACK").await;
        }
        if let Err(e) = self.conn.query_drop("SET unique_checks = 1").await {
            return Some(Err(write::write_error(&self.flavor, &e)));
        }
        if let Err(e) = &outcome {
            // 1148 / 3948 / 4166: local files are turned off on one side.
            if e.message.contains("1148")
                || e.message.contains("3948")
                || e.message.contains("4166")
            {
                self.local_infile = false;
                return None;
            }
        }
        Some(outcome)
    }

    /// Whether `load_rows` and `load_stream` may work (until the server
    /// says local files are off).
    pub fn takes_local_files(&self) -> bool {
        self.local_infile
    }

    async fn write_transaction(&mut self, statements: &[String]) -> Result<(), WriteError> {
        let flavor = self.flavor.clone();
        let fail = |e: mysql_async::Error| write::write_error(&flavor, &e);
        self.conn
            .query_drop("START TRANSACTION")
            .await
            .map_err(fail)?;
        for sql in statements {
            self.conn.query_drop(sql).await.map_err(fail)?;
            if self.conn.get_warnings() > 0 {
                self.refuse_warnings(sql).await?;
            }
        }
        self.conn.query_drop("COMMIT").await.map_err(fail)
    }

    /// Fails with the last statement's warnings unless all are harmless.
    async fn refuse_warnings(&mut self, sql: &str) -> Result<(), WriteError> {
        let rows: Vec<(Vec<u8>, u32, Vec<u8>)> =
            self.conn
                .query("SHOW WARNINGS")
                .await
                .map_err(|e| WriteError {
                    kind: WriteErrorKind::Other,
                    message: format!("reading the warnings of a row write: {e}"),
                })?;
        let serious: Vec<String> = rows
            .iter()
            .filter(|(_, code, _)| !HARMLESS_WARNINGS.contains(code))
            .map(|(level, code, message)| {
                format!(
                    "{} {code}: {}",
                    String::from_utf8_lossy(level),
                    String::from_utf8_lossy(message)
                )
            })
            .collect();
        if serious.is_empty() {
            return Ok(());
        }
        let mut shown: String = sql.chars().take(200).collect();
        if shown.len() < sql.len() {
            shown.push('…');
        }
        Err(WriteError {
            kind: WriteErrorKind::Other,
            message: format!(
                "the server would not store the values exactly ({}) in: {shown}",
                serious.join("; ")
            ),
        })
    }

    /// `information_schema.TABLES.TABLE_ROWS`: InnoDB's estimate, free.
    pub async fn estimate_rows(&mut self, table: &str) -> Option<u64> {
        self.conn
            .exec_first::<u64, _, _>(
                "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                (&self.database, table),
            )
            .await
            .ok()
            .flatten()
    }

    /// `CHECKSUM TABLE`: the server's own checksum of every row, read
    /// inside the session's transaction.
    pub async fn quick_checksum(&mut self, table: &str) -> Result<u64> {
        let sql = format!("CHECKSUM TABLE {}", ddl::quote_ident(table));
        let row: Option<(mysql_async::Value, Option<u64>)> = self
            .conn
            .query_first(&sql)
            .await
            .map_err(|e| Error::statement(format!("checksumming `{table}`"), &sql, e))?;
        match row {
            Some((_, Some(sum))) => Ok(sum),
            _ => Err(Error::statement(
                format!("checksumming `{table}`"),
                &sql,
                "the server returned no checksum",
            )),
        }
    }

    /// Whether every foreign key value of `table` finds its parent row
    /// (MATCH SIMPLE: a key with a NULL column references nothing). One
    /// indexed anti-join per key, stopping at the first orphan.
    pub async fn references_resolve(&mut self, table: &str, keys: &[ForeignKey]) -> Result<bool> {
        for key in keys {
            let child = |c: &String| format!("c.{}", ddl::quote_ident(c));
            let mut set: Vec<String> = key
                .columns
                .iter()
                .map(|c| format!("{} IS NOT NULL", child(c)))
                .collect();
            let joined: Vec<String> = key
                .columns
                .iter()
                .zip(&key.referenced_columns)
                .map(|(c, p)| format!("p.{} = {}", ddl::quote_ident(p), child(c)))
                .collect();
            set.push(format!(
                "NOT EXISTS (SELECT 1 FROM {} AS p WHERE {})",
                ddl::quote_ident(&key.referenced_table),
                joined.join(" AND ")
            ));
            let sql = format!(
                "SELECT 1 FROM {} AS c WHERE {} LIMIT 1",
                ddl::quote_ident(table),
                set.join(" AND ")
            );
            let orphan: Option<mysql_async::Value> =
                self.conn.query_first(&sql).await.map_err(|e| {
                    Error::statement(format!("checking `{table}`.`{}`", key.name), &sql, e)
                })?;
            if orphan.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether the table has no row.
    pub async fn is_empty(&mut self, table: &TableData) -> Result<bool> {
        let sql = format!("SELECT 1 FROM {} LIMIT 1", ddl::quote_ident(&table.name));
        let row: Option<mysql_async::Value> = self
            .conn
            .query_first(&sql)
            .await
            .map_err(|e| Error::statement(format!("reading `{}`", table.name), &sql, e))?;
        Ok(row.is_none())
    }

    /// Runs one session-setting statement.
    pub async fn execute_session(&mut self, sql: &str) -> Result<()> {
        self.conn
            .query_drop(sql)
            .await
            .map_err(|e| Error::statement("changing a session setting", sql, e))
    }

    /// Triggers on tables of this database: table -> trigger names.
    pub async fn triggers(&mut self) -> Result<BTreeMap<String, Vec<String>>> {
        const SQL: &str =
            "SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME FROM information_schema.TRIGGERS \
             WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER, TRIGGER_NAME";
        let rows: Vec<(Vec<u8>, Vec<u8>)> = self
            .conn
            .exec(SQL, (self.database.as_str(),))
            .await
            .map_err(|e| Error::statement("reading the target's triggers", SQL, e))?;
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (table, trigger) in rows {
            out.entry(String::from_utf8_lossy(&table).into_owned())
                .or_default()
                .push(String::from_utf8_lossy(&trigger).into_owned());
        }
        Ok(out)
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

/// The first quoted name in a DDL statement: the table or view it changes.
fn statement_object(sql: &str) -> Option<String> {
    let at = sql.find('`')?;
    lexer::read_ident(&sql[at..]).map(|(name, _)| name)
}

/// Removes the password from a driver message, should one ever echo it.
fn scrub(message: &str, password: Option<&str>) -> String {
    match password {
        Some(p) if !p.is_empty() => message.replace(p, "***"),
        _ => message.to_string(),
    }
}

fn unreachable_hint(server: &ServerUrl) -> String {
    format!(
        "is the server running at {}:{}? check host and port",
        server.host, server.port
    )
}

/// What the user can do about a failed connection, by error kind.
fn connect_hint(error: &mysql_async::Error, server: &ServerUrl) -> String {
    match error {
        mysql_async::Error::Server(e) => match e.code {
            1045 | 1044 | 1698 => "check user and password".to_string(),
            1049 => format!(
                "database `{}` does not exist: create it or fix the database name",
                server.database
            ),
            1130 => format!(
                "the server refuses connections from this host for user `{}`; grant access or connect from an allowed host",
                server.user
            ),
            _ => "see the server's message above".to_string(),
        },
        mysql_async::Error::Driver(DriverError::NoClientSslFlagFromServer) => {
            "the server does not offer TLS; use ssl-mode=preferred or disabled, or enable TLS on the server".to_string()
        }
        mysql_async::Error::Io(mysql_async::IoError::Tls(_)) => {
            "the TLS handshake failed; check ssl-ca and ssl-mode against the server's certificate".to_string()
        }
        mysql_async::Error::Io(_) | mysql_async::Error::Driver(_) => unreachable_hint(server),
        _ => "check the connection settings".to_string(),
    }
}
