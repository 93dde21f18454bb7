//! SQLite: opening a file, introspection and DDL (with table rebuilds).

pub mod ddl;
pub mod introspect;

use crate::catalog::model::{Catalog, Flavor};
use crate::engine::Role;
use crate::error::Result;

pub struct SqliteConnection {
    conn: rusqlite::Connection,
    flavor: Flavor,
}

impl SqliteConnection {
    pub fn open(path: &str, role: Role) -> Result<Self> {
        let _ = (path, role);
        unimplemented!("SQLite open")
    }

    pub fn flavor(&self) -> &Flavor {
        &self.flavor
    }

    pub fn introspect(&mut self) -> Result<Catalog> {
        introspect::catalog(&self.conn, &self.flavor)
    }

    pub fn execute_ddl(&mut self, statements: &[String]) -> Result<()> {
        let _ = statements;
        unimplemented!("SQLite execute_ddl")
    }
}
