//! The safety class of each planned change (README "Safety": safe, lossy
//! for narrowing a type / changing a charset / NULL -> NOT NULL,
//! destructive for dropping a table, column or view), on hand-built
//! catalogs.

use super::change::Safety;
use super::diff::PlannedChange;
use super::testing::{mysql, mysql_plan, table};

/// The plan that changes one column of `t` from `from` to `to`.
fn change_column(from: &str, to: &str) -> Vec<PlannedChange> {
    let target = mysql()
        .table(table("t").col("id", "int NOT NULL").col("c", from))
        .build();
    let source = mysql()
        .table(table("t").col("id", "int NOT NULL").col("c", to))
        .build();
    mysql_plan(&source, &target)
}

/// The single step's safety class, checking there is exactly one step.
fn only_safety(plan: &[PlannedChange]) -> Safety {
    assert_eq!(plan.len(), 1, "expected one step, got {plan:#?}");
    plan[0].safety
}

#[track_caller]
fn assert_column_change(from: &str, to: &str, expected: Safety) {
    let plan = change_column(from, to);
    assert_eq!(
        only_safety(&plan),
        expected,
        "`{from}` -> `{to}`: {:?}",
        plan[0].reason
    );
    assert_eq!(
        plan[0].reason.is_some(),
        expected != Safety::Safe,
        "a reason is given exactly when the change is not safe"
    );
}

#[test]
fn dropping_a_table_is_destructive_and_names_it() {
    let target = mysql().table(table("old").col("id", "int")).build();
    let plan = mysql_plan(&mysql().build(), &target);
    assert_eq!(only_safety(&plan), Safety::Destructive);
    assert!(plan[0].reason.as_deref().unwrap().contains("`old`"));
}

/// The foreign keys of a table about to be dropped go first, in a step of
/// their own: it only prepares the drop, so it is refused with it.
#[test]
fn dropping_the_foreign_keys_of_a_dropped_table_shares_its_class() {
    let target = mysql()
        .table(table("parent").col("id", "int").pk(&["id"]))
        .table(
            table("child")
                .col("id", "int")
                .col("p", "int")
                .fk("child_ibfk_1", "p", "parent"),
        )
        .build();
    let plan = mysql_plan(&mysql().build(), &target);
    assert_eq!(plan.len(), 3, "{plan:#?}");
    assert!(
        plan.iter().all(|p| p.safety == Safety::Destructive),
        "{plan:#?}"
    );
    assert!(plan[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("prepares dropping table `child`"));
}

#[test]
fn dropping_a_column_is_destructive_and_names_it() {
    let target = mysql()
        .table(table("t").col("id", "int").col("gone", "int"))
        .build();
    let source = mysql().table(table("t").col("id", "int")).build();
    let plan = mysql_plan(&source, &target);
    assert_eq!(only_safety(&plan), Safety::Destructive);
    assert!(plan[0].reason.as_deref().unwrap().contains("`gone`"));
}

#[test]
fn dropping_an_extra_view_is_destructive_but_recreating_a_changed_one_is_not() {
    let target = mysql()
        .table(table("t").col("id", "int"))
        .view("changed", "select id from t", &["t"])
        .view("extra", "select id from t", &["t"])
        .build();
    let source = mysql()
        .table(table("t").col("id", "int"))
        .view("changed", "select id + 1 from t", &["t"])
        .build();
    let safety: Vec<(String, Safety)> = mysql_plan(&source, &target)
        .iter()
        .map(|p| (p.change.object_name().to_string(), p.safety))
        .collect();
    assert_eq!(
        safety,
        [
            ("changed".to_string(), Safety::Safe),
            ("extra".to_string(), Safety::Destructive),
            ("changed".to_string(), Safety::Safe),
        ]
    );
}

#[test]
fn narrowing_a_type_is_lossy() {
    assert_column_change("bigint", "int", Safety::Lossy);
    assert_column_change("int", "tinyint", Safety::Lossy);
    assert_column_change("int unsigned", "int", Safety::Lossy);
    assert_column_change("int", "int unsigned", Safety::Lossy);
    assert_column_change("varchar(40)", "varchar(10)", Safety::Lossy);
    assert_column_change("text", "varchar(255)", Safety::Lossy);
    assert_column_change("decimal(10,2)", "decimal(10,1)", Safety::Lossy);
    assert_column_change("datetime", "date", Safety::Lossy);
}

#[test]
fn widening_a_type_is_safe() {
    assert_column_change("int", "bigint", Safety::Safe);
    assert_column_change("int unsigned", "bigint", Safety::Safe);
    assert_column_change("varchar(10)", "varchar(40)", Safety::Safe);
    assert_column_change("char(10)", "varchar(10)", Safety::Safe);
    assert_column_change("decimal(10,2)", "decimal(12,3)", Safety::Safe);
    assert_column_change("date", "datetime", Safety::Safe);
    assert_column_change("int", "decimal(12,0)", Safety::Safe);
}

#[test]
fn changing_a_charset_is_lossy() {
    assert_column_change(
        "varchar(40) CHARACTER SET utf8mb4",
        "varchar(40) CHARACTER SET latin1",
        Safety::Lossy,
    );
}

#[test]
fn null_to_not_null_is_lossy_and_back_is_safe() {
    assert_column_change("int", "int NOT NULL", Safety::Lossy);
    assert_column_change("int NOT NULL", "int", Safety::Safe);
}

#[test]
fn adding_a_nullable_column_an_index_or_a_table_is_safe() {
    let target = mysql().table(table("t").col("id", "int")).build();
    let source = mysql()
        .table(
            table("t")
                .col("id", "int")
                .col("note", "text")
                .index("ix_id", &["id"]),
        )
        .table(table("new").col("id", "int"))
        .build();
    let plan = mysql_plan(&source, &target);
    assert_eq!(plan.len(), 2, "{plan:#?}");
    assert!(
        plan.iter()
            .all(|p| p.safety == Safety::Safe && p.reason.is_none()),
        "{plan:#?}"
    );
}

#[test]
fn an_alter_takes_the_worst_class_of_its_clauses() {
    let target = mysql()
        .table(table("t").col("id", "int").col("gone", "int"))
        .build();
    let source = mysql()
        .table(
            table("t")
                .col("id", "int NOT NULL")
                .col("note", "text")
                .index("ix_id", &["id"]),
        )
        .build();
    // Safe (add column, add index), lossy (NOT NULL), destructive (drop column).
    assert_eq!(
        only_safety(&mysql_plan(&source, &target)),
        Safety::Destructive
    );
}

#[test]
fn changing_a_generated_expression_is_safe() {
    assert_column_change(
        "int GENERATED ALWAYS AS (`id` + 1) STORED",
        "int GENERATED ALWAYS AS (`id` * 2) STORED",
        Safety::Safe,
    );
}

#[test]
fn integer_into_a_decimal_needs_the_digits_left_of_the_point() {
    // INT reaches 2147483647 (10 digits); DECIMAL(10,2) stops at 99999999.99.
    assert_column_change("int", "decimal(10,2)", Safety::Lossy);
    assert_column_change("smallint", "decimal(6,2)", Safety::Lossy);
    assert_column_change("int", "decimal(12,2)", Safety::Safe);
    assert_column_change("tinyint", "decimal(5,2)", Safety::Safe);
}

#[test]
fn a_stored_column_becoming_generated_is_lossy_and_back_is_safe() {
    // Its stored values give way to the expression's.
    assert_column_change(
        "int",
        "int GENERATED ALWAYS AS (`id` * 2) STORED",
        Safety::Lossy,
    );
    // A generated column made plain keeps the values it had.
    assert_column_change(
        "int GENERATED ALWAYS AS (`id` * 2) STORED",
        "int",
        Safety::Safe,
    );
}

#[test]
fn row_security_comes_after_the_rows_and_only_a_policy_drop_is_destructive() {
    use super::change::{AlterClause, SchemaChange};
    use super::diff::Phase;
    let target = mysql()
        .table(
            table("t")
                .col("id", "int NOT NULL")
                .policy("gone", "(a = 0)")
                .policy("kept", "(a = 1)"),
        )
        .build();
    let source = mysql()
        .table(
            table("t")
                .col("id", "int NOT NULL")
                .row_security(true)
                .policy("kept", "(a = 2)")
                .policy("new", "true"),
        )
        .table(
            table("u")
                .col("id", "int NOT NULL")
                .row_security(false)
                .policy("p", "true"),
        )
        .build();
    let plan = mysql_plan(&source, &target);
    let security = |p: &PlannedChange| match &p.change {
        SchemaChange::AlterTable {
            desired, clauses, ..
        } => match clauses.as_slice() {
            [AlterClause::ChangeOptions { from, to }] => Some((
                desired.name.clone(),
                from.row_security.clone(),
                to.row_security.clone(),
            )),
            _ => None,
        },
        _ => None,
    };
    // `u` is created without its row security, which follows the rows.
    let SchemaChange::CreateTable(u) = &plan[0].change else {
        panic!("{plan:#?}");
    };
    assert_eq!(u.options.row_security, Default::default());
    let after: Vec<_> = plan
        .iter()
        .filter_map(|p| security(p).map(|s| (p, s)))
        .collect();
    assert_eq!(after.len(), 3, "{plan:#?}");
    assert!(after.iter().all(|(p, _)| p.phase == Phase::PostData));
    // `t`: enabled, forced, `kept` changed, `new` created: safe, with
    // `gone` still there ...
    let (step, (name, from, to)) = &after[0];
    assert_eq!((name.as_str(), step.safety), ("t", Safety::Safe));
    assert!(!from.enabled && to.enabled && to.forced);
    assert_eq!(to.policies.len(), 3);
    // ... which goes in a step of its own, destructive, naming it.
    let (step, (name, from, to)) = &after[1];
    assert_eq!((name.as_str(), step.safety), ("t", Safety::Destructive));
    assert!(step.reason.as_deref().unwrap().contains("policy `gone`"));
    assert_eq!(from.dropped(to).count(), 1);
    let (step, (name, _, to)) = &after[2];
    assert_eq!((name.as_str(), step.safety), ("u", Safety::Safe));
    assert!(!step.change.needs_rows());
    assert_eq!(to.policies.len(), 1);
    // Equal on both sides: nothing to do.
    assert!(mysql_plan(&source, &source).is_empty());
}

#[test]
fn grants_follow_the_rows_and_only_a_revoke_is_destructive() {
    use super::change::{AlterClause, SchemaChange};
    use super::diff::Phase;
    let target = mysql()
        .table(table("t").col("id", "int NOT NULL").grant("DELETE", "old"))
        .build();
    let source = mysql()
        .table(table("t").col("id", "int NOT NULL").grant("SELECT", "app"))
        .table(table("u").col("id", "int NOT NULL").grant("SELECT", "app"))
        .build();
    let plan = mysql_plan(&source, &target);
    // `u` is created without its grants, which follow the rows.
    let SchemaChange::CreateTable(u) = &plan[0].change else {
        panic!("{plan:#?}");
    };
    assert!(u.options.grants.is_empty());
    let steps: Vec<_> = plan
        .iter()
        .filter_map(|p| match &p.change {
            SchemaChange::AlterTable {
                desired, clauses, ..
            } => match clauses.as_slice() {
                [AlterClause::ChangeOptions { from, to }] => {
                    Some((p, desired.name.as_str(), from.grants.len(), to.grants.len()))
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    // `t`: SELECT granted with DELETE kept (safe), then DELETE revoked
    // (destructive); `u`: SELECT granted.
    let shape: Vec<_> = steps
        .iter()
        .map(|(p, name, from, to)| (*name, *from, *to, p.safety))
        .collect();
    assert_eq!(
        shape,
        [
            ("t", 1, 2, Safety::Safe),
            ("t", 2, 1, Safety::Destructive),
            ("u", 0, 1, Safety::Safe)
        ],
        "{plan:#?}"
    );
    assert!(steps.iter().all(|(p, ..)| p.phase == Phase::PostData));
    let why = steps[1].0.reason.as_deref().unwrap_or_default();
    assert!(why.contains("revokes DELETE from old"), "{why}");
}
