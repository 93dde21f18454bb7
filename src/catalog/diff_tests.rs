//! The diff's plan order, checked on hand-built catalogs (no server).

use super::change::{Safety, SchemaChange};
use super::diff::{diff, DiffOptions};
use super::extensions::{Extension, ExtensionChange};
use super::model::Catalog;
use super::schemas::Schema;
use super::sequences::{Sequence, SequenceOwner};
use super::testing::{mysql, mysql_plan, sqlite, sqlite_plan, steps, table};

/// A small shop: users, orders pointing at users, a check, an index, a view.
fn shop() -> Catalog {
    mysql()
        .table(
            table("users")
                .col("id", "int NOT NULL")
                .col("email", "varchar(40)")
                .pk(&["id"])
                .index("ix_email", &["email"]),
        )
        .table(
            table("orders")
                .col("id", "int NOT NULL")
                .col("user_id", "int")
                .col("total", "decimal(10,2)")
                .pk(&["id"])
                .fk("fk_orders_user", "user_id", "users")
                .check("ck_total", "`total` >= 0"),
        )
        .view(
            "big_orders",
            "select * from orders where total > 100",
            &["orders"],
        )
        .build()
}

#[test]
fn equal_catalogs_give_an_empty_plan() {
    assert_eq!(mysql_plan(&shop(), &shop()), vec![]);
    assert_eq!(sqlite_plan(&shop(), &shop()), vec![]);
}

#[test]
fn whole_plan_drops_fks_then_creates_alters_drops_tables_and_adds_fks_last() {
    let target = mysql()
        .table(table("users").col("id", "int NOT NULL").pk(&["id"]))
        .table(
            table("orders")
                .col("id", "int NOT NULL")
                .col("user_id", "int")
                .fk("fk_orders_user", "user_id", "users"),
        )
        .table(
            table("legacy")
                .col("user_id", "int")
                .fk("fk_legacy_user", "user_id", "users"),
        )
        .build();
    // orders' FK now points at a new table, orders gains an FK to another
    // new table, users gains a column, legacy goes away.
    let source = mysql()
        .table(
            table("users")
                .col("id", "int NOT NULL")
                .col("name", "varchar(40)")
                .pk(&["id"]),
        )
        .table(table("customers").col("id", "int NOT NULL").pk(&["id"]))
        .table(table("shops").col("id", "int NOT NULL").pk(&["id"]))
        .table(
            table("orders")
                .col("id", "int NOT NULL")
                .col("user_id", "int")
                .col("shop_id", "int")
                .fk("fk_orders_user", "user_id", "customers")
                .fk("fk_orders_shop", "shop_id", "shops"),
        )
        .build();
    assert_eq!(
        steps(&mysql_plan(&source, &target)),
        [
            "alter orders: drop fk fk_orders_user",
            "alter legacy: drop fk fk_legacy_user",
            "create table customers",
            "create table shops",
            "alter orders: add column shop_id after user_id",
            "alter users: add column name after id",
            "drop table legacy",
            "alter orders: add fk fk_orders_user, add fk fk_orders_shop",
        ]
    );
}

#[test]
fn sqlite_plan_keeps_fk_changes_in_their_tables_alter_after_the_creates() {
    let target = sqlite()
        .table(table("users").col("id", "integer"))
        .table(
            table("orders")
                .col("user_id", "integer")
                .fk("fk_orders_user", "user_id", "users"),
        )
        .table(
            table("legacy")
                .col("user_id", "integer")
                .fk("fk_legacy_user", "user_id", "users"),
        )
        .build();
    let source = sqlite()
        .table(table("users").col("id", "integer"))
        .table(table("customers").col("id", "integer"))
        .table(table("orders").col("user_id", "integer").fk(
            "fk_orders_user",
            "user_id",
            "customers",
        ))
        .build();
    assert_eq!(
        steps(&sqlite_plan(&source, &target)),
        [
            "create table customers",
            "alter orders: drop fk fk_orders_user, add fk fk_orders_user",
            "drop table legacy",
        ]
    );
}

#[test]
fn fk_cycle_between_existing_tables_is_added_after_both_tables_are_altered() {
    let target = mysql()
        .table(table("a").col("id", "int NOT NULL"))
        .table(table("b").col("id", "int NOT NULL"))
        .build();
    let source = mysql()
        .table(
            table("a")
                .col("id", "int NOT NULL")
                .col("b_id", "int")
                .fk("fk_a_b", "b_id", "b"),
        )
        .table(
            table("b")
                .col("id", "int NOT NULL")
                .col("a_id", "int")
                .fk("fk_b_a", "a_id", "a"),
        )
        .build();
    assert_eq!(
        steps(&mysql_plan(&source, &target)),
        [
            "alter a: add column b_id after id",
            "alter b: add column a_id after id",
            "alter a: add fk fk_a_b",
            "alter b: add fk fk_b_a",
        ]
    );
}

#[test]
fn fk_cycle_half_new_creates_the_new_table_before_the_fk_pointing_at_it() {
    let target = mysql()
        .table(table("a").col("id", "int NOT NULL").col("b_id", "int"))
        .build();
    let source = mysql()
        .table(
            table("a")
                .col("id", "int NOT NULL")
                .col("b_id", "int")
                .fk("fk_a_b", "b_id", "b"),
        )
        .table(
            table("b")
                .col("id", "int NOT NULL")
                .col("a_id", "int")
                .fk("fk_b_a", "a_id", "a"),
        )
        .build();
    let plan = mysql_plan(&source, &target);
    assert_eq!(steps(&plan), ["create table b", "alter a: add fk fk_a_b"]);
    // The new table is created whole, its FK to the existing table included.
    let SchemaChange::CreateTable(b) = &plan[0].change else {
        panic!("expected CREATE TABLE b first, got {:?}", plan[0].change);
    };
    assert_eq!(b.foreign_keys.len(), 1);
    assert_eq!(b.foreign_keys[0].referenced_table, "a");
}

#[test]
fn fk_cycle_of_two_extra_tables_loses_both_fks_before_either_drop() {
    let target = mysql()
        .table(table("a").col("b_id", "int").fk("fk_a_b", "b_id", "b"))
        .table(table("b").col("a_id", "int").fk("fk_b_a", "a_id", "a"))
        .build();
    let source = mysql().build();
    assert_eq!(
        steps(&mysql_plan(&source, &target)),
        [
            "alter a: drop fk fk_a_b",
            "alter b: drop fk fk_b_a",
            "drop table a",
            "drop table b",
        ]
    );
}

#[test]
fn changed_self_reference_is_dropped_first_and_added_last() {
    let target = mysql()
        .table(
            table("node")
                .col("id", "int NOT NULL")
                .col("parent_id", "int")
                .fk("fk_node_parent", "parent_id", "node"),
        )
        .build();
    let source = mysql()
        .table(table("extra").col("id", "int NOT NULL"))
        .table(
            table("node")
                .col("id", "int NOT NULL")
                .col("parent_id", "int")
                .col("code", "int")
                .fk_to("fk_node_parent", "parent_id", "node", "code"),
        )
        .build();
    assert_eq!(
        steps(&mysql_plan(&source, &target)),
        [
            "alter node: drop fk fk_node_parent",
            "create table extra",
            "alter node: add column code after parent_id",
            "alter node: add fk fk_node_parent",
        ]
    );
}

#[test]
fn view_on_a_view_is_created_after_the_view_it_reads() {
    // Alphabetical order would be exactly wrong: a_top reads b_mid reads c_base.
    let source = mysql()
        .table(table("t").col("id", "int NOT NULL"))
        .view("a_top", "select * from b_mid", &["b_mid"])
        .view("b_mid", "select * from c_base", &["c_base"])
        .view("c_base", "select * from t", &["t"])
        .build();
    let target = mysql().table(table("t").col("id", "int NOT NULL")).build();
    assert_eq!(
        steps(&mysql_plan(&source, &target)),
        [
            "create view c_base",
            "create view b_mid",
            "create view a_top"
        ]
    );
}

#[test]
fn changed_view_is_dropped_before_table_changes_and_recreated_last() {
    let target = mysql()
        .table(table("t").col("id", "int NOT NULL"))
        .view("v", "select id from t", &["t"])
        .build();
    let source = mysql()
        .table(table("t").col("id", "int NOT NULL").col("name", "text"))
        .view("v", "select id, name from t", &["t"])
        .build();
    assert_eq!(
        steps(&mysql_plan(&source, &target)),
        [
            "drop view v",
            "alter t: add column name after id",
            "create view v",
        ]
    );
}

#[test]
fn extra_view_is_dropped_before_the_tables_it_reads() {
    let target = mysql()
        .table(table("t").col("id", "int NOT NULL"))
        .view("v", "select id from t", &["t"])
        .build();
    let source = mysql().build();
    assert_eq!(
        steps(&mysql_plan(&source, &target)),
        ["drop view v", "drop table t"]
    );
}

#[test]
fn sqlite_table_and_view_names_match_ignoring_case() {
    let source = sqlite()
        .table(table("Users").col("id", "integer"))
        .view("Active", "select * from Users", &["Users"])
        .build();
    let target = sqlite()
        .table(table("users").col("id", "integer"))
        .view("ACTIVE", "select * from Users", &["Users"])
        .build();
    // The view text names itself, so build it identical on both sides.
    let mut target = target;
    target.views[0].definition = source.views[0].definition.clone();
    assert_eq!(steps(&sqlite_plan(&source, &target)), Vec::<String>::new());
}

#[test]
fn mysql_table_names_differing_in_case_are_different_tables() {
    let source = mysql()
        .table(table("Users").col("id", "int NOT NULL"))
        .build();
    let target = mysql()
        .table(table("users").col("id", "int NOT NULL"))
        .build();
    assert_eq!(
        steps(&mysql_plan(&source, &target)),
        ["create table Users", "drop table users"]
    );
}

#[test]
fn tables_and_views_outside_the_selection_are_left_alone() {
    let source = mysql()
        .table(table("kept").col("id", "int NOT NULL").col("x", "int"))
        .table(table("new_ignored").col("id", "int NOT NULL"))
        .build();
    let target = mysql()
        .table(table("kept").col("id", "int NOT NULL"))
        .table(table("old_ignored").col("id", "int NOT NULL"))
        .view("v_ignored", "select 1", &[])
        .build();
    let options = DiffOptions {
        separate_fk_phase: true,
        fks_after_rows: false,
        index_order_matters: true,
        suspend_triggers: false,
    };
    let plan = diff(&source, &target, &|name| name == "kept", options);
    assert_eq!(steps(&plan), ["alter kept: add column x after id"]);
}

#[test]
fn alter_runs_drops_then_columns_in_desired_order_then_additions() {
    let target = mysql()
        .table(
            table("t")
                .col("id", "int NOT NULL")
                .col("a", "int")
                .col("b", "int")
                .col("gone", "int")
                .index("ix_gone", &["gone"]),
        )
        .build();
    // b moves before a, c is new, gone and its index go.
    let source = mysql()
        .table(
            table("t")
                .col("id", "int NOT NULL")
                .col("b", "int")
                .col("a", "int")
                .col("c", "int")
                .index("ix_c", &["c"]),
        )
        .build();
    let plan = mysql_plan(&source, &target);
    assert_eq!(
        steps(&plan),
        ["alter t: drop index ix_gone, drop column gone, \
          modify column b after id, add column c after a, add index ix_c"]
    );
}

#[test]
fn where_index_order_matters_indexes_after_the_first_out_of_place_are_rebuilt() {
    let target = mysql()
        .table(
            table("t")
                .col("a", "int")
                .col("b", "int")
                .col("c", "int")
                .index("ix_a", &["a"])
                .index("ix_c", &["c"]),
        )
        .build();
    let source = mysql()
        .table(
            table("t")
                .col("a", "int")
                .col("b", "int")
                .col("c", "int")
                .index("ix_a", &["a"])
                .index("ix_b", &["b"])
                .index("ix_c", &["c"]),
        )
        .build();
    assert_eq!(
        steps(&mysql_plan(&source, &target)),
        ["alter t: drop index ix_c, add index ix_b, add index ix_c"]
    );
    // Where it does not (SQLite), only the new index is added.
    assert_eq!(
        steps(&sqlite_plan(&source, &target)),
        ["alter t: add index ix_b"]
    );
}

/// Two new tables that reference each other and one that references
/// itself: where keys come after the rows, every key of a new table
/// waits for a step of its own after the tables (post-data), the key
/// closing the cycle too; elsewhere each table is created with its keys.
#[test]
fn a_new_tables_keys_come_after_the_rows_where_the_engine_wants_them_there() {
    let source = mysql()
        .table(
            table("a")
                .col("id", "int NOT NULL")
                .col("b_id", "int")
                .pk(&["id"])
                .fk("a_b", "b_id", "b"),
        )
        .table(
            table("b")
                .col("id", "int NOT NULL")
                .col("a_id", "int")
                .col("up", "int")
                .pk(&["id"])
                .fk("b_a", "a_id", "a")
                .fk("b_up", "up", "b"),
        )
        .build();
    let target = mysql().build();
    let options = |fks_after_rows| DiffOptions {
        separate_fk_phase: true,
        fks_after_rows,
        index_order_matters: false,
        suspend_triggers: false,
    };
    let plan = diff(&source, &target, &|_| true, options(true));
    assert_eq!(
        steps(&plan),
        [
            "create table a",
            "create table b",
            "alter a: add fk a_b",
            "alter b: add fk b_a, add fk b_up"
        ]
    );
    for created in &plan[..2] {
        let SchemaChange::CreateTable(t) = &created.change else {
            panic!("{plan:?}")
        };
        assert!(t.foreign_keys.is_empty(), "{t:?}");
    }
    assert!(plan[2..]
        .iter()
        .all(|p| p.phase == super::diff::Phase::PostData));

    let plan = diff(&source, &target, &|_| true, options(false));
    assert_eq!(steps(&plan), ["create table a", "create table b"]);
}

/// A column comment that is not part of the column's definition text
/// (PostgreSQL's `COMMENT ON COLUMN`) still makes the column differ.
#[test]
fn a_column_comment_alone_makes_the_column_differ() {
    let target = mysql()
        .table(table("t").col("id", "int NOT NULL").col("v", "text"))
        .build();
    let mut source = target.clone();
    source.tables[0].columns[1].comment = "what v holds".into();
    assert_eq!(
        steps(&mysql_plan(&source, &target)),
        ["alter t: modify column v"]
    );
}

/// A view that changes takes the views reading it along: they are dropped
/// first (PostgreSQL refuses to drop a view another reads) and created
/// again after it.
#[test]
fn a_changed_view_takes_the_views_reading_it_along() {
    let with = |base: &str| {
        mysql()
            .table(table("t").col("id", "int NOT NULL"))
            .view("v_base", base, &["t"])
            .view("v_top", "select * from v_base", &["v_base"])
            .view("v_other", "select 1", &[])
            .build()
    };
    let plan = mysql_plan(&with("select id from t"), &with("select * from t"));
    assert_eq!(
        steps(&plan),
        [
            "drop view v_top",
            "drop view v_base",
            "create view v_base",
            "create view v_top"
        ]
    );
}

/// Partitions and inheriting tables are created after their parents and
/// dropped before them, whatever their names; a column of a parent's is
/// changed on the parent alone; a moved partition bound is destructive.
#[test]
fn table_hierarchies_are_created_parents_first_and_dropped_children_first() {
    let parent = |extra: bool| {
        let t = table("m_parent").col("id", "int NOT NULL");
        match extra {
            true => t.col("extra", "int"),
            false => t,
        }
    };
    let family = |extra: bool, bound: &str| {
        mysql()
            .table(parent(extra))
            .table(
                table("a_part")
                    .col("id", "int NOT NULL")
                    .col("extra", "int")
                    .partition_of("m_parent", bound),
            )
            .table(
                table("z_child")
                    .col("id", "int NOT NULL")
                    .col("extra", "int")
                    .inherits("m_parent")
                    .col("own", "int"),
            )
            .build()
    };
    let empty = mysql().build();
    let bound = "FOR VALUES IN (1)";
    assert_eq!(
        steps(&mysql_plan(&family(true, bound), &empty)),
        [
            "create table m_parent",
            "create table a_part",
            "create table z_child"
        ]
    );
    let drops = mysql_plan(&empty, &family(true, bound));
    assert_eq!(
        steps(&drops),
        [
            "drop table a_part",
            "drop table z_child",
            "drop table m_parent"
        ]
    );

    // The parent gains a column its children have from it: added once.
    let mut target = family(true, bound);
    for t in &mut target.tables {
        t.columns.retain(|c| c.name != "extra");
    }
    let plan = mysql_plan(&family(true, bound), &target);
    assert_eq!(steps(&plan), ["alter m_parent: add column extra after id"]);

    let moved = mysql_plan(&family(true, "FOR VALUES IN (2)"), &family(true, bound));
    assert_eq!(steps(&moved), ["alter a_part: change options"]);
    assert_eq!(moved[0].safety, Safety::Destructive);
}

#[test]
fn extensions_come_first_and_one_only_the_target_has_is_destructive() {
    let with = |names: &[(&str, &str)]| {
        let mut catalog = mysql().table(table("t").col("id", "int")).build();
        catalog.extensions = names
            .iter()
            .map(|(name, version)| Extension {
                name: name.to_string(),
                schema: "public".into(),
                version: version.to_string(),
            })
            .collect();
        catalog
    };
    let mut source = with(&[("citext", "1.6"), ("hstore", "1.8")]);
    let mut more = source.tables[0].columns[0].clone();
    more.name = "more".into();
    source.tables[0].columns.push(more);
    let plan = mysql_plan(&source, &with(&[("citext", "1.5"), ("pgcrypto", "1.3")]));
    assert_eq!(
        steps(&plan),
        [
            "extension citext",
            "extension hstore",
            "alter t: add column more after id",
            "extension pgcrypto"
        ]
    );
    assert_eq!(plan[0].safety, Safety::Safe);
    assert_eq!(plan[3].safety, Safety::Destructive);
    assert!(matches!(
        &plan[0].change,
        SchemaChange::Extension(ExtensionChange::Update { current, .. }) if current.version == "1.5"
    ));
}

fn sequence(name: &str, options: &str, owner: Option<(&str, &str)>) -> Sequence {
    Sequence {
        name: name.into(),
        options: options.into(),
        owned_by: owner.map(|(table, column)| SequenceOwner {
            table: table.into(),
            column: column.into(),
        }),
        used_by: Vec::new(),
        grants: Vec::new(),
    }
}

/// Sequences are created and let go before the tables, given to their
/// column after the tables are created, and dropped after the tables
/// (destructive); a schema only the target has goes last, destructive.
#[test]
fn sequences_and_schemas_take_their_places_around_the_tables() {
    let mut source = mysql().table(table("t").col("id", "int")).build();
    source.sequences = vec![
        sequence("kept", "AS bigint", None),
        sequence("new", "AS integer", Some(("t", "id"))),
        sequence("wider", "AS bigint", None),
    ];
    let mut target = mysql().table(table("old").col("id", "int")).build();
    target.sequences = vec![
        sequence("gone", "AS bigint", None),
        sequence("kept", "AS bigint", Some(("old", "id"))),
        sequence("wider", "AS integer", None),
    ];
    target.schemas = vec![Schema {
        name: "scratch".into(),
        unsynced: Vec::new(),
    }];
    let plan = mysql_plan(&source, &target);
    assert_eq!(
        steps(&plan),
        [
            "disown sequence kept",
            "create sequence new",
            "alter sequence wider",
            "create table t",
            "own sequence new by t.id",
            "drop table old",
            "drop sequence gone",
            "drop schema scratch",
        ]
    );
    let destructive: Vec<&str> = plan
        .iter()
        .filter(|p| p.safety == Safety::Destructive)
        .map(|p| p.change.object_name())
        .collect();
    assert_eq!(destructive, ["old", "gone", "scratch"]);
}
