//! SQLite: opening a file, introspection, DDL (with table rebuilds), and
//! the data phase's sessions, row streams and writes. `shared` puts the
//! engine contract over the blocking connection; `dialect` renders SQL.
//!
//! A source file is opened read-only (and `query_only`), so nothing can be
//! written through it; it must already exist. So must a target in a mode
//! that writes nothing, opened the same way. A target that is written is
//! opened read-write and created when missing.

pub mod ddl;
mod dialect;
pub mod introspect;
mod parse;
mod rows;
mod shared;
mod tokens;
mod types;
pub mod write;

pub use dialect::SqliteDialect;
pub use shared::SharedSqlite;

use std::path::Path;

use rusqlite::{Connection, OpenFlags, MAIN_DB};

use crate::catalog::model::{Catalog, Flavor};
use crate::data::table::TableData;
use crate::engine::{
    DataSession, DatabaseIdentity, MissingPrivilege, PlannedAccess, Role, RowSender, WriteError,
    WriteErrorKind,
};
use crate::error::{Error, Result};

/// The one way an identifier is quoted for SQLite: `"name"`, with inner
/// double quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub struct SqliteConnection {
    conn: Connection,
    /// The file, as the URL names it.
    path: String,
    flavor: Flavor,
    /// `PRAGMA foreign_keys` as found when the file was opened; restored
    /// after every DDL run.
    foreign_keys: bool,
    /// The target's journal mode before the data phase switched it to
    /// WAL; `None` when it was WAL already (or the phase has not begun).
    journal_mode_before: Option<String>,
}

impl SqliteConnection {
    pub fn open(path: &str, role: Role) -> Result<Self> {
        let fail = |message: String, hint: &str| Error::Connect {
            role: role.as_str(),
            endpoint: format!("sqlite:{path}"),
            message,
            hint: hint.to_string(),
        };
        let flags = match role {
            Role::Source | Role::TargetReadOnly => {
                if !Path::new(path).is_file() {
                    return Err(fail(
                        "the file does not exist".to_string(),
                        match role {
                            Role::Source => "check the path; lockstep never creates a source database",
                            _ => "check the path; validate and dry runs never create the target (a sync does)",
                        },
                    ));
                }
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
            }
            Role::Target => {
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
            }
        };
        let conn = Connection::open_with_flags(path, flags).map_err(|e| {
            fail(
                e.to_string(),
                "check that the file's directory exists and that you may read (and, for a target, write) it",
            )
        })?;
        let not_a_database = |e: rusqlite::Error| {
            fail(
                e.to_string(),
                "check that the path names a SQLite database file",
            )
        };
        if !role.writes() {
            conn.pragma_update(None, "query_only", true)
                .map_err(not_a_database)?;
        }
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(not_a_database)?;
        // Reading the schema proves the file is a database.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(not_a_database)?;
        let foreign_keys = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get::<_, bool>(0))
            .map_err(not_a_database)?;
        Ok(SqliteConnection {
            conn,
            path: path.to_string(),
            flavor: Flavor::Sqlite {
                version: rusqlite::version().to_string(),
            },
            foreign_keys,
            journal_mode_before: None,
        })
    }

    pub fn flavor(&self) -> &Flavor {
        &self.flavor
    }

    pub fn introspect(&mut self) -> Result<Catalog> {
        introspect::catalog(&self.conn, &self.flavor)
    }

    /// Write access to the file, for a run that writes: SQLite opens a
    /// file it may not write read-only without a word, and every write
    /// would fail.
    pub fn missing_privileges(&self, access: &PlannedAccess<'_>) -> Vec<MissingPrivilege> {
        let writes = !access.changes.is_empty() || !access.row_writes.is_empty();
        if writes && self.conn.is_readonly(MAIN_DB).unwrap_or(false) {
            return vec![MissingPrivilege {
                privilege: "write access".to_string(),
                on: format!("the file {}", self.path),
                purpose: "to change the database".to_string(),
            }];
        }
        Vec::new()
    }

    /// The file itself: its device and inode on Unix (so a hard link or
    /// another spelling of the path is the same file), its canonical path
    /// elsewhere. `None` for a database that is no file.
    pub fn identity(&self) -> Option<DatabaseIdentity> {
        let canonical = std::fs::canonicalize(&self.path).ok()?;
        #[cfg(unix)]
        let key = {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(&canonical).ok()?;
            format!("{}:{}", meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let key = canonical.display().to_string();
        Some(DatabaseIdentity {
            key,
            shown: format!("the file {}", canonical.display()),
        })
    }

    /// Runs `statements` in one transaction with foreign key enforcement
    /// off (rows are synced later, so references may dangle meanwhile) and
    /// `legacy_alter_table` on (so renaming a rebuilt table does not check
    /// or rewrite views and triggers that name it). Both settings are
    /// restored afterwards; on failure everything is rolled back.
    pub fn execute_ddl(&mut self, statements: &[String]) -> Result<()> {
        let setting =
            |e: rusqlite::Error| Error::database("changing the SQLite DDL session settings", e);
        let legacy = self
            .conn
            .query_row("PRAGMA legacy_alter_table", [], |r| r.get::<_, bool>(0))
            .map_err(setting)?;
        // PRAGMA foreign_keys is a no-op inside a transaction: set it first.
        self.conn
            .pragma_update(None, "foreign_keys", false)
            .map_err(setting)?;
        self.conn
            .pragma_update(None, "legacy_alter_table", true)
            .map_err(setting)?;
        let result = self.run_in_transaction(statements);
        let restored = self
            .conn
            .pragma_update(None, "legacy_alter_table", legacy)
            .and_then(|()| {
                self.conn
                    .pragma_update(None, "foreign_keys", self.foreign_keys)
            })
            .map_err(setting);
        result.and(restored)
    }

    fn run_in_transaction(&mut self, statements: &[String]) -> Result<()> {
        let begin = "BEGIN IMMEDIATE";
        self.conn
            .execute_batch(begin)
            .map_err(|e| Error::statement("starting the schema change", begin, e))?;
        for statement in statements {
            if let Err(e) = self.conn.execute_batch(statement) {
                // The statement's own error is what matters; a failed
                // rollback would leave nothing more to undo.
                let _ = self.conn.execute_batch("ROLLBACK");
                let object = parse::statement_object(statement).map(|o| {
                    o.strip_prefix(ddl::REBUILD_PREFIX)
                        .map_or(o.clone(), str::to_string)
                });
                let context = match object {
                    Some(o) => format!("changing the schema of `{o}`"),
                    None => "changing the schema".to_string(),
                };
                return Err(Error::statement(context, statement, e));
            }
        }
        self.conn.execute_batch("COMMIT").map_err(|e| {
            let _ = self.conn.execute_batch("ROLLBACK");
            Error::statement("committing the schema change", "COMMIT", e)
        })
    }
}

impl SqliteConnection {
    /// Readies the connection for rows. A source opens a read transaction
    /// and reads the schema, which pins one snapshot for every later read
    /// (in a rollback-journal file that also holds a shared lock, so the
    /// file's writers wait until [`Self::finish_data_session`]). A target
    /// switches the file to WAL so a second connection can read while this
    /// one writes; `finish_data_session` restores the journal mode.
    pub fn prepare_data_session(&mut self, session: DataSession) -> Result<()> {
        match session {
            // Every statement outside a transaction sees the latest commits.
            DataSession::TargetReader => {}
            DataSession::SourceSnapshot => {
                let failed =
                    |e: rusqlite::Error| Error::database("opening the source's read snapshot", e);
                if self.conn.is_autocommit() {
                    self.conn.execute_batch("BEGIN").map_err(failed)?;
                }
                self.conn
                    .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                        r.get::<_, i64>(0)
                    })
                    .map_err(failed)?;
            }
            DataSession::TargetWriter => {
                let context =
                    "switching the target to WAL mode, so lockstep can read it while writing it";
                let mode = self
                    .journal_mode()
                    .map_err(|e| Error::database(context, e))?;
                if mode != "wal" {
                    let now = self
                        .set_journal_mode("wal")
                        .map_err(|e| Error::database(context, e))?;
                    if now != "wal" {
                        return Err(Error::database(
                            context,
                            format!("SQLite kept the journal mode `{now}`; lockstep needs a target file that supports WAL (a local file, not an in-memory database)"),
                        ));
                    }
                    self.journal_mode_before = Some(mode);
                }
            }
        }
        Ok(())
    }

    /// Ends the data phase: closes a source's read snapshot and gives a
    /// target file back its journal mode. Every other connection to the
    /// target (the reader too) must be closed first: SQLite leaves WAL
    /// mode only when this connection is the file's last.
    pub fn finish_data_session(&mut self) -> Result<()> {
        if !self.conn.is_autocommit() {
            self.conn
                .execute_batch("COMMIT")
                .map_err(|e| Error::database("closing the read snapshot", e))?;
        }
        if let Some(mode) = &self.journal_mode_before {
            let context = format!(
                "restoring the target's journal mode `{mode}` (the file stays in WAL mode until every other connection to it is closed and `PRAGMA journal_mode={mode}` runs)"
            );
            let now = self
                .set_journal_mode(mode)
                .map_err(|e| Error::database(&context, e))?;
            if &now != mode {
                return Err(Error::database(
                    context,
                    format!("SQLite kept the journal mode `{now}`"),
                ));
            }
            self.journal_mode_before = None;
        }
        Ok(())
    }

    fn journal_mode(&self) -> rusqlite::Result<String> {
        self.conn
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
            .map(|m| m.to_ascii_lowercase())
    }

    /// Sets the journal mode; returns the mode SQLite reports afterwards.
    fn set_journal_mode(&self, mode: &str) -> rusqlite::Result<String> {
        self.conn
            .pragma_update_and_check(None, "journal_mode", mode, |r| r.get::<_, String>(0))
            .map(|m| m.to_ascii_lowercase())
    }

    /// Streams the table's stored columns in key order (`COLLATE BINARY`),
    /// exact values (integer, real, text and blob kept apart), chunks of
    /// ROW_CHUNK rows, with `tx.blocking_send`.
    pub fn stream_rows(&mut self, table: &TableData, tx: &RowSender) -> Result<()> {
        rows::stream(&self.conn, table, tx)
    }

    /// Runs the statements in one transaction; on failure rolls back and
    /// classifies the error (foreign key, unique).
    pub fn execute_write(&mut self, statements: &[String]) -> Result<(), WriteError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(write_error)?;
        for statement in statements {
            if let Err(e) = self.conn.execute_batch(statement) {
                // The statement's error is what matters; a failed rollback
                // leaves nothing more to undo.
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(write_error(e));
            }
        }
        // A deferred foreign key fails the COMMIT and leaves the
        // transaction open.
        self.conn.execute_batch("COMMIT").map_err(|e| {
            let _ = self.conn.execute_batch("ROLLBACK");
            write_error(e)
        })
    }

    /// Whether the table has no row.
    pub fn is_empty(&mut self, table: &TableData) -> Result<bool> {
        let sql = format!("SELECT 1 FROM {} LIMIT 1", quote_ident(&table.name));
        let mut statement = self
            .conn
            .prepare(&sql)
            .map_err(|e| Error::statement(format!("reading `{}`", table.name), &sql, e))?;
        let mut rows = statement
            .query([])
            .map_err(|e| Error::statement(format!("reading `{}`", table.name), &sql, e))?;
        let first = rows
            .next()
            .map_err(|e| Error::statement(format!("reading `{}`", table.name), &sql, e))?;
        Ok(first.is_none())
    }

    /// The table's row count.
    pub fn count_rows(&mut self, table: &TableData) -> Result<u64> {
        let sql = format!("SELECT count(*) FROM {}", quote_ident(&table.name));
        self.conn
            .query_row(&sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(|e| {
                Error::statement(format!("counting the rows of `{}`", table.name), &sql, e)
            })
    }

    /// Runs one session-setting statement (outside any transaction).
    pub fn execute_session(&mut self, sql: &str) -> Result<()> {
        self.conn
            .execute_batch(sql)
            .map_err(|e| Error::statement("changing a session setting", sql, e))
    }
}

/// Classifies a failed write by SQLite's result codes (a read-only file
/// is a denied write). SQLite
/// names neither the foreign key nor the index; for a unique violation the
/// columns it names (`t.a, t.b`) stand in for the index.
fn write_error(e: rusqlite::Error) -> WriteError {
    use rusqlite::ffi;
    let kind = match &e {
        rusqlite::Error::SqliteFailure(failure, _)
            if matches!(
                failure.code,
                rusqlite::ErrorCode::ReadOnly
                    | rusqlite::ErrorCode::AuthorizationForStatementDenied
            ) =>
        {
            WriteErrorKind::Denied
        }
        rusqlite::Error::SqliteFailure(failure, message) => match failure.extended_code {
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => WriteErrorKind::ForeignKey { constraint: None },
            ffi::SQLITE_CONSTRAINT_UNIQUE
            | ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            | ffi::SQLITE_CONSTRAINT_ROWID => WriteErrorKind::Duplicate {
                index: message
                    .as_deref()
                    .and_then(|m| m.split_once("constraint failed: "))
                    .map(|(_, columns)| columns.to_string()),
            },
            _ => WriteErrorKind::Other,
        },
        _ => WriteErrorKind::Other,
    };
    WriteError {
        kind,
        message: e.to_string(),
    }
}
