//! The FK dependency graph on hand-built catalogs: orders, cycles,
//! self-references and the selection.

use super::deps::{Dependency, DependencyGraph, Order};
use super::model::Catalog;
use super::testing::{mysql, sqlite, table, CatalogBuilder};

/// The graph of every table of the catalog.
fn graph(catalog: &Catalog) -> DependencyGraph {
    let all: Vec<String> = catalog.tables.iter().map(|t| t.name.clone()).collect();
    DependencyGraph::build(catalog, &all)
}

/// Adds a table `name` with one FK per parent (column `<parent>_id`).
fn child(builder: CatalogBuilder, name: &str, parents: &[&str]) -> CatalogBuilder {
    let mut t = table(name).col("id", "int NOT NULL").pk(&["id"]);
    for parent in parents {
        let column = format!("{parent}_id");
        t = t
            .col(&column, "int")
            .fk(&format!("fk_{name}_{parent}"), &column, parent);
    }
    builder.table(t)
}

/// A shop whose names sort against its dependencies: items -> orders ->
/// users, items -> products.
fn shop() -> Catalog {
    let b = child(mysql(), "users", &[]);
    let b = child(b, "products", &[]);
    let b = child(b, "orders", &["users"]);
    child(b, "items", &["orders", "products"]).build()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn dependencies_list_every_table_with_its_parents_sorted() {
    assert_eq!(
        graph(&shop()).dependencies,
        [
            Dependency {
                table: "items".into(),
                depends_on: names(&["orders", "products"]),
            },
            Dependency {
                table: "orders".into(),
                depends_on: names(&["users"]),
            },
            Dependency {
                table: "products".into(),
                depends_on: vec![],
            },
            Dependency {
                table: "users".into(),
                depends_on: vec![],
            },
        ]
    );
}

#[test]
fn dependency_order_puts_parents_first_smallest_ready_name_first() {
    let g = graph(&shop());
    assert_eq!(
        g.order(&Order::Dependency),
        names(&["products", "users", "orders", "items"])
    );
    assert!(g.cycles.is_empty() && g.self_references.is_empty());
    assert!(!g.in_cycle("orders"));
}

#[test]
fn alphabetical_order_ignores_dependencies() {
    assert_eq!(
        graph(&shop()).order(&Order::Alphabetical),
        names(&["items", "orders", "products", "users"])
    );
}

#[test]
fn custom_order_puts_the_named_tables_first_then_the_rest_by_dependency() {
    let g = graph(&shop());
    let custom = Order::Custom(names(&["items", "not_a_table", "users"]));
    // Unknown names are skipped; orders' parent is already placed, so
    // orders is as ready as products and sorts first.
    assert_eq!(
        g.order(&custom),
        names(&["items", "users", "orders", "products"])
    );
}

#[test]
fn two_cycle_and_three_cycle_are_found_and_reported_by_name() {
    let b = child(mysql(), "a", &["b"]);
    let b = child(b, "b", &["a"]);
    let b = child(b, "x", &["z"]);
    let b = child(b, "y", &["x"]);
    let b = child(b, "z", &["y"]);
    let b = child(b, "free", &["a"]);
    let g = graph(&b.build());
    assert_eq!(g.cycles, [names(&["a", "b"]), names(&["x", "y", "z"])]);
    assert_eq!(g.cycle_of("y"), Some(&names(&["x", "y", "z"])[..]));
    assert_eq!(g.cycle_of("b"), Some(&names(&["a", "b"])[..]));
    assert_eq!(g.cycle_of("free"), None);
    assert!(g.in_cycle("a") && g.in_cycle("z"));
    assert!(!g.in_cycle("free"));
    assert!(g.self_references.is_empty());
}

#[test]
fn dependency_order_keeps_a_cycle_together_between_its_parents_and_children() {
    // root <- a <-> b <- leaf; "leaf" sorts before "root" but must follow it.
    let b = child(mysql(), "root", &[]);
    let b = child(b, "a", &["root", "b"]);
    let b = child(b, "b", &["a"]);
    let b = child(b, "leaf", &["b"]);
    assert_eq!(
        graph(&b.build()).order(&Order::Dependency),
        names(&["root", "a", "b", "leaf"])
    );
}

#[test]
fn self_reference_is_listed_apart_from_cycles_and_counts_as_in_cycle() {
    let b = child(mysql(), "node", &["node", "kind"]);
    let b = child(b, "kind", &[]);
    let g = graph(&b.build());
    assert_eq!(g.self_references, names(&["node"]));
    assert!(g.cycles.is_empty());
    assert_eq!(g.cycle_of("node"), None);
    assert!(g.in_cycle("node"));
    assert!(!g.in_cycle("kind"));
    // The self-reference is not a dependency: node only waits for kind.
    let node = g.dependencies.iter().find(|d| d.table == "node").unwrap();
    assert_eq!(node.depends_on, names(&["kind"]));
    assert_eq!(g.order(&Order::Dependency), names(&["kind", "node"]));
}

#[test]
fn table_with_two_self_references_is_listed_once() {
    let t = table("emp")
        .col("id", "int NOT NULL")
        .col("boss", "int")
        .col("mentor", "int")
        .fk("fk_boss", "boss", "emp")
        .fk("fk_mentor", "mentor", "emp");
    let g = graph(&mysql().table(t).build());
    assert_eq!(g.self_references, names(&["emp"]));
}

#[test]
fn tables_outside_the_selection_and_their_fks_are_ignored() {
    // a -> b -> c -> a is a cycle only while c is selected.
    let b = child(mysql(), "a", &["b"]);
    let b = child(b, "b", &["c"]);
    let b = child(b, "c", &["a"]);
    let catalog = b.build();
    let g = DependencyGraph::build(&catalog, &names(&["a", "b", "missing"]));
    assert_eq!(
        g.dependencies,
        [
            Dependency {
                table: "a".into(),
                depends_on: names(&["b"]),
            },
            Dependency {
                table: "b".into(),
                depends_on: vec![],
            },
        ]
    );
    assert!(g.cycles.is_empty());
    assert!(!g.in_cycle("a"));
    assert_eq!(g.order(&Order::Dependency), names(&["b", "a"]));
}

#[test]
fn sqlite_fk_parents_match_tables_ignoring_case() {
    // SQLite reports the parent as the REFERENCES clause spells it
    // (`pragma_foreign_key_list` gives `Parent`, `NODE`), and its names
    // fold case, so these are `parent` and a self-reference of `node`.
    let b = child(sqlite(), "child", &["Parent"]);
    let b = child(b, "parent", &[]);
    let b = child(b, "node", &["NODE"]);
    let g = graph(&b.build());
    let child = g.dependencies.iter().find(|d| d.table == "child").unwrap();
    assert_eq!(child.depends_on, names(&["parent"]));
    assert_eq!(g.self_references, names(&["node"]));
    assert!(g.in_cycle("node"));
    assert_eq!(
        g.order(&Order::Dependency),
        names(&["node", "parent", "child"])
    );
}

#[test]
fn mysql_fk_parents_differing_in_case_are_other_tables() {
    let b = child(mysql(), "child", &["Parent"]);
    let b = child(b, "parent", &[]);
    let g = graph(&b.build());
    let child = g.dependencies.iter().find(|d| d.table == "child").unwrap();
    assert!(child.depends_on.is_empty());
}
