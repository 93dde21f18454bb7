//! Reads a SQLite schema into the neutral catalog.

use crate::catalog::model::{Catalog, Flavor};
use crate::error::Result;

pub fn catalog(conn: &rusqlite::Connection, flavor: &Flavor) -> Result<Catalog> {
    let _ = (conn, flavor);
    unimplemented!("SQLite introspection")
}
