//! Triggers, routines and events in the diff: what is planned, in which
//! phase, how safe, on hand-built catalogs (no server).

use super::change::{ObjectChange, Safety, SchemaChange, Suspension};
use super::diff::{diff, DiffOptions, Phase, PlannedChange};
use super::model::{Catalog, ObjectKind, Unreadable};
use super::testing::{mysql, mysql_plan, sqlite, sqlite_plan, steps, table, CatalogBuilder};

const TRIGGER: &str = "CREATE TRIGGER t_ins BEFORE INSERT ON t FOR EACH ROW SET NEW.v = 1";

/// `t` and `audit`, with `extra` added on.
fn base(extra: impl FnOnce(CatalogBuilder) -> CatalogBuilder) -> Catalog {
    extra(
        mysql()
            .table(
                table("t")
                    .col("id", "int NOT NULL")
                    .col("v", "int")
                    .pk(&["id"]),
            )
            .table(table("audit").col("n", "int")),
    )
    .build()
}

fn phases(plan: &[PlannedChange]) -> Vec<(String, Phase)> {
    plan.iter()
        .map(|p| (steps(std::slice::from_ref(p))[0].clone(), p.phase))
        .collect()
}

/// The plan when rows are written after it.
fn plan_with_rows(source: &Catalog, target: &Catalog) -> Vec<PlannedChange> {
    let options = DiffOptions {
        separate_fk_phase: true,
        fks_after_rows: false,
        index_order_matters: true,
        suspend_triggers: true,
    };
    diff(source, target, &|_| true, options)
}

#[test]
fn routines_come_before_views_and_triggers_and_events_after_the_rows() {
    let source = mysql()
        .table(table("t").col("id", "int NOT NULL").pk(&["id"]))
        .view("v", "select f(id) from t", &["t"])
        .object(
            ObjectKind::Function,
            "f",
            None,
            "CREATE FUNCTION f(x int) RETURNS int RETURN x",
        )
        .object(ObjectKind::Trigger, "t_ins", Some("t"), TRIGGER)
        .object(
            ObjectKind::Event,
            "nightly",
            None,
            "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DO DELETE FROM t",
        )
        .build();
    let plan = mysql_plan(&source, &mysql().build());
    assert_eq!(
        phases(&plan),
        [
            ("create table t".to_string(), Phase::PreData),
            ("create function f (Missing)".to_string(), Phase::PreData),
            ("create view v".to_string(), Phase::PreData),
            (
                "create trigger t_ins (Missing)".to_string(),
                Phase::PostData
            ),
            (
                "create event nightly (Missing)".to_string(),
                Phase::PostData
            ),
        ]
    );
    assert!(plan.iter().all(|p| p.safety == Safety::Safe));
}

#[test]
fn an_object_only_the_target_has_is_dropped_first_and_destructively() {
    let source = base(|c| c);
    let target = base(|c| {
        c.object(ObjectKind::Trigger, "t_ins", Some("t"), TRIGGER)
            .object(
                ObjectKind::Procedure,
                "p",
                None,
                "CREATE PROCEDURE p() SELECT 1",
            )
    });
    let plan = mysql_plan(&source, &target);
    assert_eq!(
        steps(&plan),
        ["drop trigger t_ins (Extra)", "drop procedure p (Extra)"]
    );
    assert!(plan
        .iter()
        .all(|p| p.safety == Safety::Destructive && p.phase == Phase::PreData));
    assert!(plan[0].reason.as_deref().unwrap().contains("t_ins"));
}

#[test]
fn a_trigger_that_differs_waits_for_the_rows_a_routine_is_replaced_before_them() {
    let source = base(|c| {
        c.object(ObjectKind::Trigger, "t_ins", Some("t"), TRIGGER)
            .object(
                ObjectKind::Function,
                "f",
                None,
                "CREATE FUNCTION f() RETURNS int RETURN 2",
            )
    });
    let mut target = base(|c| {
        c.object(ObjectKind::Trigger, "t_ins", Some("t"), TRIGGER)
            .object(
                ObjectKind::Function,
                "f",
                None,
                "CREATE FUNCTION f() RETURNS int RETURN 1",
            )
    });
    // Same text, another sql_mode: another trigger.
    target.objects[0].context.sql_mode = Some("ANSI_QUOTES".into());
    let plan = mysql_plan(&source, &target);
    assert_eq!(
        phases(&plan),
        [
            ("drop trigger t_ins (Differs)".to_string(), Phase::PreData),
            ("replace function f".to_string(), Phase::PreData),
            (
                "create trigger t_ins (Differs)".to_string(),
                Phase::PostData
            ),
        ]
    );
    assert!(plan.iter().all(|p| p.safety == Safety::Safe));
}

#[test]
fn equal_triggers_and_events_are_suspended_while_rows_are_written_and_only_then() {
    let both = base(|c| {
        c.object(ObjectKind::Trigger, "t_ins", Some("t"), TRIGGER)
            .object(
                ObjectKind::Event,
                "nightly",
                None,
                "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DO DELETE FROM t",
            )
    });
    assert!(mysql_plan(&both, &both).is_empty(), "nothing differs");
    let plan = plan_with_rows(&both, &both);
    assert_eq!(
        phases(&plan),
        [
            ("drop trigger t_ins (Suspended)".to_string(), Phase::PreData),
            ("drop event nightly (Suspended)".to_string(), Phase::PreData),
            (
                "create trigger t_ins (Suspended)".to_string(),
                Phase::PostData
            ),
            (
                "create event nightly (Suspended)".to_string(),
                Phase::PostData
            ),
        ]
    );
    assert!(plan.iter().all(|p| p.safety == Safety::Safe));
    // A trigger waits for its own table's writes, an event for any.
    let kinds: Vec<_> = plan.iter().map(|p| p.change.suspends()).collect();
    assert_eq!(
        kinds,
        [
            Some(Suspension::TableWrites),
            Some(Suspension::AnyWrites),
            Some(Suspension::TableWrites),
            Some(Suspension::AnyWrites),
        ]
    );
}

#[test]
fn a_changed_trigger_brings_its_tables_other_triggers_back_in_the_source_order() {
    let second = "CREATE TRIGGER t_ins2 BEFORE INSERT ON t FOR EACH ROW SET NEW.v = 2";
    let source = base(|c| {
        c.object(ObjectKind::Trigger, "t_ins", Some("t"), TRIGGER)
            .object(ObjectKind::Trigger, "t_ins2", Some("t"), second)
    });
    let target = base(|c| c.object(ObjectKind::Trigger, "t_ins2", Some("t"), second));
    assert_eq!(
        steps(&mysql_plan(&source, &target)),
        [
            "drop trigger t_ins2 (Recreated)",
            "create trigger t_ins (Missing)",
            "create trigger t_ins2 (Recreated)",
        ]
    );
}

#[test]
fn a_rebuilt_sqlite_table_gets_its_triggers_back() {
    let trigger = "CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN SELECT 1; END";
    let with = |col: &str| {
        sqlite()
            .table(
                table("t")
                    .col("id", "INTEGER NOT NULL")
                    .col("v", col)
                    .pk(&["id"]),
            )
            .object(ObjectKind::Trigger, "t_ins", Some("t"), trigger)
            .build()
    };
    let plan = sqlite_plan(&with("TEXT"), &with("INTEGER"));
    assert_eq!(
        steps(&plan),
        [
            "drop trigger t_ins (Recreated)",
            "alter t: modify column v",
            "create trigger t_ins (Recreated)",
        ]
    );
}

#[test]
fn kinds_an_account_cannot_read_are_left_alone() {
    let source = base(|c| c);
    let mut target = base(|c| c.object(ObjectKind::Trigger, "t_ins", Some("t"), TRIGGER));
    let mut blind = source.clone();
    blind.unreadable.push(Unreadable {
        kind: ObjectKind::Trigger,
        reason: "no TRIGGER privilege".into(),
    });
    assert!(mysql_plan(&blind, &target).is_empty());
    target.unreadable = blind.unreadable.clone();
    assert!(mysql_plan(&source, &target).is_empty());
}

#[test]
fn a_routine_that_is_missing_is_a_create_not_a_difference() {
    let source = base(|c| {
        c.object(
            ObjectKind::Procedure,
            "p",
            None,
            "CREATE PROCEDURE p() SELECT 1",
        )
    });
    let plan = mysql_plan(&source, &base(|c| c));
    assert!(matches!(
        &plan[..],
        [PlannedChange {
            change: SchemaChange::CreateObject {
                why: ObjectChange::Missing,
                ..
            },
            phase: Phase::PreData,
            ..
        }]
    ));
}

/// A routine the source does not have goes after the table changes, so a
/// column default or check that calls it is gone first.
#[test]
fn an_extra_routine_is_dropped_after_the_columns_that_call_it() {
    let source = base(|c| c);
    let target = base(|c| {
        c.table(
            table("uses_f")
                .col("id", "int NOT NULL")
                .col("v", "int DEFAULT f()"),
        )
        .object(
            ObjectKind::Function,
            "f",
            None,
            "CREATE FUNCTION f() RETURNS int RETURN 1",
        )
    });
    let plan = mysql_plan(&source, &target);
    assert_eq!(
        steps(&plan),
        ["drop table uses_f", "drop function f (Extra)"]
    );
}

/// Two triggers of one name on two tables (PostgreSQL names triggers per
/// table) are two objects: equal on both sides, the plan leaves them.
#[test]
fn triggers_of_one_name_on_two_tables_are_told_apart() {
    let on = |table: &str| {
        format!("CREATE TRIGGER tr AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION f()")
    };
    let source = base(|c| {
        c.object(ObjectKind::Trigger, "tr", Some("audit"), &on("audit"))
            .object(ObjectKind::Trigger, "tr", Some("t"), &on("t"))
    });
    let target = base(|c| {
        c.object(ObjectKind::Trigger, "tr", Some("t"), &on("t"))
            .object(ObjectKind::Trigger, "tr", Some("audit"), &on("audit"))
    });
    assert_eq!(steps(&mysql_plan(&source, &target)), Vec::<String>::new());
}
