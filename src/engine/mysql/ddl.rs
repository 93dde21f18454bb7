//! Renders schema changes as MySQL/MariaDB DDL.

use crate::catalog::change::SchemaChange;
use crate::catalog::model::Flavor;

pub fn render(flavor: &Flavor, change: &SchemaChange) -> Vec<String> {
    let _ = (flavor, change);
    unimplemented!("MySQL DDL")
}

pub fn script_frame() -> (Vec<String>, Vec<String>) {
    (
        vec!["SET FOREIGN_KEY_CHECKS=0".to_string()],
        vec!["SET FOREIGN_KEY_CHECKS=1".to_string()],
    )
}
