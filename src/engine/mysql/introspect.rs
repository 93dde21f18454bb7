//! Reads a MySQL/MariaDB schema into the neutral catalog.

use crate::catalog::model::{Catalog, Flavor};
use crate::error::Result;

pub async fn catalog(
    conn: &mut mysql_async::Conn,
    database: &str,
    flavor: &Flavor,
) -> Result<Catalog> {
    let _ = (conn, database, flavor);
    unimplemented!("MySQL introspection")
}
