//! Turns planned schema changes into the mismatches a person reads: one
//! line per difference, with a kind (`missing_column`, `type_difference`,
//! ...) that scripts can count.

use crate::catalog::change::{AlterClause, ObjectChange, SchemaChange};
use crate::catalog::diff::PlannedChange;
use crate::catalog::extensions::ExtensionChange;
use crate::catalog::grants::Grant;
use crate::catalog::model::SchemaObject;
use crate::catalog::sequences::SequenceChange;
use crate::catalog::user_types::TypeChange;

use super::Mismatch;

/// The differences a plan repairs, one per table-level fact.
pub fn mismatches(plan: &[PlannedChange]) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for planned in plan {
        let table = planned.change.object_name().to_string();
        let mut push = |kind: &str, detail: String| {
            let m = Mismatch {
                table: table.clone(),
                kind: kind.to_string(),
                detail,
            };
            if !out.contains(&m) {
                out.push(m);
            }
        };
        match &planned.change {
            SchemaChange::CreateTable(t) => {
                push("missing_table", format!("table `{}` is missing", t.name))
            }
            SchemaChange::DropTable(t) => push(
                "extra_table",
                format!("table `{}` exists only in the target", t.name),
            ),
            SchemaChange::CreateView(v) => push(
                "missing_view",
                format!("view `{}` is missing or differs", v.name),
            ),
            SchemaChange::DropView(v) => push(
                "extra_view",
                format!("view `{}` differs or exists only in the target", v.name),
            ),
            SchemaChange::AlterTable {
                clauses,
                current,
                desired,
            } => {
                for clause in clauses {
                    if let Some((kind, detail)) = describe_clause(clause, current, desired) {
                        push(kind, detail);
                    }
                }
            }
            // A trigger or event that differs is dropped and created:
            // described once, by its creation.
            SchemaChange::CreateObject { object, why } => match why {
                ObjectChange::Missing => push(
                    &format!("missing_{}", object.kind),
                    format!("{} is missing", describe_object(object)),
                ),
                ObjectChange::Differs => push(
                    &format!("{}_difference", object.kind),
                    format!("{} differs", describe_object(object)),
                ),
                ObjectChange::Extra | ObjectChange::Suspended | ObjectChange::Recreated => {}
            },
            SchemaChange::DropObject {
                object,
                why: ObjectChange::Extra,
            } => push(
                &format!("extra_{}", object.kind),
                format!("{} exists only in the target", describe_object(object)),
            ),
            SchemaChange::DropObject { .. } => {}
            SchemaChange::ReplaceObject { desired, .. } => push(
                &format!("{}_difference", desired.kind),
                format!("{} differs", describe_object(desired)),
            ),
            SchemaChange::Type(TypeChange::Create(t)) => {
                push("missing_type", format!("type `{}` is missing", t.name))
            }
            SchemaChange::Type(TypeChange::Drop(t)) => push(
                "extra_type",
                format!("type `{}` exists only in the target", t.name),
            ),
            SchemaChange::Type(TypeChange::Alter { desired, .. }) => push(
                "type_difference",
                format!("type `{}` differs", desired.name),
            ),
            SchemaChange::Extension(ExtensionChange::Create(e)) => push(
                "missing_extension",
                format!("extension `{}` (version {}) is missing", e.name, e.version),
            ),
            SchemaChange::Extension(ExtensionChange::Drop(e)) => push(
                "extra_extension",
                format!("extension `{}` exists only in the target", e.name),
            ),
            SchemaChange::Extension(ExtensionChange::Update { current, desired }) => push(
                "extension_difference",
                format!(
                    "extension `{}` is version {} in schema `{}` in the source, {} in `{}` in the target",
                    desired.name, desired.version, desired.schema, current.version, current.schema
                ),
            ),
            SchemaChange::Sequence(SequenceChange::Create(q)) => {
                push("missing_sequence", format!("sequence `{}` is missing", q.name))
            }
            SchemaChange::Sequence(SequenceChange::Drop(q)) => push(
                "extra_sequence",
                format!("sequence `{}` exists only in the target", q.name),
            ),
            SchemaChange::Sequence(SequenceChange::Alter { current, desired }) => push(
                "sequence_difference",
                format!(
                    "sequence `{}` is {} in the source, {} in the target",
                    desired.name, desired.options, current.options
                ),
            ),
            SchemaChange::Sequence(SequenceChange::Own { sequence, owner }) => push(
                "sequence_owner_difference",
                match owner {
                    Some(o) => format!(
                        "sequence `{sequence}` belongs to column `{}` of `{}` in the source",
                        o.column, o.table
                    ),
                    None => format!("sequence `{sequence}` belongs to another column or none in the source"),
                },
            ),
            SchemaChange::Grants(g) => push(
                &format!("{}_privilege_difference", g.kind.as_str()),
                format!(
                    "{} `{}`: privileges differ (the source grants {}, the target {})",
                    g.kind.as_str(),
                    g.name,
                    grant_list(&g.to),
                    grant_list(&g.from)
                ),
            ),
            SchemaChange::DropSchema(schema) => push(
                "extra_schema",
                format!("schema `{}` exists only in the target", schema.name),
            ),
        }
    }
    out
}

/// `SELECT to app, USAGE to PUBLIC`, or `nothing`.
fn grant_list(grants: &[Grant]) -> String {
    if grants.is_empty() {
        return "nothing".to_string();
    }
    let each: Vec<String> = grants
        .iter()
        .map(|g| format!("{} to {}", g.what(), g.grantee_name()))
        .collect();
    each.join(", ")
}

/// `trigger `t_ins` on `t``, `procedure `p``.
fn describe_object(object: &SchemaObject) -> String {
    match &object.table {
        Some(table) => format!("{} `{}` on `{table}`", object.kind, object.name),
        None => format!("{} `{}`", object.kind, object.name),
    }
}

fn describe_clause(
    clause: &AlterClause,
    current: &crate::catalog::model::Table,
    desired: &crate::catalog::model::Table,
) -> Option<(&'static str, String)> {
    // A dropped-and-re-added object is described once, by its addition.
    let described = match clause {
        AlterClause::AddColumn { column, .. } => (
            "missing_column",
            format!("missing column `{}` {}", column.name, column.data_type),
        ),
        AlterClause::DropColumn(c) => (
            "extra_column",
            format!("column `{}` exists only in the target", c.name),
        ),
        AlterClause::ModifyColumn { from, to, .. } => {
            if from.data_type != to.data_type {
                (
                    "type_difference",
                    format!(
                        "column `{}`: {} in the target, {} in the source",
                        to.name, from.data_type, to.data_type
                    ),
                )
            } else if from.definition != to.definition {
                (
                    "column_definition",
                    format!(
                        "column `{}`: `{}` in the target, `{}` in the source",
                        to.name, from.definition, to.definition
                    ),
                )
            } else {
                (
                    "column_order",
                    format!("column `{}` is in another position", to.name),
                )
            }
        }
        AlterClause::DropPrimaryKey(_) | AlterClause::AddPrimaryKey(_) => (
            "primary_key",
            format!(
                "primary key ({}) in the target, ({}) in the source",
                current
                    .primary_key
                    .as_ref()
                    .map(|i| i.column_names().join(", "))
                    .unwrap_or_else(|| "none".into()),
                desired
                    .primary_key
                    .as_ref()
                    .map(|i| i.column_names().join(", "))
                    .unwrap_or_else(|| "none".into()),
            ),
        ),
        AlterClause::AddIndex(i) => match current.index(&i.name) {
            Some(_) => (
                "index_difference",
                format!("index `{}` differs or is out of order", i.name),
            ),
            None => (
                "missing_index",
                format!(
                    "missing index `{}` ({})",
                    i.name,
                    i.column_names().join(", ")
                ),
            ),
        },
        AlterClause::DropIndex(i) => match desired.index(&i.name) {
            Some(_) => return None,
            None => (
                "extra_index",
                format!("index `{}` exists only in the target", i.name),
            ),
        },
        AlterClause::AddForeignKey(fk) => match current.foreign_key(&fk.name) {
            Some(_) => (
                "foreign_key_difference",
                format!("foreign key `{}` differs", fk.name),
            ),
            None => (
                "missing_foreign_key",
                format!(
                    "missing foreign key `{}` ({}) -> {}({})",
                    fk.name,
                    fk.columns.join(", "),
                    fk.referenced_table,
                    fk.referenced_columns.join(", ")
                ),
            ),
        },
        AlterClause::DropForeignKey(fk) => match desired.foreign_key(&fk.name) {
            Some(_) => return None,
            None => (
                "extra_foreign_key",
                format!("foreign key `{}` exists only in the target", fk.name),
            ),
        },
        AlterClause::AddCheck(c) => match current.check(&c.name) {
            Some(_) => ("check_difference", format!("check `{}` differs", c.name)),
            None => (
                "missing_check",
                format!("missing check `{}`: {}", c.name, c.expression),
            ),
        },
        AlterClause::DropCheck(c) => match desired.check(&c.name) {
            Some(_) => return None,
            None => (
                "extra_check",
                format!("check `{}` exists only in the target", c.name),
            ),
        },
        AlterClause::ChangeOptions { from, to } => {
            let mut parts = Vec::new();
            if from.engine != to.engine {
                parts.push(format!("engine {:?} -> {:?}", from.engine, to.engine));
            }
            if from.charset != to.charset || from.collation != to.collation {
                parts.push(format!(
                    "charset {}/{} -> {}/{}",
                    from.charset.as_deref().unwrap_or("-"),
                    from.collation.as_deref().unwrap_or("-"),
                    to.charset.as_deref().unwrap_or("-"),
                    to.collation.as_deref().unwrap_or("-")
                ));
            }
            if from.comment != to.comment {
                parts.push("comment".into());
            }
            if from.extra != to.extra {
                parts.push(format!(
                    "options [{}] -> [{}]",
                    from.extra.join(" "),
                    to.extra.join(" ")
                ));
            }
            if from.partitioning != to.partitioning {
                parts.push("partitioning".into());
            }
            if from.part_comments != to.part_comments {
                parts.push("comments on indexes or constraints".into());
            }
            let (old, new) = (&from.row_security, &to.row_security);
            if (old.enabled, old.forced) != (new.enabled, new.forced) {
                let flags =
                    |r: &crate::catalog::row_security::RowSecurity| match (r.enabled, r.forced) {
                        (false, _) => "off",
                        (true, false) => "enabled",
                        (true, true) => "enabled and forced",
                    };
                parts.push(format!(
                    "row-level security {} -> {}",
                    flags(old),
                    flags(new)
                ));
            }
            let policies =
                |a: &crate::catalog::row_security::RowSecurity,
                 b: &crate::catalog::row_security::RowSecurity| {
                    a.policies
                        .iter()
                        .filter(|p| b.policy(&p.name) != Some(*p))
                        .map(|p| format!("`{}`", p.name))
                        .collect::<Vec<_>>()
                };
            let wanted = policies(new, old);
            if !wanted.is_empty() {
                parts.push(format!("policies {} created or changed", wanted.join(", ")));
            }
            let dropped: Vec<String> = old.dropped(new).map(|p| format!("`{}`", p.name)).collect();
            if !dropped.is_empty() {
                parts.push(format!("policies {} dropped", dropped.join(", ")));
            }
            let privileges = crate::catalog::grants::changes(&from.grants, &to.grants);
            let listed = |list: &[&crate::catalog::grants::Grant], to: &str| {
                list.iter()
                    .map(|g| format!("{} {to} {}", g.what(), g.grantee_name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if !privileges.granted.is_empty() {
                parts.push(format!("grants {}", listed(&privileges.granted, "to")));
            }
            if !privileges.revoked.is_empty() {
                parts.push(format!("revokes {}", listed(&privileges.revoked, "from")));
            }
            if !privileges.option_revoked.is_empty() {
                parts.push(format!(
                    "revokes the grant option for {}",
                    listed(&privileges.option_revoked, "of")
                ));
            }
            if from.partition_of != to.partition_of {
                let place = |o: &Option<crate::catalog::model::PartitionOf>| match o {
                    Some(p) => format!("partition of `{}` {}", p.parent, p.bound),
                    None => "no partition".to_string(),
                };
                parts.push(format!(
                    "{} -> {}",
                    place(&from.partition_of),
                    place(&to.partition_of)
                ));
            }
            if from.inherits != to.inherits {
                parts.push(format!(
                    "inherits [{}] -> [{}]",
                    from.inherits.join(", "),
                    to.inherits.join(", ")
                ));
            }
            (
                "table_options",
                format!("table options differ: {}", parts.join("; ")),
            )
        }
    };
    Some(described)
}
