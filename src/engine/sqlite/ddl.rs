//! Renders schema changes as SQLite DDL, rebuilding a table where ALTER
//! TABLE cannot express the change.

use crate::catalog::change::SchemaChange;

pub fn render(change: &SchemaChange) -> Vec<String> {
    let _ = change;
    unimplemented!("SQLite DDL")
}

pub fn script_frame() -> (Vec<String>, Vec<String>) {
    (
        vec!["PRAGMA foreign_keys=OFF".to_string()],
        vec!["PRAGMA foreign_keys=ON".to_string()],
    )
}
