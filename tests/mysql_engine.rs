//! The MySQL/MariaDB engine against the real server: introspection, DDL
//! rendering and execution, connection errors and read-only sources.
//!
//! Each schema-change test builds the "source" table in one database and
//! the "current" table in another, introspects both, writes the ALTER
//! clauses by hand, applies them with lockstep, and checks that the
//! target's `SHOW CREATE TABLE` now equals the source's.

mod common;

use common::{strip_auto_increment, MyDb};
use lockstep::catalog::change::{AlterClause, ColumnPosition, SchemaChange};
use lockstep::catalog::model::{
    Catalog, CheckConstraint, Column, DefaultValue, FkAction, ForeignKey, Generated, Index,
    IndexKind, SqlType, Table,
};
use lockstep::engine::mysql::MySqlConnection;
use lockstep::engine::{ConnectOptions, Role, SourceDb, TargetDb};
use lockstep::error::Error;
use lockstep::url::{DatabaseUrl, ServerUrl};

fn url_of(db: &MyDb) -> DatabaseUrl {
    DatabaseUrl::parse(&db.url()).unwrap()
}

fn server_of(db: &MyDb) -> ServerUrl {
    match url_of(db) {
        DatabaseUrl::MySql(s) => s,
        other => panic!("not a MySQL URL: {other}"),
    }
}

async fn source_catalog(db: &MyDb) -> Catalog {
    let mut source = SourceDb::open(&url_of(db), &ConnectOptions::default())
        .await
        .unwrap();
    source.introspect().await.unwrap()
}

async fn open_target(db: &MyDb) -> TargetDb {
    TargetDb::open(&url_of(db), &ConnectOptions::default())
        .await
        .unwrap()
}

fn col(t: &Table, name: &str) -> Column {
    t.column(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .clone()
}

fn idx(t: &Table, name: &str) -> Index {
    t.index(name)
        .unwrap_or_else(|| panic!("no index {name}"))
        .clone()
}

fn fk(t: &Table, name: &str) -> ForeignKey {
    t.foreign_key(name)
        .unwrap_or_else(|| panic!("no foreign key {name}"))
        .clone()
}

fn check(t: &Table, name: &str) -> CheckConstraint {
    t.check(name)
        .unwrap_or_else(|| panic!("no check {name}"))
        .clone()
}

fn after(name: &str) -> ColumnPosition {
    ColumnPosition::After(name.to_string())
}

/// Applies hand-written clauses that turn the target's `table` (built by
/// `target_sql`) into the source's (built by `source_sql`) and checks the
/// result with the server's own `SHOW CREATE TABLE`. Returns the statements.
async fn converge(
    source_sql: &str,
    target_sql: &str,
    table: &str,
    clauses: impl FnOnce(&Table, &Table) -> Vec<AlterClause>,
) -> Vec<String> {
    let src = MyDb::new("src");
    let tgt = MyDb::new("tgt");
    src.exec(source_sql);
    tgt.exec(target_sql);
    let desired = source_catalog(&src).await.table(table).unwrap().clone();
    let mut target = open_target(&tgt).await;
    let current = target
        .introspect()
        .await
        .unwrap()
        .table(table)
        .unwrap()
        .clone();
    assert_ne!(
        current.options.native_create, desired.options.native_create,
        "the test must start from different tables"
    );
    let clauses = clauses(&current, &desired);
    let change = SchemaChange::AlterTable {
        current,
        desired: desired.clone(),
        clauses,
    };
    let statements = target.dialect().render_change(&change);
    target
        .execute_ddl(&statements)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let after = target.introspect().await.unwrap();
    assert_eq!(
        after.table(table).unwrap().options.native_create,
        desired.options.native_create,
        "statements: {statements:#?}"
    );
    assert_eq!(
        strip_auto_increment(&tgt.show_create_tables()[table]),
        strip_auto_increment(&src.show_create_tables()[table]),
    );
    statements
}

#[tokio::test]
async fn adds_columns_first_middle_and_last() {
    let statements = converge(
        "CREATE TABLE t (f INT, a INT, m VARCHAR(5) DEFAULT 'x,y', b INT, l TEXT)",
        "CREATE TABLE t (a INT, b INT)",
        "t",
        |_, d| {
            vec![
                AlterClause::AddColumn {
                    column: col(d, "f"),
                    position: ColumnPosition::First,
                },
                AlterClause::AddColumn {
                    column: col(d, "m"),
                    position: after("a"),
                },
                AlterClause::AddColumn {
                    column: col(d, "l"),
                    position: after("b"),
                },
            ]
        },
    )
    .await;
    assert_eq!(statements.len(), 1, "one ALTER holds every clause");
    assert!(statements[0].starts_with("ALTER TABLE `t` ADD COLUMN `f` int"));
}

#[tokio::test]
async fn drops_a_column() {
    converge(
        "CREATE TABLE t (a INT, c INT)",
        "CREATE TABLE t (a INT, b INT, c INT)",
        "t",
        |c, _| vec![AlterClause::DropColumn(col(c, "b"))],
    )
    .await;
}

#[tokio::test]
async fn modifies_type_nullability_and_defaults() {
    converge(
        "CREATE TABLE t (a BIGINT NOT NULL DEFAULT 7, b VARCHAR(40) DEFAULT 'it''s', \
         c INT DEFAULT (1 + 2), ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)",
        "CREATE TABLE t (a INT, b VARCHAR(20), c INT DEFAULT 5, ts TIMESTAMP NULL)",
        "t",
        |c, d| {
            ["a", "b", "c", "ts"]
                .iter()
                .map(|n| AlterClause::ModifyColumn {
                    from: col(c, n),
                    to: col(d, n),
                    position: None,
                })
                .collect()
        },
    )
    .await;
}

#[tokio::test]
async fn reorders_a_column() {
    converge(
        "CREATE TABLE t (a INT, c INT, b INT)",
        "CREATE TABLE t (a INT, b INT, c INT)",
        "t",
        |c, d| {
            vec![AlterClause::ModifyColumn {
                from: col(c, "c"),
                to: col(d, "c"),
                position: Some(after("a")),
            }]
        },
    )
    .await;
}

#[tokio::test]
async fn changes_charset_collation_and_comment() {
    converge(
        "CREATE TABLE t (a VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_bin COMMENT 'the ''a'', (x)', \
         b VARCHAR(10) COLLATE utf8mb4_bin) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
        "CREATE TABLE t (a VARCHAR(10), b VARCHAR(10)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
        "t",
        |c, d| {
            ["a", "b"]
                .iter()
                .map(|n| AlterClause::ModifyColumn {
                    from: col(c, n),
                    to: col(d, n),
                    position: None,
                })
                .collect()
        },
    )
    .await;
}

#[tokio::test]
async fn adds_and_changes_generated_columns() {
    converge(
        "CREATE TABLE t (a INT, v INT AS (a * 2) VIRTUAL, s VARCHAR(20) AS (concat('n,', a)) STORED, \
         w INT AS (a + 1) VIRTUAL)",
        "CREATE TABLE t (a INT, w INT AS (a + 5) STORED)",
        "t",
        |c, d| {
            vec![
                AlterClause::ModifyColumn {
                    from: col(c, "w"),
                    to: col(d, "w"),
                    position: None,
                },
                AlterClause::AddColumn {
                    column: col(d, "v"),
                    position: after("a"),
                },
                AlterClause::AddColumn {
                    column: col(d, "s"),
                    position: after("v"),
                },
            ]
        },
    )
    .await;
}

#[tokio::test]
async fn adds_auto_increment() {
    converge(
        "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, a INT) AUTO_INCREMENT=50",
        "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, a INT)",
        "t",
        |c, d| {
            vec![AlterClause::ModifyColumn {
                from: col(c, "id"),
                to: col(d, "id"),
                position: None,
            }]
        },
    )
    .await;
}

#[tokio::test]
async fn adds_and_drops_indexes_of_every_kind() {
    converge(
        "CREATE TABLE t (a INT, b VARCHAR(50), c TEXT, p POINT NOT NULL, \
         UNIQUE KEY u_ab (a, b), KEY k_b (b(10)), KEY k_multi (a DESC, b), \
         FULLTEXT KEY ft (c), SPATIAL KEY sp (p)) ENGINE=InnoDB",
        "CREATE TABLE t (a INT, b VARCHAR(50), c TEXT, p POINT NOT NULL, KEY old (a), KEY k_b (b)) ENGINE=InnoDB",
        "t",
        |c, d| {
            vec![
                AlterClause::DropIndex(idx(c, "old")),
                AlterClause::DropIndex(idx(c, "k_b")),
                AlterClause::AddIndex(idx(d, "u_ab")),
                AlterClause::AddIndex(idx(d, "k_b")),
                AlterClause::AddIndex(idx(d, "k_multi")),
                AlterClause::AddIndex(idx(d, "ft")),
                AlterClause::AddIndex(idx(d, "sp")),
            ]
        },
    )
    .await;
}

#[tokio::test]
async fn adds_changes_and_drops_primary_keys() {
    converge(
        "CREATE TABLE t (a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (a, b))",
        "CREATE TABLE t (a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (a))",
        "t",
        |c, d| {
            vec![
                AlterClause::DropPrimaryKey(c.primary_key.clone().unwrap()),
                AlterClause::AddPrimaryKey(d.primary_key.clone().unwrap()),
            ]
        },
    )
    .await;
    converge(
        "CREATE TABLE t (a INT NOT NULL, PRIMARY KEY (a))",
        "CREATE TABLE t (a INT NOT NULL)",
        "t",
        |_, d| vec![AlterClause::AddPrimaryKey(d.primary_key.clone().unwrap())],
    )
    .await;
    converge(
        "CREATE TABLE t (a INT NOT NULL)",
        "CREATE TABLE t (a INT NOT NULL, PRIMARY KEY (a))",
        "t",
        |c, _| vec![AlterClause::DropPrimaryKey(c.primary_key.clone().unwrap())],
    )
    .await;
}

const PARENT: &str = "CREATE TABLE p (id INT PRIMARY KEY);";

#[tokio::test]
async fn adds_changes_and_drops_foreign_keys() {
    // Add, with actions.
    converge(
        &format!(
            "{PARENT} CREATE TABLE c (id INT PRIMARY KEY, pid INT, \
             CONSTRAINT fk_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE ON UPDATE SET NULL)"
        ),
        &format!("{PARENT} CREATE TABLE c (id INT PRIMARY KEY, pid INT)"),
        "c",
        |_, d| {
            vec![
                AlterClause::AddIndex(idx(d, "fk_p")),
                AlterClause::AddForeignKey(fk(d, "fk_p")),
            ]
        },
    )
    .await;
    // Same name, other actions: the drop needs its own statement.
    let statements = converge(
        &format!(
            "{PARENT} CREATE TABLE c (id INT PRIMARY KEY, pid INT, \
             CONSTRAINT fk_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE SET NULL)"
        ),
        &format!(
            "{PARENT} CREATE TABLE c (id INT PRIMARY KEY, pid INT, \
             CONSTRAINT fk_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE)"
        ),
        "c",
        |c, d| {
            vec![
                AlterClause::DropForeignKey(fk(c, "fk_p")),
                AlterClause::AddForeignKey(fk(d, "fk_p")),
            ]
        },
    )
    .await;
    assert_eq!(statements.len(), 2, "{statements:#?}");
    // Drop, with the index the server made for it.
    converge(
        &format!("{PARENT} CREATE TABLE c (id INT PRIMARY KEY, pid INT)"),
        &format!(
            "{PARENT} CREATE TABLE c (id INT PRIMARY KEY, pid INT, \
             CONSTRAINT fk_p FOREIGN KEY (pid) REFERENCES p (id) ON UPDATE RESTRICT)"
        ),
        "c",
        |c, _| {
            vec![
                AlterClause::DropIndex(idx(c, "fk_p")),
                AlterClause::DropForeignKey(fk(c, "fk_p")),
            ]
        },
    )
    .await;
}

#[tokio::test]
async fn adds_and_drops_check_constraints() {
    converge(
        "CREATE TABLE t (a INT, b VARCHAR(9), CONSTRAINT c_new CHECK (a > 0 AND b <> ')'), CONSTRAINT c_same CHECK (a < 100))",
        "CREATE TABLE t (a INT, b VARCHAR(9), CONSTRAINT c_old CHECK (b IS NOT NULL), CONSTRAINT c_same CHECK (a < 10))",
        "t",
        |c, d| {
            vec![
                AlterClause::DropCheck(check(c, "c_old")),
                AlterClause::DropCheck(check(c, "c_same")),
                AlterClause::AddCheck(check(d, "c_new")),
                AlterClause::AddCheck(check(d, "c_same")),
            ]
        },
    )
    .await;
}

#[tokio::test]
async fn changes_table_options() {
    converge(
        "CREATE TABLE t (a INT) ENGINE=MyISAM DEFAULT CHARSET=latin1 COLLATE=latin1_bin COMMENT='it''s, (new)' ROW_FORMAT=FIXED",
        "CREATE TABLE t (a INT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 ROW_FORMAT=DYNAMIC COMMENT='old'",
        "t",
        |c, d| {
            vec![AlterClause::ChangeOptions {
                from: c.options.clone(),
                to: d.options.clone(),
            }]
        },
    )
    .await;
    // Options that go away return to the default.
    converge(
        "CREATE TABLE t (a INT) ENGINE=InnoDB",
        "CREATE TABLE t (a INT) ENGINE=InnoDB ROW_FORMAT=COMPRESSED COMMENT='x'",
        "t",
        |c, d| {
            vec![AlterClause::ChangeOptions {
                from: c.options.clone(),
                to: d.options.clone(),
            }]
        },
    )
    .await;
}

#[tokio::test]
async fn adds_changes_and_removes_partitioning() {
    let by_hash = "CREATE TABLE t (id INT NOT NULL, a INT, PRIMARY KEY (id)) PARTITION BY HASH (id) PARTITIONS 3";
    let by_range = "CREATE TABLE t (id INT NOT NULL, a INT, PRIMARY KEY (id)) \
                    PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (10), PARTITION pmax VALUES LESS THAN MAXVALUE)";
    let plain = "CREATE TABLE t (id INT NOT NULL, a INT, PRIMARY KEY (id))";
    let options = |c: &Table, d: &Table| {
        vec![AlterClause::ChangeOptions {
            from: c.options.clone(),
            to: d.options.clone(),
        }]
    };
    let statements = converge(by_hash, plain, "t", options).await;
    assert_eq!(statements.len(), 1);
    converge(by_range, by_hash, "t", options).await;
    let statements = converge(plain, by_range, "t", options).await;
    assert_eq!(statements, ["ALTER TABLE `t` REMOVE PARTITIONING"]);
    // Partitioning with other clauses: a separate statement after them.
    let statements = converge(
        "CREATE TABLE t (id INT NOT NULL, a INT, b INT, PRIMARY KEY (id)) PARTITION BY HASH (id) PARTITIONS 3",
        plain,
        "t",
        |c, d| {
            let mut clauses = options(c, d);
            clauses.push(AlterClause::AddColumn {
                column: col(d, "b"),
                position: after("a"),
            });
            clauses
        },
    )
    .await;
    assert_eq!(statements.len(), 2, "{statements:#?}");
}

#[tokio::test]
async fn creates_and_drops_tables_and_views() {
    let src = MyDb::new("src");
    let tgt = MyDb::new("tgt");
    src.exec(
        "CREATE TABLE p (id INT PRIMARY KEY, `odd``name, (x)` VARCHAR(9) DEFAULT 'a''b') AUTO_INCREMENT=9 COMMENT 'parent';\
         CREATE TABLE c (id INT PRIMARY KEY, pid INT, CONSTRAINT fk FOREIGN KEY (pid) REFERENCES p (id));\
         CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW v AS SELECT id, `odd``name, (x)` FROM p WHERE id > 1;",
    );
    tgt.exec("CREATE TABLE gone (a INT); CREATE VIEW old_v AS SELECT 1 AS one;");
    let desired = source_catalog(&src).await;
    let view = &desired.views[0].definition;
    assert!(
        view.starts_with("CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW `v` AS select ")
            && view.contains("`odd``name, (x)`")
            && !view.contains("DEFINER"),
        "{view}"
    );
    let mut target = open_target(&tgt).await;
    let current = target.introspect().await.unwrap();
    // Child first: FK checks are off during DDL, so order does not matter.
    let changes = vec![
        SchemaChange::DropView(current.view("old_v").unwrap().clone()),
        SchemaChange::DropTable(current.table("gone").unwrap().clone()),
        SchemaChange::CreateTable(desired.table("c").unwrap().clone()),
        SchemaChange::CreateTable(desired.table("p").unwrap().clone()),
        SchemaChange::CreateView(desired.view("v").unwrap().clone()),
    ];
    let mut statements = Vec::new();
    for change in &changes {
        statements.extend(target.dialect().render_change(change));
    }
    target.execute_ddl(&statements).await.unwrap();
    let after = target.introspect().await.unwrap();
    assert_eq!(after.tables, desired.tables);
    assert_eq!(after.views, desired.views);
    assert_eq!(tgt.show_create_tables(), src.show_create_tables());
    // FK checks are back on after the DDL.
    let mut conn =
        MySqlConnection::open(&server_of(&tgt), &ConnectOptions::default(), Role::Target)
            .await
            .unwrap();
    assert!(!conn.session_is_read_only().await.unwrap());
}

#[tokio::test]
async fn a_failing_statement_names_the_table_and_statement() {
    let db = MyDb::new("fail");
    db.exec("CREATE TABLE t (a INT)");
    let mut target = open_target(&db).await;
    let err = target
        .execute_ddl(&[
            "ALTER TABLE `t` ADD COLUMN `b` INT".to_string(),
            "ALTER TABLE `t` DROP COLUMN `nope`".to_string(),
        ])
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Database { .. }), "{text}");
    assert!(
        text.contains("`t`") && text.contains("DROP COLUMN `nope`"),
        "{text}"
    );
    // The session stays usable, and the first statement did run.
    target
        .execute_ddl(&["ALTER TABLE `t` ADD COLUMN `c` INT".to_string()])
        .await
        .unwrap();
    let columns: Vec<String> = target.introspect().await.unwrap().tables[0]
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(columns, ["a", "b", "c"]);
}

#[tokio::test]
async fn introspects_structured_column_facts() {
    let db = MyDb::new("facts");
    db.exec(
        "CREATE TABLE t (\
           id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,\
           d DECIMAL(65,30) DEFAULT 10.5,\
           b BIT(64) DEFAULT b'101',\
           e ENUM('a','B''c,d') NOT NULL DEFAULT 'a',\
           s SET('x','y') COMMENT 'it''s a set',\
           j JSON,\
           l VARCHAR(9) CHARACTER SET latin1 COLLATE latin1_bin DEFAULT 'q',\
           u VARCHAR(36) DEFAULT (uuid()),\
           ts TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),\
           g INT AS (d * 2) VIRTUAL,\
           gs INT AS (d + 1) STORED INVISIBLE,\
           pt POINT NOT NULL,\
           KEY k (l(4) DESC) COMMENT 'idx' IGNORED\
         ) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='tab'",
    );
    let catalog = source_catalog(&db).await;
    assert!(matches!(
        catalog.flavor,
        lockstep::catalog::model::Flavor::MariaDb { .. }
            | lockstep::catalog::model::Flavor::MySql { .. }
    ));
    let t = catalog.table("t").unwrap();
    let id = col(t, "id");
    assert_eq!(
        id.sql_type,
        SqlType::Integer {
            bytes: 8,
            unsigned: true
        }
    );
    assert!(id.auto_increment && !id.nullable);
    assert_eq!(
        col(t, "d").sql_type,
        SqlType::Decimal {
            precision: 65,
            scale: 30,
            unsigned: false
        }
    );
    assert!(
        matches!(col(t, "d").default, Some(DefaultValue::Literal(ref v)) if v.starts_with("10.5"))
    );
    assert_eq!(col(t, "b").sql_type, SqlType::Bit { width: 64 });
    assert_eq!(
        col(t, "b").default,
        Some(DefaultValue::Literal("b'101'".into()))
    );
    assert_eq!(
        col(t, "e").sql_type,
        SqlType::Enum {
            values: vec!["a".into(), "B'c,d".into()]
        }
    );
    assert_eq!(col(t, "e").default, Some(DefaultValue::Literal("a".into())));
    assert_eq!(
        col(t, "s").sql_type,
        SqlType::Set {
            values: vec!["x".into(), "y".into()]
        }
    );
    assert_eq!(col(t, "s").comment, "it's a set");
    assert_eq!(col(t, "s").default, Some(DefaultValue::Null));
    assert_eq!(col(t, "j").sql_type, SqlType::Json);
    let l = col(t, "l");
    assert_eq!(
        (l.charset.as_deref(), l.collation.as_deref()),
        (Some("latin1"), Some("latin1_bin"))
    );
    // Charset/collation are filled even when SHOW CREATE omits them.
    assert_eq!(col(t, "u").charset.as_deref(), Some("utf8mb4"));
    assert_eq!(col(t, "u").collation.as_deref(), Some("utf8mb4_unicode_ci"));
    assert!(
        matches!(col(t, "u").default, Some(DefaultValue::Expression(ref e)) if e.contains("uuid()"))
    );
    let ts = col(t, "ts");
    assert_eq!(ts.sql_type, SqlType::Timestamp { fsp: 3 });
    assert!(
        matches!(ts.default, Some(DefaultValue::Expression(ref e)) if e.to_lowercase().starts_with("current_timestamp"))
    );
    assert!(ts
        .on_update
        .unwrap()
        .to_lowercase()
        .starts_with("current_timestamp"));
    assert_eq!(
        col(t, "g").generated,
        Some(Generated {
            expression: "`d` * 2".into(),
            stored: false
        })
    );
    let gs = col(t, "gs");
    assert!(gs.generated.unwrap().stored && gs.invisible);
    assert_eq!(
        col(t, "pt").sql_type,
        SqlType::Spatial {
            kind: "point".into()
        }
    );
    assert_eq!(col(t, "pt").default, None);
    let k = idx(t, "k");
    assert_eq!(k.kind, IndexKind::Plain);
    assert_eq!((k.parts[0].prefix, k.parts[0].descending), (Some(4), true));
    assert_eq!(k.comment, "idx");
    assert!(k.invisible);
    assert_eq!(t.primary_key.as_ref().unwrap().column_names(), ["id"]);
    assert_eq!(t.options.comment, "tab");
    assert_eq!(t.options.charset.as_deref(), Some("utf8mb4"));
    assert_eq!(t.options.engine.as_deref(), Some("InnoDB"));
    // Definitions are the SHOW CREATE lines.
    let create = &db.show_create_tables()["t"];
    for c in &t.columns {
        assert!(
            create.contains(&c.definition),
            "{} not in {create}",
            c.definition
        );
    }
    assert!(create.contains(&k.definition));
}

#[tokio::test]
async fn introspects_foreign_keys_checks_and_sorted_tables() {
    let db = MyDb::new("fks");
    db.exec(&format!(
        "{PARENT} CREATE TABLE b_child (id INT PRIMARY KEY, pid INT, \
         CONSTRAINT `f,k` FOREIGN KEY (pid) REFERENCES p (id) ON DELETE SET NULL ON UPDATE CASCADE, \
         CONSTRAINT ck CHECK (id <> 0)); CREATE TABLE a_first (x INT); CREATE VIEW zv AS SELECT 1 AS one;"
    ));
    let catalog = source_catalog(&db).await;
    let names: Vec<&str> = catalog.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["a_first", "b_child", "p"]);
    assert_eq!(catalog.views.len(), 1);
    let child = catalog.table("b_child").unwrap();
    let f = fk(child, "f,k");
    assert_eq!(f.columns, ["pid"]);
    assert_eq!(f.referenced_table, "p");
    assert_eq!(f.referenced_columns, ["id"]);
    assert_eq!(
        (f.on_delete, f.on_update),
        (FkAction::SetNull, FkAction::Cascade)
    );
    assert_eq!(check(child, "ck").expression, "`id` <> 0");
}

#[tokio::test]
async fn source_sessions_are_read_only_and_targets_are_not() {
    let db = MyDb::new("ro");
    let server = server_of(&db);
    let mut source = MySqlConnection::open(&server, &ConnectOptions::default(), Role::Source)
        .await
        .unwrap();
    assert!(source.session_is_read_only().await.unwrap());
    let mut target = MySqlConnection::open(&server, &ConnectOptions::default(), Role::Target)
        .await
        .unwrap();
    assert!(!target.session_is_read_only().await.unwrap());
}

#[tokio::test]
async fn connection_errors_carry_hints_and_never_the_password() {
    let db = MyDb::new("conn");
    let mut server = server_of(&db);
    // A port nobody listens on.
    let mut wrong_port = server.clone();
    wrong_port.port = 1;
    let err = MySqlConnection::open(&wrong_port, &ConnectOptions::default(), Role::Source)
        .await
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(
        matches!(err, Error::Connect { role: "source", .. }),
        "{text}"
    );
    assert!(
        text.contains("check host and port") && text.contains(":1/"),
        "{text}"
    );
    // An address that never answers (or is unreachable): the same hint.
    let mut silent = server.clone();
    silent.host = "10.255.255.1".to_string();
    let quick = ConnectOptions {
        connect_timeout: std::time::Duration::from_millis(300),
        ..ConnectOptions::default()
    };
    let err = MySqlConnection::open(&silent, &quick, Role::Source)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("is the server running at 10.255.255.1:"),
        "{err}"
    );
    // A wrong password.
    server.password = Some("s3cret-Pa55".to_string());
    let err = MySqlConnection::open(&server, &ConnectOptions::default(), Role::Target)
        .await
        .err()
        .unwrap();
    let text = format!("{err} {err:?}");
    assert!(text.contains("check user and password"), "{text}");
    assert!(!text.contains("s3cret-Pa55"), "{text}");
    // An unknown database.
    let mut missing = server_of(&db);
    missing.database = format!("{}_missing", db.name);
    let err = MySqlConnection::open(&missing, &ConnectOptions::default(), Role::Target)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("create it or fix the database name"), "{err}");
    // Unknown URL parameters are refused before connecting.
    let mut typo = server_of(&db);
    typo.params.insert("sslmode".into(), "required".into());
    let err = MySqlConnection::open(&typo, &ConnectOptions::default(), Role::Target)
        .await
        .err()
        .unwrap();
    assert!(matches!(err, Error::Url { .. }), "{err}");
    // ssl-mode=disabled connects in plain text.
    let mut plain = server_of(&db);
    plain.params.insert("ssl-mode".into(), "disabled".into());
    assert!(
        MySqlConnection::open(&plain, &ConnectOptions::default(), Role::Target)
            .await
            .is_ok()
    );
}
