//! Whether the source's schema moved while a run read its rows. The
//! schema is read before the rows' snapshot opens (MySQL's data dictionary
//! is not read through a snapshot anyway), so a table or view created,
//! dropped or changed in between is synced as it was first read. Reading
//! the schema again at the end finds such a change, and the run says so
//! instead of calling the copy identical.

use crate::catalog::model::{Catalog, Table};

/// The selected tables and views whose definition differs between two
/// reads of the source's schema (created, dropped or changed), by name.
pub fn changed(before: &Catalog, after: &Catalog, selected: impl Fn(&str) -> bool) -> Vec<String> {
    let mut names: Vec<&str> = before
        .tables
        .iter()
        .chain(&after.tables)
        .map(|t| t.name.as_str())
        .chain(
            before
                .views
                .iter()
                .chain(&after.views)
                .map(|v| v.name.as_str()),
        )
        .filter(|name| selected(name))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter(|name| {
            without_grants(before, name) != without_grants(after, name)
                || before.views.iter().find(|v| v.name == *name)
                    != after.views.iter().find(|v| v.name == *name)
        })
        .map(str::to_string)
        .collect()
}

/// What the report says about such tables.
pub fn warning(changed: &[String]) -> String {
    let names: Vec<String> = changed.iter().map(|n| format!("`{n}`")).collect();
    format!(
        "the source's schema changed during the run ({}): lockstep read it before the rows, so these were synced as they were defined then, and the copy is not called identical; run the same command again to follow the change",
        names.join(", ")
    )
}

/// The table `name` without its privileges: they decide who may read
/// the rows, not what the rows are, and the run takes out of the
/// source's first read the grants the target cannot hold.
fn without_grants(catalog: &Catalog, name: &str) -> Option<Table> {
    catalog.table(name).map(|t| {
        let mut t = t.clone();
        t.options.grants.clear();
        t
    })
}
