//! The routines a table's own expressions call (column defaults,
//! generated columns, CHECKs, index expressions and predicates), and
//! those a domain's default and checks call: those the plan creates must
//! be in place before the tables and types that call them.

use super::change::{ObjectChange, SchemaChange};
use super::diff::PlannedChange;
use super::model::{DefaultValue, Table};
use super::user_types::{UserType, UserTypeKind};

/// Splits routine steps into the creations of routines some table in
/// `tables` calls (to run before the tables are created and altered) and
/// the rest (after them, as a routine may read a table).
pub fn split_called(
    routines: Vec<PlannedChange>,
    tables: &[&Table],
) -> (Vec<PlannedChange>, Vec<PlannedChange>) {
    routines.into_iter().partition(|step| match &step.change {
        SchemaChange::CreateObject {
            object,
            why: ObjectChange::Missing,
        } => tables.iter().any(|t| calls(t, &object.name)),
        _ => false,
    })
}

/// Splits routine steps into the creations (or drops) of routines a
/// domain of `types` calls in its default or checks, and the rest: a
/// routine is created before the types that call it, and dropped after
/// them.
pub fn split_called_by_types(
    routines: Vec<PlannedChange>,
    types: &[UserType],
) -> (Vec<PlannedChange>, Vec<PlannedChange>) {
    routines.into_iter().partition(|step| match &step.change {
        SchemaChange::CreateObject {
            object,
            why: ObjectChange::Missing,
        }
        | SchemaChange::DropObject {
            object,
            why: ObjectChange::Extra,
        } => {
            let bare = object.name.rsplit('.').next().unwrap_or(&object.name);
            types.iter().any(|t| match &t.kind {
                UserTypeKind::Domain {
                    default, checks, ..
                } => default
                    .iter()
                    .chain(checks.iter().map(|c| &c.expression))
                    .any(|text| mentions_call(text, bare)),
                _ => false,
            })
        }
        _ => false,
    })
}

/// Whether one of `table`'s expressions calls the routine `name`
/// (possibly schema-qualified; compared on its last part, quoted or not).
fn calls(table: &Table, name: &str) -> bool {
    let bare = name.rsplit('.').next().unwrap_or(name);
    let columns = table.columns.iter().flat_map(|c| {
        let default = match &c.default {
            Some(DefaultValue::Expression(e)) => Some(e.as_str()),
            _ => None,
        };
        default
            .into_iter()
            .chain(c.generated.iter().map(|g| g.expression.as_str()))
    });
    let checks = table.checks.iter().map(|c| c.expression.as_str());
    let indexes = table.indexes.iter().flat_map(|i| {
        i.parts
            .iter()
            .filter_map(|p| p.expression.as_deref())
            .chain(i.predicate.as_deref())
            .chain([i.definition.as_str()])
    });
    columns
        .chain(checks)
        .chain(indexes)
        .any(|text| mentions_call(text, bare))
}

/// Whether `text` has `name(` or `"name"(` where `name` is a whole word.
fn mentions_call(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    [name.to_string(), format!("\"{name}\"")]
        .iter()
        .any(|needle| {
            text.match_indices(needle.as_str()).any(|(at, _)| {
                let before = text[..at].chars().next_back();
                let after = text[at + needle.len()..].trim_start().chars().next();
                !before.is_some_and(word) && after == Some('(')
            })
        })
}

#[cfg(test)]
mod tests {
    use super::mentions_call;

    #[test]
    fn a_call_is_told_from_a_longer_name_and_a_column() {
        assert!(mentions_call("(next_code() || 'x'::text)", "next_code"));
        assert!(mentions_call("s.\"Code\" (1)", "Code"));
        assert!(!mentions_call("my_next_code()", "next_code"));
        assert!(!mentions_call("next_code > 1", "next_code"));
    }
}
