//! Sakila, a real schema with an FK cycle (store <-> staff), views and
//! triggers: `graph` names the cycle, and a schema sync into an empty
//! database reproduces every table and view.

mod common;

use common::MyDb;

fn sakila_schema() -> std::path::PathBuf {
    common::corpus_dir().join("sampledb/sakila/mysql/sakila-schema.sql")
}

fn load_sakila(db: &MyDb) {
    db.load_corpus_file(&sakila_schema(), "sakila");
}

#[test]
fn graph_names_the_store_staff_cycle() {
    let source = MyDb::new("sakila_graph");
    load_sakila(&source);
    let out = common::lockstep(&["graph", "--source", &source.url()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cycle_line = text
        .lines()
        .find(|l| l.contains("cycle:"))
        .unwrap_or_else(|| panic!("no cycle in:\n{text}"));
    assert!(
        cycle_line.contains("staff") && cycle_line.contains("store"),
        "{cycle_line}"
    );
    assert!(
        text.contains("film_actor depends on: actor, film"),
        "{text}"
    );

    let dot = common::lockstep(&["graph", "--format", "dot", "--source", &source.url()]);
    let dot = String::from_utf8_lossy(&dot.stdout);
    assert!(dot.contains("\"staff\" -> \"store\" [color=red]"), "{dot}");
}

#[test]
fn schema_sync_from_sakila_into_an_empty_database() {
    let source = MyDb::new("sakila_src");
    load_sakila(&source);
    let target = MyDb::new("sakila_tgt");
    let run = |mode: &str| {
        common::lockstep(&[
            "sync",
            mode,
            "--no-color",
            "--source",
            &source.url(),
            "--target",
            &target.url(),
        ])
    };
    let out = run("--schema-only");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(source.show_create_tables(), target.show_create_tables());
    let views = |db: &MyDb| {
        db.query(&format!(
            "SELECT table_name FROM information_schema.views WHERE table_schema='{}' ORDER BY 1",
            db.name
        ))
    };
    assert_eq!(views(&source).len(), 7);
    assert_eq!(views(&source), views(&target));
    let again = run("--validate-only");
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}
