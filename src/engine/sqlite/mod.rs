//! SQLite: opening a file, introspection and DDL (with table rebuilds).
//!
//! A source file is opened read-only (and `query_only`), so nothing can be
//! written through it; it must already exist. A target file is opened
//! read-write and created when missing.

pub mod ddl;
pub mod introspect;
mod parse;
mod rows;
mod tokens;
mod types;
pub mod write;

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::catalog::model::{Catalog, Flavor};
use crate::data::table::TableData;
use crate::engine::{DataSession, Role, RowSender, WriteError};
use crate::error::{Error, Result};

/// The one way an identifier is quoted for SQLite: `"name"`, with inner
/// double quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub struct SqliteConnection {
    conn: Connection,
    flavor: Flavor,
    /// `PRAGMA foreign_keys` as found when the file was opened; restored
    /// after every DDL run.
    foreign_keys: bool,
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
            Role::Source => {
                if !Path::new(path).is_file() {
                    return Err(fail(
                        "no such file".to_string(),
                        "check the path; lockstep never creates a source database",
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
        if role == Role::Source {
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
            flavor: Flavor::Sqlite {
                version: rusqlite::version().to_string(),
            },
            foreign_keys,
        })
    }

    pub fn flavor(&self) -> &Flavor {
        &self.flavor
    }

    pub fn introspect(&mut self) -> Result<Catalog> {
        introspect::catalog(&self.conn, &self.flavor)
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
    /// (one snapshot for every table); a target switches the file to WAL so
    /// a second connection can read while this one writes (the journal mode
    /// is restored when the data phase ends).
    pub fn prepare_data_session(&mut self, session: DataSession) -> Result<()> {
        let _ = session;
        unimplemented!("SQLite data session")
    }

    /// Streams the table's stored columns in key order (`COLLATE BINARY`),
    /// exact values (integer, real, text and blob kept apart), chunks of
    /// ROW_CHUNK rows, with `tx.blocking_send`.
    pub fn stream_rows(&mut self, table: &TableData, tx: &RowSender) -> Result<()> {
        let _ = (table, tx);
        unimplemented!("SQLite row stream")
    }

    /// Runs the statements in one transaction; on failure rolls back and
    /// classifies the error (foreign key, unique).
    pub fn execute_write(&mut self, statements: &[String]) -> Result<(), WriteError> {
        let _ = statements;
        unimplemented!("SQLite write")
    }

    /// Runs one session-setting statement (outside any transaction).
    pub fn execute_session(&mut self, sql: &str) -> Result<()> {
        self.conn
            .execute_batch(sql)
            .map_err(|e| Error::statement("changing a session setting", sql, e))
    }

    /// Restores the journal mode the file had before `TargetWriter`.
    pub fn finish_data_session(&mut self) -> Result<()> {
        unimplemented!("SQLite finish data session")
    }

    /// Triggers on the file's tables: table -> trigger names.
    pub fn triggers(&mut self) -> Result<BTreeMap<String, Vec<String>>> {
        unimplemented!("SQLite triggers")
    }
}
