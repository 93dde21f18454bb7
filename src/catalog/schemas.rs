//! Namespaces (PostgreSQL schemas) other than the connection's current
//! one: which a target has that its source does not, and what each holds
//! that lockstep does not sync. One the source has is created before the
//! first object in it (by the engine, where it renders that object); one
//! only the target has is dropped after everything in it that the plan
//! drops, a destructive change.
//!
//! A schema that holds objects lockstep does not sync (a collation, an
//! operator, a foreign table ...) is never dropped with them: its drop is
//! planned, so the difference is shown, and refused when it runs, naming
//! what is in it. Dropping those along (`CASCADE`) would also drop what
//! uses them elsewhere, a column of a table in another schema say.

use serde::Serialize;

use super::change::Safety;
use super::model::Catalog;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schema {
    pub name: String,
    /// What it holds that lockstep does not sync, as the engine describes
    /// each (`collation billing.german`): dropping the schema would take
    /// them along.
    pub unsynced: Vec<String>,
}

impl Schema {
    /// Destructive: its objects went before it, by changes of their own;
    /// refused when it holds what lockstep does not sync.
    pub fn drop_safety(&self) -> (Safety, Option<String>) {
        let mut reason = format!(
            "drops schema `{}`, which the source does not have",
            self.name
        );
        if !self.unsynced.is_empty() {
            reason.push_str(&format!("; refused when it runs: {}", self.refusal()));
        }
        (Safety::Destructive, Some(reason))
    }

    /// Why the drop of a schema holding what lockstep does not sync is
    /// refused, and what the user can do.
    pub fn refusal(&self) -> String {
        format!(
            "schema `{}` holds what lockstep does not sync ({}), which dropping it would drop \
             too; drop or move those first (or the schema, with CASCADE, after checking what \
             that takes along), or leave the schema out with --exclude '{}.*'",
            self.name,
            self.unsynced.join(", "),
            self.name
        )
    }
}

/// The schemas only the target has, within `selected` (its `schema.*`,
/// and every table and view of it): dropped after their objects.
pub fn extra_schemas(
    source: &Catalog,
    target: &Catalog,
    selected: &dyn Fn(&str) -> bool,
) -> Vec<Schema> {
    target
        .schemas
        .iter()
        .filter(|s| !source.schemas.iter().any(|w| w.name == s.name))
        .filter(|s| {
            let prefix = format!("{}.", s.name);
            let names = target.tables.iter().map(|t| &t.name);
            let mut inside = names
                .chain(target.views.iter().map(|v| &v.name))
                .filter(|n| n.starts_with(&prefix));
            selected(&format!("{prefix}*")) && inside.all(|n| selected(n))
        })
        .cloned()
        .collect()
}
