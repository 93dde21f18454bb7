//! Sequences (PostgreSQL) as schema objects of their own: those created
//! on their own (`CREATE SEQUENCE`) and those behind `serial` columns,
//! not an identity column's, which is part of its column. The model, the
//! changes between two schemas' sequences with their safety classes, and
//! where each goes in a plan. A sequence's position (the next value it
//! gives) is the state of the rows, not of the schema: the data phase
//! sets it for the tables drawing from it, and it is not compared here.
//!
//! A sequence is created and its options changed before the tables (a
//! default draws from it); it is given to its owning column (`OWNED BY`)
//! after the tables are created and altered, taken from a column before
//! them (so dropping that column or its table does not take it along),
//! and dropped after the tables (an owned one may already be gone with
//! its table). Its privileges change after the rows, as a table's do:
//! grants first (safe), then revokes (destructive).

use serde::Serialize;

use super::change::Safety;
use super::grants::{object_grant_steps, Grant, GrantedKind, ObjectGrants};
use super::model::Catalog;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sequence {
    pub name: String,
    /// Its type, start, increment, bounds, cache and cycling in the
    /// engine's syntax (`AS integer START WITH 1 INCREMENT BY 1 ...`),
    /// as `CREATE SEQUENCE` and `ALTER SEQUENCE` both take them.
    pub options: String,
    /// The column it belongs to (`OWNED BY`): dropped with it.
    pub owned_by: Option<SequenceOwner>,
    /// The tables whose column defaults draw from it, by name.
    pub used_by: Vec<String>,
    /// Privileges granted to roles other than its owner, in its ACL's
    /// order (see `grants`).
    pub grants: Vec<Grant>,
}

/// A sequence's owning column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SequenceOwner {
    pub table: String,
    pub column: String,
}

/// A change to the target's sequences.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SequenceChange {
    /// Created with the source's options, owned by no column yet.
    Create(Sequence),
    /// Both have it, with other options.
    Alter {
        current: Sequence,
        desired: Sequence,
    },
    /// Given to a column, or taken from the one that owns it (`None`).
    Own {
        sequence: String,
        owner: Option<SequenceOwner>,
    },
    /// Only the target has it.
    Drop(Sequence),
}

impl SequenceChange {
    pub fn name(&self) -> &str {
        match self {
            SequenceChange::Create(s) | SequenceChange::Drop(s) => &s.name,
            SequenceChange::Alter { desired, .. } => &desired.name,
            SequenceChange::Own { sequence, .. } => sequence,
        }
    }

    /// Dropping loses where the sequence is (keys handed out already
    /// would be handed out again by a new one); changing its options or
    /// its owner keeps every stored value.
    pub fn safety(&self) -> (Safety, Option<String>) {
        match self {
            SequenceChange::Drop(s) => (
                Safety::Destructive,
                Some(format!(
                    "drops sequence `{}`, which the source does not have, and where it stands",
                    s.name
                )),
            ),
            SequenceChange::Create(_)
            | SequenceChange::Alter { .. }
            | SequenceChange::Own { .. } => (Safety::Safe, None),
        }
    }
}

/// The sequence steps of a plan, by where they go.
pub struct SequenceSteps {
    /// Creates, option changes and owners taken away: before the tables.
    pub before_tables: Vec<SequenceChange>,
    /// Owners given: after the tables are created and altered.
    pub owners: Vec<SequenceChange>,
    /// Drops: after the tables are dropped.
    pub after_tables: Vec<SequenceChange>,
    /// Privileges: after the rows, grants before revokes.
    pub privileges: Vec<ObjectGrants>,
}

/// Whether `selected` covers the sequence: by its own name, its owner's
/// or a table drawing from it.
fn in_scope(sequence: &Sequence, selected: &dyn Fn(&str) -> bool) -> bool {
    selected(&sequence.name)
        || sequence
            .owned_by
            .as_ref()
            .is_some_and(|o| selected(&o.table))
        || sequence.used_by.iter().any(|t| selected(t))
}

/// Compares the two schemas' sequences by name.
pub fn sequence_changes(
    source: &Catalog,
    target: &Catalog,
    selected: &dyn Fn(&str) -> bool,
) -> SequenceSteps {
    let mut steps = SequenceSteps {
        before_tables: Vec::new(),
        owners: Vec::new(),
        after_tables: Vec::new(),
        privileges: Vec::new(),
    };
    for wanted in source.sequences.iter().filter(|s| in_scope(s, selected)) {
        let current = target.sequences.iter().find(|s| s.name == wanted.name);
        let had = current.map_or(&[][..], |c| &c.grants);
        steps.privileges.extend(object_grant_steps(
            GrantedKind::Sequence,
            &wanted.name,
            None,
            had,
            &wanted.grants,
        ));
        match current {
            None => steps.before_tables.push(SequenceChange::Create(Sequence {
                owned_by: None,
                grants: Vec::new(),
                ..wanted.clone()
            })),
            Some(current) if current.options != wanted.options => {
                steps.before_tables.push(SequenceChange::Alter {
                    current: current.clone(),
                    desired: wanted.clone(),
                })
            }
            Some(_) => {}
        }
        let current_owner = current.and_then(|c| c.owned_by.as_ref());
        if current_owner == wanted.owned_by.as_ref() {
            continue;
        }
        if current_owner.is_some() {
            steps.before_tables.push(SequenceChange::Own {
                sequence: wanted.name.clone(),
                owner: None,
            });
        }
        if let Some(owner) = &wanted.owned_by {
            steps.owners.push(SequenceChange::Own {
                sequence: wanted.name.clone(),
                owner: Some(owner.clone()),
            });
        }
    }
    steps.after_tables = target
        .sequences
        .iter()
        .filter(|s| in_scope(s, selected))
        .filter(|s| !source.sequences.iter().any(|w| w.name == s.name))
        .cloned()
        .map(SequenceChange::Drop)
        .collect();
    steps
}
