//! User-defined types (PostgreSQL's enums, domains, composite and range
//! types) as schema objects of their own: the model, the changes between
//! two schemas' types with their safety classes, and the order in which
//! the plan makes them (types before the tables that use them, dropped
//! after the tables that used them).

use serde::Serialize;

use super::change::Safety;
use super::model::{Catalog, CheckConstraint, Column};

/// One user-defined type of the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserType {
    pub name: String,
    /// The type as a column's `data_type` spells it (`mood`, `"Mood"`).
    pub spelled: String,
    pub kind: UserTypeKind,
    /// The engine's statement that creates it.
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum UserTypeKind {
    /// Labels in their sort order.
    Enum { labels: Vec<String> },
    Domain {
        /// The base type as the engine spells it.
        base: String,
        default: Option<String>,
        not_null: bool,
        /// By name; `definition` is the engine's `CHECK (...)` text.
        checks: Vec<CheckConstraint>,
    },
    /// Attributes in order.
    Composite { attributes: Vec<Attribute> },
    /// Everything `CREATE TYPE ... AS RANGE` says (subtype, operator
    /// class, collation, canonical and difference functions, multirange
    /// name), in the engine's words.
    Range {
        subtype: String,
        options: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribute {
    pub name: String,
    /// The type, with its collation where not the type's default.
    pub definition: String,
}

/// A column of the target of a type (or of an array of it), which a
/// type rebuild converts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypedColumn {
    pub table: String,
    pub column: Column,
    pub array: bool,
}

/// A change to the target's user-defined types.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TypeChange {
    Create(UserType),
    /// A type only the target has.
    Drop(UserType),
    /// A type both have, otherwise: changed in place where the engine
    /// can, else rebuilt; `columns` are the target's columns of it.
    Alter {
        current: UserType,
        desired: UserType,
        columns: Vec<TypedColumn>,
    },
}

impl TypeChange {
    pub fn name(&self) -> &str {
        match self {
            TypeChange::Create(t) | TypeChange::Drop(t) => &t.name,
            TypeChange::Alter { desired, .. } => &desired.name,
        }
    }

    pub fn safety(&self) -> (Safety, Option<String>) {
        match self {
            TypeChange::Create(_) => (Safety::Safe, None),
            TypeChange::Drop(t) => (
                Safety::Destructive,
                Some(format!(
                    "drops type `{}`, which the source does not have",
                    t.name
                )),
            ),
            TypeChange::Alter {
                current, desired, ..
            } => alter_safety(current, desired),
        }
    }
}

/// Whether `a`'s labels are `b`'s with some taken out (order kept).
fn is_subsequence(a: &[String], b: &[String]) -> bool {
    let mut rest = b.iter();
    a.iter().all(|x| rest.any(|y| y == x))
}

/// Labels as a message shows them: `'a', 'b'`.
pub fn shown_labels(labels: &[String]) -> String {
    labels
        .iter()
        .map(|l| format!("'{l}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The labels `current` has and `desired` lacks.
pub fn removed_labels(current: &UserType, desired: &UserType) -> Vec<String> {
    match (&current.kind, &desired.kind) {
        (UserTypeKind::Enum { labels: a }, UserTypeKind::Enum { labels: b }) => {
            a.iter().filter(|l| !b.contains(l)).cloned().collect()
        }
        _ => Vec::new(),
    }
}

fn alter_safety(current: &UserType, desired: &UserType) -> (Safety, Option<String>) {
    use UserTypeKind::*;
    let name = &desired.name;
    match (&current.kind, &desired.kind) {
        (Enum { labels: a }, Enum { labels: b }) => {
            if is_subsequence(a, b) {
                return (Safety::Safe, None);
            }
            let removed = removed_labels(current, desired);
            let reason = if removed.is_empty() {
                format!(
                    "enum `{name}` orders its labels otherwise ({}); the type is rebuilt and its columns converted",
                    shown_labels(b)
                )
            } else {
                format!(
                    "enum `{name}` loses the labels {}; the type is rebuilt and its columns converted, refused while a row holds one",
                    shown_labels(&removed)
                )
            };
            (Safety::Destructive, Some(reason))
        }
        (Domain { base: base_a, .. }, Domain { base: base_b, .. }) => {
            if base_a != base_b {
                return (
                    Safety::Destructive,
                    Some(format!(
                        "domain `{name}` changes its base type from {base_a} to {base_b}, which cannot be done in place"
                    )),
                );
            }
            // New checks and NOT NULL come after the rows, as a table's
            // new CHECK does: the rows then hold the source's values.
            (Safety::Safe, None)
        }
        (Composite { attributes: a }, Composite { attributes: b }) => {
            let dropped: Vec<&str> = a
                .iter()
                .filter(|x| !b.iter().any(|y| y.name == x.name))
                .map(|x| x.name.as_str())
                .collect();
            if !dropped.is_empty() {
                return (
                    Safety::Destructive,
                    Some(format!(
                        "composite type `{name}` drops the attributes {} and their values",
                        dropped.join(", ")
                    )),
                );
            }
            if a.iter().any(|x| b.iter().any(|y| y.name == x.name && y != x)) {
                return (
                    Safety::Lossy,
                    Some(format!(
                        "composite type `{name}` changes an attribute's type; values may not fit"
                    )),
                );
            }
            (Safety::Safe, None)
        }
        _ => (
            Safety::Destructive,
            Some(format!(
                "type `{name}` is defined otherwise in the source ({}), which cannot be changed in place",
                desired.definition
            )),
        ),
    }
}

/// The type on the way from `current` to `desired` that the rows need in
/// place before they are written, taking only safe steps: an enum with
/// the new labels (appended where it also loses or reorders labels), a
/// domain without the checks and NOT NULL the source lacks and with the
/// source's default (its new checks and NOT NULL come after the rows).
/// `desired` itself when nothing needs to wait; other kinds change at
/// once. A step keeps `current`'s `definition`: engines render a step
/// from its kind.
pub fn before_rows(current: &UserType, desired: &UserType) -> UserType {
    use UserTypeKind::*;
    let mut step = current.clone();
    match (&current.kind, &desired.kind) {
        (Enum { labels: a }, Enum { labels: b }) => {
            if is_subsequence(a, b) {
                return desired.clone();
            }
            let mut labels = a.clone();
            labels.extend(b.iter().filter(|l| !a.contains(l)).cloned());
            step.kind = Enum { labels };
        }
        (
            Domain {
                base: base_a,
                not_null: nn_a,
                checks: checks_a,
                ..
            },
            Domain {
                base: base_b,
                default,
                not_null: nn_b,
                checks: checks_b,
            },
        ) if base_a == base_b => {
            step.kind = Domain {
                base: base_a.clone(),
                default: default.clone(),
                not_null: *nn_a && *nn_b,
                checks: checks_a
                    .iter()
                    .filter(|c| checks_b.contains(c))
                    .cloned()
                    .collect(),
            };
        }
        _ => return desired.clone(),
    }
    if step.kind == desired.kind {
        return desired.clone();
    }
    step
}

/// `t` without the checks it has `NOT VALID` (a domain's), which the
/// rows it holds need not pass; `t` itself when it has none. A step keeps
/// `t`'s `definition`: engines render a step from its kind.
fn without_unvalidated(t: &UserType) -> UserType {
    let mut step = t.clone();
    if let UserTypeKind::Domain { checks, .. } = &mut step.kind {
        checks.retain(|c| !c.definition.ends_with(" NOT VALID"));
    }
    step
}

/// Whether `t` is built on the type spelled `spelled` (as a domain's
/// base, a composite's attribute, a range's subtype; arrays of it too).
fn builds_on<'a>(t: &'a UserType, spelled: &str) -> bool {
    let element = |s: &'a str| {
        s.split(" COLLATE ")
            .next()
            .unwrap_or(s)
            .trim_end_matches("[]")
    };
    match &t.kind {
        UserTypeKind::Enum { .. } => false,
        UserTypeKind::Domain { base, .. } => element(base) == spelled,
        UserTypeKind::Composite { attributes } => {
            attributes.iter().any(|a| element(&a.definition) == spelled)
        }
        UserTypeKind::Range { subtype, .. } => element(subtype) == spelled,
    }
}

/// `types` ordered so that each comes after the types it is built on (a
/// loop, which no server allows, keeps its order).
pub fn in_dependency_order(types: &mut Vec<UserType>) {
    let mut pending = std::mem::take(types);
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|t| !pending.iter().any(|o| o != t && builds_on(t, &o.spelled)))
            .unwrap_or(0);
        types.push(pending.remove(ready));
    }
}

/// The target's columns of `spelled` (or of arrays of it).
pub fn columns_of(catalog: &Catalog, spelled: &str) -> Vec<TypedColumn> {
    let mut out = Vec::new();
    for table in &catalog.tables {
        for column in &table.columns {
            let array = column.data_type.trim_end_matches("[]");
            if column.data_type == spelled || array == spelled {
                out.push(TypedColumn {
                    table: table.name.clone(),
                    column: column.clone(),
                    array: array != column.data_type,
                });
            }
        }
    }
    out
}

/// Whether one of the types `drops` takes away is still the type (or
/// array element type) of a column in `retyped`: the target's columns a
/// plan moves to another type only after the rows, so those drops must
/// wait for them.
pub fn drops_wait_for(drops: &[TypeChange], retyped: &[&Column]) -> bool {
    drops.iter().any(|change| match change {
        TypeChange::Drop(t) => retyped
            .iter()
            .any(|c| c.data_type.trim_end_matches("[]") == t.spelled),
        _ => false,
    })
}

/// The type steps of a plan: those before the tables (creates and every
/// safe change, in dependency order), those after the tables that used
/// them are gone (drops, dependents first), and those after the rows
/// (the changes that are not safe).
pub struct TypeSteps {
    pub before_tables: Vec<TypeChange>,
    pub after_tables: Vec<TypeChange>,
    pub after_rows: Vec<TypeChange>,
}

/// The types `changes` drop.
pub fn dropped(changes: &[TypeChange]) -> Vec<UserType> {
    changes
        .iter()
        .filter_map(|c| match c {
            TypeChange::Drop(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// Compares the two schemas' types by name.
pub fn type_changes(source: &Catalog, target: &Catalog) -> TypeSteps {
    let mut steps = TypeSteps {
        before_tables: Vec::new(),
        after_tables: Vec::new(),
        after_rows: Vec::new(),
    };
    let mut desired = source.types.clone();
    in_dependency_order(&mut desired);
    for wanted in desired {
        let Some(current) = target.types.iter().find(|t| t.name == wanted.name) else {
            // A domain's checks not validated on the source may refuse
            // the source's own rows: added after them.
            let step = without_unvalidated(&wanted);
            steps.before_tables.push(TypeChange::Create(step.clone()));
            if step != wanted {
                steps.after_rows.push(TypeChange::Alter {
                    current: step,
                    desired: wanted,
                    columns: Vec::new(),
                });
            }
            continue;
        };
        if *current == wanted {
            continue;
        }
        // The columns a rebuild converts: those the source keeps of this
        // type (a column the plan drops or retypes is gone by then).
        let columns: Vec<TypedColumn> = columns_of(target, &current.spelled)
            .into_iter()
            .filter(|c| {
                source
                    .table(&c.table)
                    .and_then(|t| t.column(&c.column.name))
                    .is_some_and(|s| s.data_type == c.column.data_type)
            })
            .collect();
        let step = before_rows(current, &wanted);
        if step != *current {
            steps.before_tables.push(TypeChange::Alter {
                current: current.clone(),
                desired: step.clone(),
                columns: columns.clone(),
            });
        }
        if step != wanted {
            steps.after_rows.push(TypeChange::Alter {
                current: step,
                desired: wanted,
                columns,
            });
        }
    }
    let mut extra: Vec<UserType> = target
        .types
        .iter()
        .filter(|t| !source.types.iter().any(|s| s.name == t.name))
        .cloned()
        .collect();
    in_dependency_order(&mut extra);
    steps
        .after_tables
        .extend(extra.into_iter().rev().map(TypeChange::Drop));
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enumeration(name: &str, labels: &[&str]) -> UserType {
        UserType {
            name: name.to_string(),
            spelled: name.to_string(),
            kind: UserTypeKind::Enum {
                labels: labels.iter().map(|l| l.to_string()).collect(),
            },
            definition: format!("enum {labels:?}"),
        }
    }

    fn domain(name: &str, base: &str) -> UserType {
        UserType {
            name: name.to_string(),
            spelled: name.to_string(),
            kind: UserTypeKind::Domain {
                base: base.to_string(),
                default: None,
                not_null: false,
                checks: Vec::new(),
            },
            definition: format!("domain over {base}"),
        }
    }

    #[test]
    fn new_labels_are_safe_and_lost_or_reordered_labels_destructive() {
        let current = enumeration("mood", &["sad", "ok"]);
        let more = enumeration("mood", &["awful", "sad", "meh", "ok"]);
        let fewer = enumeration("mood", &["sad"]);
        let reordered = enumeration("mood", &["ok", "sad"]);
        let alter = |desired: &UserType| TypeChange::Alter {
            current: current.clone(),
            desired: desired.clone(),
            columns: Vec::new(),
        };
        assert_eq!(alter(&more).safety().0, Safety::Safe);
        let (safety, reason) = alter(&fewer).safety();
        assert_eq!(safety, Safety::Destructive);
        assert!(reason.unwrap().contains("'ok'"));
        assert_eq!(alter(&reordered).safety().0, Safety::Destructive);
    }

    #[test]
    fn labels_the_rows_need_are_added_before_a_rebuild() {
        let current = enumeration("mood", &["sad", "meh", "ok"]);
        let desired = enumeration("mood", &["ok", "sad", "happy"]);
        let step = before_rows(&current, &desired);
        assert_eq!(
            step.kind,
            UserTypeKind::Enum {
                labels: vec!["sad".into(), "meh".into(), "ok".into(), "happy".into()]
            }
        );
        let only_adds = enumeration("mood", &["sad", "meh", "ok", "happy"]);
        assert_eq!(before_rows(&current, &only_adds), only_adds);
    }

    #[test]
    fn a_new_domain_gets_its_unvalidated_checks_after_the_rows() {
        let check = |name: &str, definition: &str| CheckConstraint {
            name: name.into(),
            expression: definition.into(),
            definition: definition.into(),
        };
        let mut wanted = domain("d", "integer");
        wanted.kind = UserTypeKind::Domain {
            base: "integer".into(),
            default: None,
            not_null: false,
            checks: vec![
                check("big", "CHECK ((VALUE < 100))"),
                check("positive", "CHECK ((VALUE > 0)) NOT VALID"),
            ],
        };
        let mut source = crate::catalog::testing::sqlite().build();
        source.types.push(wanted.clone());
        let target = crate::catalog::testing::sqlite().build();
        let steps = type_changes(&source, &target);
        let [TypeChange::Create(created)] = &steps.before_tables[..] else {
            panic!("{:?}", steps.before_tables);
        };
        let UserTypeKind::Domain { checks, .. } = &created.kind else {
            panic!("{created:?}");
        };
        assert_eq!(checks, &[check("big", "CHECK ((VALUE < 100))")]);
        assert_eq!(
            steps.after_rows,
            [TypeChange::Alter {
                current: created.clone(),
                desired: wanted,
                columns: Vec::new(),
            }]
        );
    }

    #[test]
    fn types_come_after_the_types_they_are_built_on() {
        let mut types = vec![
            domain("b_over_c", "c_over_a[]"),
            domain("c_over_a", "a_enum"),
            enumeration("a_enum", &["x"]),
        ];
        in_dependency_order(&mut types);
        let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a_enum", "c_over_a", "b_over_c"]);
    }
}
