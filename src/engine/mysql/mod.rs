//! MySQL / MariaDB: connection setup, introspection and DDL.

pub mod ddl;
pub mod introspect;

use crate::catalog::model::{Catalog, Flavor};
use crate::engine::{ConnectOptions, Role};
use crate::error::Result;
use crate::url::ServerUrl;

pub struct MySqlConnection {
    conn: mysql_async::Conn,
    flavor: Flavor,
    database: String,
}

impl MySqlConnection {
    pub async fn open(server: &ServerUrl, options: &ConnectOptions, role: Role) -> Result<Self> {
        let _ = (server, options, role);
        unimplemented!("MySQL connect")
    }

    pub fn flavor(&self) -> &Flavor {
        &self.flavor
    }

    pub async fn introspect(&mut self) -> Result<Catalog> {
        introspect::catalog(&mut self.conn, &self.database, &self.flavor).await
    }

    pub async fn execute_ddl(&mut self, statements: &[String]) -> Result<()> {
        let _ = statements;
        unimplemented!("MySQL execute_ddl")
    }
}
