//! What a partition or an inheriting table has of its own on a column
//! it has from a parent: the type is the parent's (changed with it), but
//! a default, NOT NULL and a comment are each table's, compared and
//! changed on it alone. A new such table starts with its parent's; a
//! parent's column losing NOT NULL takes it off its children too (the
//! server recurses), so a child keeping it gets it back, which changes no
//! value.

use super::change::{AlterClause, Safety, SchemaChange};
use super::diff::PlannedChange;
use super::model::{Catalog, Column, Table};

/// A column a table has from a parent (a partition's, an inheriting
/// table's) has the parent's type, but its default, NOT NULL and comment
/// are its own: the clause that gives it the source's, from `from` (as it
/// is, or as it comes with a new table; without NOT NULL where the
/// parent's is taken off, which the server takes off it too).
pub(super) fn own_column_clause(
    from: &Column,
    to: &Column,
    loses_not_null: bool,
) -> Option<AlterClause> {
    let own = |c: &Column| (c.default.clone(), c.nullable, c.comment.clone());
    let mut from = Column {
        data_type: to.data_type.clone(),
        sql_type: to.sql_type.clone(),
        collation: to.collation.clone(),
        generated: to.generated.clone(),
        ..from.clone()
    };
    from.nullable |= loses_not_null;
    (own(&from) != own(to)).then(|| AlterClause::ModifyColumn {
        from,
        to: to.clone(),
        position: None,
    })
}

/// What a new table that has columns from a parent sets of its own on
/// them after it is created: it starts with its parent's default and NOT
/// NULL (as the target's parent has them, or the source's for a new
/// parent), and the parent's changes come after it.
pub(super) fn created_own_columns(
    table: &Table,
    source: &Catalog,
    target: &Catalog,
    loses_not_null: &dyn Fn(&str) -> bool,
) -> Vec<AlterClause> {
    let parent_column = |name: &str| {
        table.parents().find_map(|p| {
            target
                .table(p)
                .or_else(|| source.table(p))
                .and_then(|t| t.column(name))
        })
    };
    table
        .columns
        .iter()
        .filter(|c| table.inherits_column(&c.name))
        .filter_map(|c| {
            // Its comment comes with the table.
            let created = Column {
                comment: c.comment.clone(),
                ..parent_column(&c.name)?.clone()
            };
            own_column_clause(&created, c, loses_not_null(&c.name))
        })
        .collect()
}

/// The columns whose NOT NULL a plan puts back after a parent's change
/// takes it off: they have it on both sides.
pub(super) fn restored_not_null(
    current: &Table,
    desired: &Table,
    loses_not_null: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    current
        .columns
        .iter()
        .filter(|c| desired.inherits_column(&c.name) && !c.nullable && loses_not_null(&c.name))
        .filter(|c| desired.column(&c.name).is_some_and(|d| !d.nullable))
        .map(|c| c.name.clone())
        .collect()
}

/// The safety of `table`'s step last pushed onto `list`, without the
/// NOT NULL it puts back on the `restored` columns.
pub(super) fn excuse_restored(list: &mut [PlannedChange], table: &str, restored: &[String]) {
    let Some(last) = list.last_mut() else { return };
    let SchemaChange::AlterTable {
        desired, clauses, ..
    } = &last.change
    else {
        return;
    };
    if desired.name != table {
        return;
    }
    let puts_back = |c: &AlterClause| matches!(c, AlterClause::ModifyColumn { to, .. } if restored.contains(&to.name));
    (last.safety, last.reason) = clauses
        .iter()
        .filter(|c| !puts_back(c))
        .map(AlterClause::safety)
        .max_by_key(|(s, _)| *s)
        .unwrap_or((Safety::Safe, None));
}
