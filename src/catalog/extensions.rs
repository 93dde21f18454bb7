//! Extensions (PostgreSQL's `CREATE EXTENSION`) as schema objects of
//! their own: the model and the changes between two schemas' extensions
//! with their safety classes. An extension's own objects (types,
//! functions, operators) come with it: engines leave them out of the
//! catalog.
//!
//! A missing extension is created first in the plan (anything after may
//! use it); one at another version or in another schema is updated with
//! the other schema changes, when they are allowed; one only the target
//! has is dropped only where drops are (destructive: its objects, and
//! columns of its types, go with it).

use serde::Serialize;

use super::change::Safety;
use super::model::Catalog;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub name: String,
    /// The schema its objects are in.
    pub schema: String,
    pub version: String,
}

/// A change to the target's extensions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExtensionChange {
    Create(Extension),
    /// Both have it, at another version or in another schema.
    Update {
        current: Extension,
        desired: Extension,
    },
    /// Only the target has it.
    Drop(Extension),
}

impl ExtensionChange {
    pub fn name(&self) -> &str {
        match self {
            ExtensionChange::Create(e) | ExtensionChange::Drop(e) => &e.name,
            ExtensionChange::Update { desired, .. } => &desired.name,
        }
    }

    pub fn safety(&self) -> (Safety, Option<String>) {
        match self {
            ExtensionChange::Drop(e) => (
                Safety::Destructive,
                Some(format!(
                    "drops extension `{}` (version {}), which the source does not have, with its objects",
                    e.name, e.version
                )),
            ),
            ExtensionChange::Create(_) | ExtensionChange::Update { .. } => (Safety::Safe, None),
        }
    }
}

/// The extension steps of a plan: those first (creates and updates) and
/// those after the tables are gone (drops).
pub struct ExtensionSteps {
    pub first: Vec<ExtensionChange>,
    pub after_tables: Vec<ExtensionChange>,
}

/// Compares the two schemas' extensions by name.
pub fn extension_changes(source: &Catalog, target: &Catalog) -> ExtensionSteps {
    let mut first = Vec::new();
    for wanted in &source.extensions {
        match target.extensions.iter().find(|e| e.name == wanted.name) {
            None => first.push(ExtensionChange::Create(wanted.clone())),
            Some(current) if current != wanted => first.push(ExtensionChange::Update {
                current: current.clone(),
                desired: wanted.clone(),
            }),
            Some(_) => {}
        }
    }
    let after_tables = target
        .extensions
        .iter()
        .filter(|e| !source.extensions.iter().any(|s| s.name == e.name))
        .cloned()
        .map(ExtensionChange::Drop)
        .collect();
    ExtensionSteps {
        first,
        after_tables,
    }
}
