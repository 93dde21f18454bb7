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

use crate::catalog::change::SchemaChange;
use crate::catalog::model::{Catalog, EngineFamily, Flavor};
use crate::error::{Error, Result};
use crate::url::DatabaseUrl;

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

/// An open connection to one database of some engine.
enum Connection {
    MySql(mysql::MySqlConnection),
    Sqlite(sqlite::SqliteConnection),
}

impl Connection {
    async fn open(url: &DatabaseUrl, options: &ConnectOptions, role: Role) -> Result<Self> {
        match url {
            DatabaseUrl::MySql(server) => Ok(Connection::MySql(
                mysql::MySqlConnection::open(server, options, role).await?,
            )),
            DatabaseUrl::Sqlite { path } => Ok(Connection::Sqlite(
                sqlite::SqliteConnection::open(path, role)?,
            )),
            DatabaseUrl::Postgres(_) => Err(Error::Refused(format!(
                "{url}: PostgreSQL is not supported yet; lockstep syncs MySQL/MariaDB and SQLite today"
            ))),
        }
    }

    fn flavor(&self) -> &Flavor {
        match self {
            Connection::MySql(c) => c.flavor(),
            Connection::Sqlite(c) => c.flavor(),
        }
    }

    async fn introspect(&mut self) -> Result<Catalog> {
        match self {
            Connection::MySql(c) => c.introspect().await,
            Connection::Sqlite(c) => c.introspect(),
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
}

/// The target database: the only side lockstep writes to.
pub struct TargetDb {
    conn: Connection,
}

impl TargetDb {
    pub async fn open(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Self> {
        Ok(TargetDb {
            conn: Connection::open(url, options, Role::Target).await?,
        })
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
            Connection::Sqlite(c) => c.execute_ddl(statements),
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
