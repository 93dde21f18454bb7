//! Schema changes: the typed differences between two catalogs, each with a
//! safety class. `diff` produces them in an order that cannot fail on
//! dependencies; each engine renders them as its own DDL.

use serde::Serialize;

use super::grants::{self, Grant};
use super::model::{
    CheckConstraint, Column, ForeignKey, Index, ObjectKind, SchemaObject, Table, TableOptions, View,
};
use super::user_types::TypeChange;

/// How much a change can hurt the data already in the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    /// Keeps every stored value.
    Safe,
    /// Keeps rows but may change or truncate values (narrowing a type,
    /// changing a charset, NULL -> NOT NULL).
    Lossy,
    /// Drops data (a table, a column).
    Destructive,
}

impl std::fmt::Display for Safety {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Safety::Safe => "safe",
            Safety::Lossy => "lossy",
            Safety::Destructive => "destructive",
        })
    }
}

/// Where a column goes in the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ColumnPosition {
    First,
    After(String),
}

/// One change to one table, as part of an `ALTER TABLE`.
// Plans hold a handful of these; boxing the big variants would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum AlterClause {
    AddColumn {
        column: Column,
        position: ColumnPosition,
    },
    DropColumn(Column),
    /// Change a column's definition and/or position. `position` is `None`
    /// when the column stays where it is.
    ModifyColumn {
        from: Column,
        to: Column,
        position: Option<ColumnPosition>,
    },
    DropPrimaryKey(Index),
    AddPrimaryKey(Index),
    DropIndex(Index),
    AddIndex(Index),
    DropForeignKey(ForeignKey),
    AddForeignKey(ForeignKey),
    DropCheck(CheckConstraint),
    AddCheck(CheckConstraint),
    ChangeOptions {
        from: TableOptions,
        to: TableOptions,
    },
}

/// One step of a schema plan.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SchemaChange {
    /// Create a table exactly as the source has it (foreign keys included;
    /// the apply runs with FK checks off so order between new tables does
    /// not matter).
    CreateTable(Table),
    DropTable(Table),
    /// Alter one table. `current` is the target's table as it is and
    /// `desired` the source's, so an engine that cannot express a clause
    /// (SQLite) can rebuild the table instead.
    AlterTable {
        current: Table,
        desired: Table,
        clauses: Vec<AlterClause>,
    },
    CreateView(View),
    DropView(View),
    /// Create a trigger, routine or event exactly as the source has it
    /// (with its definer and session context).
    CreateObject {
        object: SchemaObject,
        why: ObjectChange,
    },
    /// Drop one of the target's triggers, routines or events.
    DropObject {
        object: SchemaObject,
        why: ObjectChange,
    },
    /// Replace a routine whose text or context differs, in one step (the
    /// routines a view or trigger calls are in place before them).
    ReplaceObject {
        current: SchemaObject,
        desired: SchemaObject,
    },
    /// Create, drop or change a user-defined type (PostgreSQL).
    Type(TypeChange),
    /// A change to the target's extensions (PostgreSQL).
    Extension(super::extensions::ExtensionChange),
    /// A change to the target's sequences (PostgreSQL).
    Sequence(super::sequences::SequenceChange),
    /// Drop a schema only the target has, once its objects are gone
    /// (PostgreSQL).
    DropSchema(super::schemas::Schema),
    /// Grant or revoke privileges on a sequence or view (PostgreSQL).
    Grants(super::grants::ObjectGrants),
}

/// Why an object is created or dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectChange {
    /// The target lacks it (create).
    Missing,
    /// Only the target has it (drop): destructive.
    Extra,
    /// Both have it, with other text or context: the target's goes before
    /// the rows, the source's comes after them (triggers, events).
    Differs,
    /// Equal on both sides, but must not fire while rows are written (a
    /// trigger of a table whose rows are written; an event, which may
    /// write into any table): dropped before the rows, created again
    /// after. Not a difference; dropped only if rows are written.
    Suspended,
    /// Equal on both sides, but its table is rebuilt or another trigger
    /// of its table changes: dropped before, created again after, in the
    /// source's firing order. Not a difference.
    Recreated,
}

/// Which row writes an equal object is suspended for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Suspension {
    /// A trigger: the writes to its own table.
    TableWrites,
    /// An event: any write (its body may write into any table).
    AnyWrites,
}

impl SchemaChange {
    /// The table or view the change is about: for a trigger, its table;
    /// for a routine or event, its own name.
    pub fn object_name(&self) -> &str {
        match self {
            SchemaChange::CreateTable(t) | SchemaChange::DropTable(t) => &t.name,
            SchemaChange::AlterTable { desired, .. } => &desired.name,
            SchemaChange::CreateView(v) | SchemaChange::DropView(v) => &v.name,
            SchemaChange::CreateObject { object, .. }
            | SchemaChange::DropObject { object, .. }
            | SchemaChange::ReplaceObject {
                desired: object, ..
            } => object.table.as_deref().unwrap_or(&object.name),
            SchemaChange::Type(change) => change.name(),
            SchemaChange::Extension(change) => change.name(),
            SchemaChange::Sequence(change) => change.name(),
            SchemaChange::DropSchema(schema) => &schema.name,
            SchemaChange::Grants(grants) => &grants.name,
        }
    }

    /// Whether the change alters the shape of the table's rows (its
    /// columns or its primary key): until it runs, the target's rows cannot
    /// be compared with the source's. Indexes, foreign keys, checks and
    /// options leave the rows comparable.
    pub fn reshapes_rows(&self) -> bool {
        match self {
            SchemaChange::CreateTable(_) | SchemaChange::DropTable(_) => true,
            SchemaChange::AlterTable { clauses, .. } => clauses.iter().any(|c| {
                matches!(
                    c,
                    AlterClause::AddColumn { .. }
                        | AlterClause::DropColumn(_)
                        | AlterClause::ModifyColumn { .. }
                        | AlterClause::DropPrimaryKey(_)
                        | AlterClause::AddPrimaryKey(_)
                )
            }),
            SchemaChange::CreateView(_)
            | SchemaChange::DropView(_)
            | SchemaChange::CreateObject { .. }
            | SchemaChange::DropObject { .. }
            | SchemaChange::ReplaceObject { .. }
            | SchemaChange::Type(_)
            | SchemaChange::Extension(_)
            | SchemaChange::Sequence(_)
            | SchemaChange::DropSchema(_)
            | SchemaChange::Grants(_) => false,
        }
    }

    /// Whether the change drops a trigger for a schema change (one the
    /// source does not have as it is, or an equal one whose table's
    /// triggers are created again): until the schema is fixed, it would
    /// fire on the rows written to its table.
    pub fn drops_trigger(&self) -> bool {
        matches!(self, SchemaChange::DropObject { object, why }
            if object.kind == ObjectKind::Trigger && *why != ObjectChange::Suspended)
    }

    /// Whether the change only takes an equal trigger or event out of the
    /// rows' way, or puts it back, and for which writes.
    pub fn suspends(&self) -> Option<Suspension> {
        match self {
            SchemaChange::DropObject {
                object,
                why: ObjectChange::Suspended,
            }
            | SchemaChange::CreateObject {
                object,
                why: ObjectChange::Suspended,
            } => Some(match object.kind {
                ObjectKind::Trigger => Suspension::TableWrites,
                _ => Suspension::AnyWrites,
            }),
            _ => None,
        }
    }

    /// Whether the change, run after the rows, needs its table's rows to
    /// match the source first (a constraint they could refuse); triggers,
    /// routines, events and types only need the rows written.
    pub fn needs_rows(&self) -> bool {
        match self {
            // Row security and privileges refuse no row.
            SchemaChange::AlterTable { clauses, .. } => !clauses.iter().all(|c| {
                matches!(c, AlterClause::ChangeOptions { from, to }
                if *to == TableOptions {
                    row_security: to.row_security.clone(),
                    grants: to.grants.clone(),
                    ..from.clone()
                })
            }),
            SchemaChange::CreateObject { .. }
            | SchemaChange::DropObject { .. }
            | SchemaChange::ReplaceObject { .. }
            | SchemaChange::Type(_)
            | SchemaChange::Extension(_)
            | SchemaChange::Sequence(_)
            | SchemaChange::DropSchema(_)
            | SchemaChange::Grants(_) => false,
            SchemaChange::CreateTable(_)
            | SchemaChange::DropTable(_)
            | SchemaChange::CreateView(_)
            | SchemaChange::DropView(_) => true,
        }
    }

    /// The worst safety class among the change's parts, with a reason for
    /// anything that is not safe.
    pub fn safety(&self) -> (Safety, Option<String>) {
        match self {
            SchemaChange::DropTable(t) => (
                Safety::Destructive,
                Some(format!("drops table `{}` and all its rows", t.name)),
            ),
            SchemaChange::AlterTable { clauses, .. } => clauses
                .iter()
                .map(AlterClause::safety)
                .max_by_key(|(s, _)| *s)
                .unwrap_or((Safety::Safe, None)),
            SchemaChange::Type(change) => change.safety(),
            SchemaChange::Extension(change) => change.safety(),
            SchemaChange::Sequence(change) => change.safety(),
            SchemaChange::DropSchema(schema) => schema.drop_safety(),
            SchemaChange::Grants(grants) => revokes_safety(&grants.from, &grants.to),
            SchemaChange::DropObject {
                object,
                why: ObjectChange::Extra,
            } => (
                Safety::Destructive,
                Some(format!(
                    "drops {} `{}`, which the source does not have",
                    object.kind, object.name
                )),
            ),
            SchemaChange::CreateTable(_)
            | SchemaChange::CreateView(_)
            | SchemaChange::DropView(_)
            | SchemaChange::CreateObject { .. }
            | SchemaChange::DropObject { .. }
            | SchemaChange::ReplaceObject { .. } => (Safety::Safe, None),
        }
    }
}

impl AlterClause {
    pub fn safety(&self) -> (Safety, Option<String>) {
        match self {
            AlterClause::DropColumn(c) => (
                Safety::Destructive,
                Some(format!("drops column `{}` and its values", c.name)),
            ),
            AlterClause::ModifyColumn { from, to, .. } => column_change_safety(from, to),
            AlterClause::ChangeOptions { from, to } => match (&from.partition_of, &to.partition_of)
            {
                (Some(old), Some(new)) if old != new => (
                    Safety::Destructive,
                    Some(format!(
                        "moves partition bound {} to {} of `{}`: the partition's rows on the target are deleted, and the source's copied again",
                        old.bound, new.bound, new.parent
                    )),
                ),
                _ => match from.row_security.dropped(&to.row_security).next() {
                    Some(policy) => (
                        Safety::Destructive,
                        Some(format!(
                            "drops policy `{}`, which the source does not have: the rows it let through or kept out are no longer filtered by it",
                            policy.name
                        )),
                    ),
                    None => revokes_safety(&from.grants, &to.grants),
                },
            },
            _ => (Safety::Safe, None),
        }
    }
}

pub(crate) fn column_change_safety(from: &Column, to: &Column) -> (Safety, Option<String>) {
    if from.generated.is_some() {
        // Generated values are recomputed from other columns: nothing stored is lost.
        return (Safety::Safe, None);
    }
    if let Some(generated) = &to.generated {
        return (
            Safety::Lossy,
            Some(format!(
                "column `{}` becomes generated as {}; its stored values are replaced",
                to.name, generated.expression
            )),
        );
    }
    if !from.sql_type.fits_into(&to.sql_type) {
        return (
            Safety::Lossy,
            Some(format!(
                "column `{}` changes type from {} to {}; values may not fit",
                to.name, from.data_type, to.data_type
            )),
        );
    }
    if from.charset.is_some() && to.charset.is_some() && from.charset != to.charset {
        return (
            Safety::Lossy,
            Some(format!(
                "column `{}` changes charset from {} to {}; characters may not convert",
                to.name,
                from.charset.as_deref().unwrap_or_default(),
                to.charset.as_deref().unwrap_or_default()
            )),
        );
    }
    if from.nullable && !to.nullable {
        return (
            Safety::Lossy,
            Some(format!(
                "column `{}` becomes NOT NULL; existing NULLs would change",
                to.name
            )),
        );
    }
    (Safety::Safe, None)
}

/// A revoke takes access away from whoever uses the target as that
/// role (an application's login may stop working): destructive, as a
/// drop is. Granting takes nothing away: safe.
fn revokes_safety(from: &[Grant], to: &[Grant]) -> (Safety, Option<String>) {
    let changes = grants::changes(from, to);
    let Some(first) = changes.revoked.first().or(changes.option_revoked.first()) else {
        return (Safety::Safe, None);
    };
    (
        Safety::Destructive,
        Some(format!(
            "revokes {} from {}, which the source does not grant: whoever connects as that role loses that access",
            first.what(),
            first.grantee_name()
        )),
    )
}
