//! The SQLite engine against real files: introspection, the DDL it renders
//! for every kind of change (ALTER where SQLite can, a rebuild where it
//! cannot), and that applying it makes the target's table model equal to
//! the source's while keeping the rows.

mod common;

use common::SqliteDb;
use lockstep::catalog::change::{AlterClause, ColumnPosition, SchemaChange};
use lockstep::catalog::model::{Catalog, Column, DefaultValue, FkAction, IndexKind, Table};
use lockstep::engine::sqlite::SqliteConnection;
use lockstep::engine::{ConnectOptions, Role, SourceDb, TargetDb};
use lockstep::error::Error;
use lockstep::url::DatabaseUrl;

async fn catalog(db: &SqliteDb) -> Catalog {
    let url = DatabaseUrl::parse(&db.url()).unwrap();
    let mut source = SourceDb::open(&url, &ConnectOptions::default())
        .await
        .unwrap();
    source.introspect().await.unwrap()
}

async fn target(db: &SqliteDb) -> TargetDb {
    let url = DatabaseUrl::parse(&db.url()).unwrap();
    TargetDb::open(&url, &ConnectOptions::default())
        .await
        .unwrap()
}

/// Renders and runs one change on `db`; returns the statements.
async fn apply(db: &SqliteDb, change: &SchemaChange) -> Vec<String> {
    let mut t = target(db).await;
    let statements = t.dialect().render_change(change);
    t.execute_ddl(&statements)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{statements:#?}"));
    statements
}

fn table(c: &Catalog, name: &str) -> Table {
    c.table(name)
        .unwrap_or_else(|| panic!("no table {name}"))
        .clone()
}

/// The table model without its native CREATE text, which legitimately
/// differs in spelling after ALTER TABLE or a rename.
fn model(t: &Table) -> Table {
    let mut t = t.clone();
    t.options.native_create.clear();
    t
}

/// Rows of a query, each value with its storage class.
fn rows(db: &SqliteDb, sql: &str) -> Vec<Vec<String>> {
    let c = rusqlite::Connection::open(&db.path).unwrap();
    let mut stmt = c.prepare(sql).unwrap_or_else(|e| panic!("{e}\n{sql}"));
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| Ok(format!("{:?}", r.get::<_, rusqlite::types::Value>(i)?)))
            .collect()
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn col(t: &Table, name: &str) -> Column {
    t.column(name).unwrap().clone()
}

fn after(name: &str) -> ColumnPosition {
    ColumnPosition::After(name.to_string())
}

fn modify(current: &Table, desired: &Table, name: &str) -> AlterClause {
    AlterClause::ModifyColumn {
        from: col(current, name),
        to: col(desired, name),
        position: None,
    }
}

fn is_rebuild(statements: &[String]) -> bool {
    statements.iter().any(|s| s.contains("_lockstep_old_"))
}

/// A source and a current (target) file holding one table `t` each.
struct Case {
    source: SqliteDb,
    current: SqliteDb,
}

impl Case {
    fn new(source_sql: &str, current_sql: &str) -> Case {
        let case = Case {
            source: SqliteDb::new("src"),
            current: SqliteDb::new("cur"),
        };
        case.source.exec(source_sql);
        case.current.exec(current_sql);
        case
    }

    /// Builds the AlterTable of table `t` with `clauses`, applies it, checks
    /// that the target's `t` now equals the source's and (when
    /// `rows_kept`) that the values of the columns both sides store
    /// survived. Returns the statements.
    async fn sync(
        &self,
        clauses: impl FnOnce(&Table, &Table) -> Vec<AlterClause>,
        rows_kept: bool,
    ) -> Vec<String> {
        let current = table(&catalog(&self.current).await, "t");
        let desired = table(&catalog(&self.source).await, "t");
        let common: Vec<String> = current
            .columns
            .iter()
            .filter(|c| c.generated.is_none())
            .filter(|c| {
                desired
                    .column(&c.name)
                    .is_some_and(|d| d.generated.is_none())
            })
            .map(|c| format!("\"{}\"", c.name))
            .collect();
        let select = format!("SELECT {0} FROM t ORDER BY {0}", common.join(", "));
        let before = rows(&self.current, &select);
        assert!(!before.is_empty(), "the case needs rows");
        let change = SchemaChange::AlterTable {
            clauses: clauses(&current, &desired),
            current,
            desired: desired.clone(),
        };
        let statements = apply(&self.current, &change).await;
        let after = table(&catalog(&self.current).await, "t");
        assert_eq!(model(&after), model(&desired), "{statements:#?}");
        if rows_kept {
            assert_eq!(rows(&self.current, &select), before, "{statements:#?}");
        }
        statements
    }
}

const ROWS: &str =
    "INSERT INTO t (id, name) VALUES (1, 'ann'), (2, 'bob ''the'' builder'), (3, '🎉 émoji');";

#[tokio::test]
async fn add_column_with_check_by_alter() {
    let case = Case::new(
        // As ADD COLUMN writes it (SQLite stores `, ` and the column's own
        // text): otherwise the table is rebuilt to read as the source's.
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note  TEXT DEFAULT 'n/a' COLLATE NOCASE CHECK (length(note) < 100))",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL); {ROWS}"),
    );
    let statements = case
        .sync(
            |_, d| {
                vec![
                    AlterClause::AddColumn {
                        column: col(d, "note"),
                        position: after("name"),
                    },
                    AlterClause::AddCheck(d.checks[0].clone()),
                ]
            },
            true,
        )
        .await;
    assert!(!is_rebuild(&statements), "{statements:#?}");
    assert!(statements[0].contains("ADD COLUMN"));
    let note = rows(&case.current, "SELECT DISTINCT note FROM t");
    assert_eq!(note, vec![vec!["Text(\"n/a\")".to_string()]]);
}

#[tokio::test]
async fn add_not_null_column_with_default_and_virtual_column_by_alter() {
    let case = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER NOT NULL DEFAULT 0, \
         twice INTEGER GENERATED ALWAYS AS (qty * 2) VIRTUAL)",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); {ROWS}"),
    );
    let statements = case
        .sync(
            |_, d| {
                vec![
                    AlterClause::AddColumn {
                        column: col(d, "qty"),
                        position: after("name"),
                    },
                    AlterClause::AddColumn {
                        column: col(d, "twice"),
                        position: after("qty"),
                    },
                ]
            },
            true,
        )
        .await;
    assert!(!is_rebuild(&statements), "{statements:#?}");
    assert_eq!(statements.len(), 2);
    assert_eq!(
        rows(&case.current, "SELECT DISTINCT qty, twice FROM t"),
        vec![vec!["Integer(0)".to_string(), "Integer(0)".to_string()]]
    );
}

#[tokio::test]
async fn columns_alter_cannot_add_are_added_by_rebuild() {
    // A CURRENT_TIMESTAMP default, a STORED generated column and a column
    // in the middle are all beyond ALTER TABLE ADD COLUMN.
    let case = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT UNIQUE, name TEXT, \
         created TEXT DEFAULT CURRENT_TIMESTAMP, upper_name TEXT AS (upper(name)) STORED)",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); {ROWS}"),
    );
    let statements = case
        .sync(
            |_, d| {
                vec![
                    AlterClause::AddColumn {
                        column: col(d, "code"),
                        position: after("id"),
                    },
                    AlterClause::AddColumn {
                        column: col(d, "created"),
                        position: after("name"),
                    },
                    AlterClause::AddColumn {
                        column: col(d, "upper_name"),
                        position: after("created"),
                    },
                    AlterClause::AddIndex(d.indexes[0].clone()),
                ]
            },
            true,
        )
        .await;
    assert!(is_rebuild(&statements), "{statements:#?}");
    assert_eq!(
        rows(&case.current, "SELECT upper_name FROM t WHERE id = 3"),
        vec![vec!["Text(\"🎉 éMOJI\")".to_string()]]
    );
    assert_eq!(
        rows(
            &case.current,
            "SELECT count(*) FROM t WHERE created IS NULL"
        ),
        vec![vec!["Integer(0)".to_string()]]
    );
}

#[tokio::test]
async fn drop_column_by_alter_and_by_rebuild() {
    // `legacy` and its index go by ALTER; the UNIQUE column needs a rebuild.
    let plain = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)",
        &format!(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, legacy TEXT CHECK (legacy <> ''));\n\
             CREATE INDEX t_legacy ON t (legacy);\n{ROWS} UPDATE t SET legacy = 'x' || id;"
        ),
    );
    let statements = plain
        .sync(
            |c, _| {
                vec![
                    AlterClause::DropIndex(c.index("t_legacy").unwrap().clone()),
                    AlterClause::DropColumn(col(c, "legacy")),
                    AlterClause::DropCheck(c.checks[0].clone()),
                ]
            },
            true,
        )
        .await;
    assert!(!is_rebuild(&statements), "{statements:#?}");
    assert!(statements.iter().any(|s| s.contains("DROP COLUMN")));

    let unique = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, code TEXT UNIQUE); {ROWS}"),
    );
    let statements = unique
        .sync(
            |c, _| {
                vec![
                    AlterClause::DropColumn(col(c, "code")),
                    AlterClause::DropIndex(c.indexes[0].clone()),
                ]
            },
            true,
        )
        .await;
    assert!(is_rebuild(&statements), "{statements:#?}");
}

#[tokio::test]
async fn change_type_rebuilds_and_keeps_children_and_views() {
    let case = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(80), price DECIMAL(10,2));\n\
         CREATE INDEX t_name ON t (name COLLATE NOCASE DESC);",
        &format!(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, price TEXT);\n\
             CREATE INDEX t_name ON t (name COLLATE NOCASE DESC);\n\
             CREATE TABLE child (id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t (id) ON DELETE CASCADE);\n\
             CREATE VIEW v AS SELECT t.name, child.id FROM t JOIN child ON child.t_id = t.id;\n\
             {ROWS} UPDATE t SET price = '1.50';\n\
             INSERT INTO child VALUES (10, 1), (11, 2);"
        ),
    );
    let statements = case
        .sync(
            |c, d| vec![modify(c, d, "name"), modify(c, d, "price")],
            false,
        )
        .await;
    assert!(is_rebuild(&statements), "{statements:#?}");
    // The values converted by the new affinity; the children and the view
    // are untouched.
    assert_eq!(
        rows(&case.current, "SELECT DISTINCT typeof(price), price FROM t"),
        vec![vec!["Text(\"real\")".to_string(), "Real(1.5)".to_string()]]
    );
    assert_eq!(
        rows(&case.current, "SELECT name, id FROM v ORDER BY id").len(),
        2
    );
    assert!(rows(&case.current, "PRAGMA foreign_key_check").is_empty());
    let child = table(&catalog(&case.current).await, "child");
    assert_eq!(child.foreign_keys[0].referenced_table, "t");
    assert_eq!(child.foreign_keys[0].on_delete, FkAction::Cascade);
}

#[tokio::test]
async fn change_nullability_fills_nulls_with_the_default() {
    let case = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'nobody')",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); {ROWS} INSERT INTO t VALUES (4, NULL);"),
    );
    let statements = case.sync(|c, d| vec![modify(c, d, "name")], false).await;
    assert!(is_rebuild(&statements));
    assert_eq!(
        rows(
            &case.current,
            "SELECT name FROM t WHERE id IN (1, 4) ORDER BY id"
        ),
        vec![
            vec!["Text(\"ann\")".to_string()],
            vec!["Text(\"nobody\")".to_string()]
        ]
    );

    let back = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL); {ROWS}"),
    );
    back.sync(|c, d| vec![modify(c, d, "name")], true).await;
}

#[tokio::test]
async fn change_default() {
    let case = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, status TEXT DEFAULT 'open', n REAL DEFAULT -1.5)",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, status TEXT DEFAULT 'new', n REAL DEFAULT (0)); {ROWS}"),
    );
    case.sync(|c, d| vec![modify(c, d, "status"), modify(c, d, "n")], true)
        .await;
    let t = table(&catalog(&case.current).await, "t");
    assert_eq!(
        t.column("status").unwrap().default,
        Some(DefaultValue::Literal("open".into()))
    );
    assert_eq!(
        t.column("n").unwrap().default,
        Some(DefaultValue::Literal("-1.5".into()))
    );
}

#[tokio::test]
async fn add_drop_and_change_primary_key() {
    let add = Case::new(
        "CREATE TABLE t (id INTEGER, name TEXT, PRIMARY KEY (id, name)) WITHOUT ROWID",
        &format!("CREATE TABLE t (id INTEGER, name TEXT); {ROWS}"),
    );
    let statements = add
        .sync(
            |c, d| {
                vec![
                    AlterClause::AddPrimaryKey(d.primary_key.clone().unwrap()),
                    AlterClause::ChangeOptions {
                        from: c.options.clone(),
                        to: d.options.clone(),
                    },
                ]
            },
            true,
        )
        .await;
    assert!(is_rebuild(&statements));

    let drop = Case::new(
        "CREATE TABLE t (id INTEGER, name TEXT)",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); {ROWS}"),
    );
    drop.sync(
        |c, _| vec![AlterClause::DropPrimaryKey(c.primary_key.clone().unwrap())],
        true,
    )
    .await;

    let change = Case::new(
        "CREATE TABLE t (id INTEGER NOT NULL, name TEXT NOT NULL, CONSTRAINT pk PRIMARY KEY (name DESC, id))",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL); {ROWS}"),
    );
    change
        .sync(
            |c, d| {
                vec![
                    AlterClause::DropPrimaryKey(c.primary_key.clone().unwrap()),
                    modify(c, d, "id"),
                    AlterClause::AddPrimaryKey(d.primary_key.clone().unwrap()),
                ]
            },
            true,
        )
        .await;
    let pk = table(&catalog(&change.current).await, "t")
        .primary_key
        .unwrap();
    assert_eq!(pk.column_names(), ["name", "id"]);
    assert!(pk.parts[0].descending);
}

#[tokio::test]
async fn explicit_indexes_go_by_create_and_drop_index() {
    let case = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, email TEXT);\n\
         CREATE UNIQUE INDEX t_email ON t (email);\n\
         CREATE INDEX t_active ON t (name) WHERE email IS NOT NULL;\n\
         CREATE INDEX t_lower ON t (lower(name), id DESC);\n\
         CREATE INDEX t_changed ON t (name, email);",
        &format!(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, email TEXT);\n\
             CREATE INDEX t_old ON t (name);\n\
             CREATE INDEX t_changed ON t (email);\n\
             {ROWS} UPDATE t SET email = name || '@example.org';"
        ),
    );
    let statements = case
        .sync(
            |c, d| {
                let mut clauses = vec![
                    AlterClause::DropIndex(c.index("t_old").unwrap().clone()),
                    AlterClause::DropIndex(c.index("t_changed").unwrap().clone()),
                ];
                clauses.extend(
                    ["t_email", "t_active", "t_lower", "t_changed"]
                        .iter()
                        .map(|n| AlterClause::AddIndex(d.index(n).unwrap().clone())),
                );
                clauses
            },
            true,
        )
        .await;
    assert!(!is_rebuild(&statements), "{statements:#?}");
    assert_eq!(statements.len(), 6);
    let t = table(&catalog(&case.current).await, "t");
    let lower = t.index("t_lower").unwrap();
    assert_eq!(lower.parts[0].expression.as_deref(), Some("lower(name)"));
    assert!(lower.parts[1].descending);
    assert_eq!(
        t.index("t_active").unwrap().predicate.as_deref(),
        Some("email IS NOT NULL")
    );
    assert_eq!(t.index("t_email").unwrap().kind, IndexKind::Unique);
}

#[tokio::test]
async fn unique_constraints_rebuild() {
    let add = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, email TEXT, UNIQUE (name, email))",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, email TEXT); {ROWS}"),
    );
    let statements = add
        .sync(
            |_, d| vec![AlterClause::AddIndex(d.indexes[0].clone())],
            true,
        )
        .await;
    assert!(is_rebuild(&statements));
    let t = table(&catalog(&add.current).await, "t");
    assert_eq!(t.indexes[0].name, "uq_t_name_email");
    assert_eq!(t.indexes[0].definition, "");

    let drop = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, email TEXT)",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, email TEXT); {ROWS}"),
    );
    drop.sync(
        |c, d| {
            vec![
                AlterClause::DropIndex(c.indexes[0].clone()),
                modify(c, d, "name"),
            ]
        },
        true,
    )
    .await;
}

#[tokio::test]
async fn add_and_drop_foreign_keys_with_actions() {
    let parents = "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE);\n\
                   INSERT INTO parent VALUES (1, 'a'), (2, 'b');";
    let add = Case::new(
        &format!(
            "{parents}\nCREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, parent_id INTEGER, code TEXT,\n\
             CONSTRAINT t_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE ON UPDATE SET NULL,\n\
             FOREIGN KEY (code) REFERENCES parent (code) ON DELETE SET DEFAULT DEFERRABLE INITIALLY DEFERRED)"
        ),
        &format!("{parents}\nCREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, parent_id INTEGER, code TEXT); {ROWS}"),
    );
    let statements = add
        .sync(
            |_, d| {
                d.foreign_keys
                    .iter()
                    .map(|fk| AlterClause::AddForeignKey(fk.clone()))
                    .collect()
            },
            true,
        )
        .await;
    assert!(is_rebuild(&statements));
    let t = table(&catalog(&add.current).await, "t");
    let names: Vec<&str> = t.foreign_keys.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["fk_t_code", "t_parent"]);
    let named = t.foreign_key("t_parent").unwrap();
    assert_eq!(named.on_delete, FkAction::Cascade);
    assert_eq!(named.on_update, FkAction::SetNull);
    assert_eq!(
        t.foreign_key("fk_t_code").unwrap().on_delete,
        FkAction::SetDefault
    );

    let drop = Case::new(
        &format!("{parents}\nCREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, parent_id INTEGER)"),
        &format!(
            "{parents}\nCREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, parent_id INTEGER REFERENCES parent ON DELETE RESTRICT); {ROWS}"
        ),
    );
    drop.sync(
        |c, d| {
            vec![
                AlterClause::DropForeignKey(c.foreign_keys[0].clone()),
                modify(c, d, "parent_id"),
            ]
        },
        true,
    )
    .await;
}

#[tokio::test]
async fn add_and_drop_checks() {
    let add = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, CONSTRAINT name_len CHECK (length(name) > 0), CHECK (id > 0))",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); {ROWS}"),
    );
    add.sync(
        |_, d| {
            d.checks
                .iter()
                .map(|c| AlterClause::AddCheck(c.clone()))
                .collect()
        },
        true,
    )
    .await;
    let t = table(&catalog(&add.current).await, "t");
    assert_eq!(t.checks.len(), 2);
    assert_eq!(t.check("name_len").unwrap().expression, "length(name) > 0");

    let drop = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, CHECK (id < 100)); {ROWS}"),
    );
    let statements = drop
        .sync(
            |c, _| vec![AlterClause::DropCheck(c.checks[0].clone())],
            true,
        )
        .await;
    assert!(is_rebuild(&statements));
}

#[tokio::test]
async fn generated_columns() {
    let case = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, name_len INTEGER AS (length(name) + 1) STORED, \
         shout TEXT GENERATED ALWAYS AS (upper(name)) VIRTUAL)",
        &format!(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, name_len INTEGER AS (length(name)) STORED, \
             shout TEXT GENERATED ALWAYS AS (upper(name)) STORED); {ROWS}"
        ),
    );
    case.sync(
        |c, d| vec![modify(c, d, "name_len"), modify(c, d, "shout")],
        true,
    )
    .await;
    let t = table(&catalog(&case.current).await, "t");
    let shout = t.column("shout").unwrap().generated.clone().unwrap();
    assert_eq!(shout.expression, "upper(name)");
    assert!(!shout.stored);
    assert_eq!(
        rows(&case.current, "SELECT name_len FROM t WHERE id = 1"),
        vec![vec!["Integer(4)".to_string()]]
    );
}

#[tokio::test]
async fn strict_and_without_rowid_options() {
    let case = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT) STRICT, WITHOUT ROWID",
        &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); {ROWS}"),
    );
    let statements = case
        .sync(
            |c, d| {
                vec![AlterClause::ChangeOptions {
                    from: c.options.clone(),
                    to: d.options.clone(),
                }]
            },
            true,
        )
        .await;
    assert!(is_rebuild(&statements));
    let t = table(&catalog(&case.current).await, "t");
    assert_eq!(t.options.extra, ["STRICT", "WITHOUT ROWID"]);
}

#[tokio::test]
async fn create_and_drop_tables_and_views() {
    let source = SqliteDb::new("src");
    source.exec(
        "CREATE TABLE [order items] (\n  \"id\" INTEGER PRIMARY KEY AUTOINCREMENT, -- the key\n  `sku` TEXT NOT NULL COLLATE NOCASE, /* c */ qty INT DEFAULT 1\n);\n\
         CREATE INDEX \"items by sku\" ON [order items] (sku, qty DESC);\n\
         CREATE VIEW big AS SELECT * FROM [order items] WHERE qty > 10;",
    );
    let current = SqliteDb::new("cur");
    current.exec(
        "CREATE TABLE old (id INTEGER PRIMARY KEY); INSERT INTO old VALUES (1);\n\
         CREATE VIEW old_view AS SELECT id FROM old;",
    );
    let want = catalog(&source).await;
    let have = catalog(&current).await;
    let changes = [
        SchemaChange::DropView(have.views[0].clone()),
        SchemaChange::DropTable(table(&have, "old")),
        SchemaChange::CreateTable(table(&want, "order items")),
        SchemaChange::CreateView(want.views[0].clone()),
    ];
    for change in &changes {
        apply(&current, change).await;
    }
    let after = catalog(&current).await;
    // A created table is exactly the source's, CREATE text included.
    assert_eq!(after.tables, want.tables);
    assert_eq!(after.views, want.views);
    assert_eq!(after.views[0].depends_on, ["order items"]);
}

#[tokio::test]
async fn introspection_reads_definitions_names_and_defaults() {
    let a = SqliteDb::new("a");
    let b = SqliteDb::new("b");
    a.exec(
        "CREATE TABLE p (id INTEGER PRIMARY KEY);\n\
         CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, \"Na\"\"me\" VARCHAR(20) NOT NULL DEFAULT 'it''s',\n\
         at DATETIME DEFAULT CURRENT_TIMESTAMP, flag BOOLEAN DEFAULT NULL, pid REFERENCES p ON DELETE SET NULL)",
    );
    b.exec(
        "CREATE TABLE p (id INTEGER PRIMARY KEY);\n\
         CREATE TABLE t (\n  id   INTEGER PRIMARY KEY   AUTOINCREMENT,\n  [Na\"me] VARCHAR(20)\tNOT NULL  DEFAULT 'it''s', -- x\n\
         at DATETIME DEFAULT CURRENT_TIMESTAMP,\n flag BOOLEAN DEFAULT NULL, pid REFERENCES p ON DELETE SET NULL\n)",
    );
    let ta = table(&catalog(&a).await, "t");
    let tb = table(&catalog(&b).await, "t");
    assert_eq!(model(&ta), model(&tb));
    let name = ta.column("Na\"me").unwrap();
    assert_eq!(name.definition, "VARCHAR(20) NOT NULL DEFAULT 'it''s'");
    assert_eq!(name.data_type, "varchar(20)");
    assert_eq!(name.default, Some(DefaultValue::Literal("it's".into())));
    assert!(!name.nullable);
    assert!(ta.column("id").unwrap().auto_increment);
    assert_eq!(
        ta.column("at").unwrap().default,
        Some(DefaultValue::Expression("CURRENT_TIMESTAMP".into()))
    );
    assert_eq!(ta.column("flag").unwrap().default, Some(DefaultValue::Null));
    let fk = &ta.foreign_keys[0];
    assert_eq!(fk.name, "fk_t_pid");
    assert_eq!(fk.referenced_columns, ["id"]);
    assert_eq!(fk.on_delete, FkAction::SetNull);
    assert_eq!(fk.definition, "REFERENCES p ON DELETE SET NULL");
}

#[tokio::test]
async fn source_is_read_only_and_must_exist() {
    let db = SqliteDb::new("ro");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);");
    let path = db.path.to_str().unwrap();
    let mut source = SqliteConnection::open(path, Role::Source).unwrap();
    let err = source
        .execute_ddl(&["DROP TABLE t".to_string()])
        .unwrap_err();
    assert!(err.to_string().contains("readonly"), "{err}");
    assert_eq!(
        rows(&db, "SELECT id FROM t"),
        vec![vec!["Integer(1)".to_string()]]
    );

    let missing = db.dir.join("missing.sqlite");
    let url = DatabaseUrl::parse(&format!("sqlite:{}", missing.display())).unwrap();
    match SourceDb::open(&url, &ConnectOptions::default()).await {
        Err(Error::Connect { role, endpoint, .. }) => {
            assert_eq!(role, "source");
            assert!(endpoint.starts_with("sqlite:"), "{endpoint}");
        }
        Err(other) => panic!("expected a connect error, got {other}"),
        Ok(_) => panic!("a missing source file must not open"),
    }
    assert!(!missing.exists(), "opening a source must never create it");
    // A target is created when missing.
    TargetDb::open(&url, &ConnectOptions::default())
        .await
        .unwrap();
    assert!(missing.exists());
}

#[tokio::test]
async fn failed_ddl_names_the_table_and_rolls_back() {
    let db = SqliteDb::new("fail");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);");
    let mut t = target(&db).await;
    let err = t
        .execute_ddl(&[
            "CREATE TABLE u (id INTEGER)".to_string(),
            "ALTER TABLE \"t\" ADD COLUMN \"x\" TEXT NOT NULL".to_string(),
        ])
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("`t`"), "{text}");
    assert!(text.contains("ADD COLUMN"), "{text}");
    let after = catalog(&db).await;
    assert!(
        after.table("u").is_none(),
        "the first statement must be rolled back"
    );
}

#[tokio::test]
async fn self_referencing_table_rebuilds() {
    let case = Case::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, boss_id INTEGER REFERENCES t (id) ON DELETE SET NULL)",
        &format!(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, boss_id INTEGER REFERENCES t (id) ON DELETE SET NULL);\n\
             {ROWS} UPDATE t SET boss_id = 1 WHERE id > 1;"
        ),
    );
    case.sync(|c, d| vec![modify(c, d, "name")], true).await;
    let t = table(&catalog(&case.current).await, "t");
    assert_eq!(t.foreign_keys[0].referenced_table, "t");
    assert!(rows(&case.current, "PRAGMA foreign_key_check").is_empty());
}

/// The shipped demo pair: the drift described in examples/make_demo.py is
/// what lockstep reads, and the hand-built changes for it make the local
/// schema equal to the remote one without losing a stored value.
#[tokio::test]
async fn demo_databases_drift_and_converge() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let remote = SqliteDb::new("remote");
    let local = SqliteDb::new("local");
    std::fs::copy(examples.join("remote.sqlite"), &remote.path).unwrap();
    std::fs::copy(examples.join("local.sqlite"), &local.path).unwrap();
    let want = catalog(&remote).await;
    let have = catalog(&local).await;
    assert!(want.table("helpdesk_ticket").is_some());
    assert!(have.table("helpdesk_ticket").is_none());

    let subs_have = table(&have, "subscriber_subscription");
    let subs_want = table(&want, "subscriber_subscription");
    assert!(subs_have.column("player").is_none());
    let jobs_have = table(&have, "job_orders");
    let jobs_want = table(&want, "job_orders");
    assert_ne!(
        jobs_have.column("amount").unwrap().data_type,
        jobs_want.column("amount").unwrap().data_type
    );
    assert!(jobs_have.index("job_orders_client").is_none());

    let count = |db: &SqliteDb| {
        rows(
            db,
            "SELECT (SELECT count(*) FROM job_orders), (SELECT count(*) FROM subscriber_subscription)",
        )
    };
    let before = count(&local);
    let changes = [
        SchemaChange::CreateTable(table(&want, "helpdesk_ticket")),
        SchemaChange::AlterTable {
            clauses: vec![AlterClause::AddColumn {
                column: col(&subs_want, "player"),
                position: after("plan"),
            }],
            current: subs_have,
            desired: subs_want,
        },
        SchemaChange::AlterTable {
            clauses: vec![
                modify(&jobs_have, &jobs_want, "amount"),
                AlterClause::AddIndex(jobs_want.index("job_orders_client").unwrap().clone()),
            ],
            current: jobs_have,
            desired: jobs_want,
        },
    ];
    for change in &changes {
        apply(&local, change).await;
    }
    let after = catalog(&local).await;
    let models = |c: &Catalog| c.tables.iter().map(model).collect::<Vec<_>>();
    assert_eq!(models(&after), models(&want));
    assert_eq!(count(&local), before);
    assert!(rows(&local, "PRAGMA foreign_key_check").is_empty());
}
