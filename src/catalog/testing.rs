//! Hand-built catalogs for the in-memory tests of the diff and the FK
//! graph, so a test reads like the schema it describes:
//!
//! ```text
//! mysql()
//!     .table(table("users").col("id", "int NOT NULL").pk(&["id"]))
//!     .table(table("orders").col("user_id", "int").fk("fk_user", "user_id", "users"))
//! ```
//!
//! A column is given as its MySQL definition after the name; the builder
//! keeps that text as the column's `definition` (what the diff compares)
//! and reads the structured fields (type, NULL, charset, generated) out of
//! it. Every other object gets a MySQL-like `definition` from its parts.

use super::change::{AlterClause, ColumnPosition, SchemaChange};
use super::diff::{diff, DiffOptions, PlannedChange};
use super::model::{
    Catalog, CheckConstraint, Column, FkAction, Flavor, ForeignKey, Generated, Index, IndexKind,
    IndexPart, ObjectContext, ObjectKind, PartitionOf, SchemaObject, SqlType, Table, TableOptions,
    View,
};
use super::row_security::Policy;
use super::sequences::SequenceChange;

pub fn mysql() -> CatalogBuilder {
    CatalogBuilder::new(Flavor::MySql {
        version: "8.0.40".into(),
    })
}

pub fn sqlite() -> CatalogBuilder {
    CatalogBuilder::new(Flavor::Sqlite {
        version: "3.46.0".into(),
    })
}

pub struct CatalogBuilder {
    catalog: Catalog,
}

impl CatalogBuilder {
    fn new(flavor: Flavor) -> Self {
        CatalogBuilder {
            catalog: Catalog {
                flavor,
                tables: Vec::new(),
                views: Vec::new(),
                objects: Vec::new(),
                types: Vec::new(),
                extensions: Vec::new(),
                sequences: Vec::new(),
                schemas: Vec::new(),
                granted: Vec::new(),
                unreadable: Vec::new(),
                counters: Default::default(),
            },
        }
    }

    pub fn table(mut self, table: TableBuilder) -> Self {
        self.catalog.tables.push(table.table);
        self
    }

    /// A view with its SELECT text and the tables/views it reads.
    pub fn view(mut self, name: &str, select: &str, depends_on: &[&str]) -> Self {
        self.catalog.views.push(View {
            name: name.into(),
            definition: format!("CREATE VIEW `{name}` AS {select}"),
            depends_on: depends_on.iter().map(|d| d.to_string()).collect(),
            grants: Vec::new(),
        });
        self
    }

    /// A trigger, routine or event with its text (no session context).
    pub fn object(mut self, kind: ObjectKind, name: &str, table: Option<&str>, text: &str) -> Self {
        self.catalog.objects.push(SchemaObject {
            kind,
            name: name.into(),
            table: table.map(str::to_string),
            definition: text.into(),
            context: ObjectContext::default(),
        });
        self
    }

    /// The catalog, tables and views sorted by name as introspection gives them.
    pub fn build(mut self) -> Catalog {
        self.catalog.tables.sort_by(|a, b| a.name.cmp(&b.name));
        self.catalog.views.sort_by(|a, b| a.name.cmp(&b.name));
        self.catalog
    }
}

pub fn table(name: &str) -> TableBuilder {
    TableBuilder {
        table: Table {
            name: name.into(),
            columns: Vec::new(),
            primary_key: None,
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            options: TableOptions {
                engine: Some("InnoDB".into()),
                charset: Some("utf8mb4".into()),
                ..TableOptions::default()
            },
        },
    }
}

pub struct TableBuilder {
    table: Table,
}

impl TableBuilder {
    /// A column from its definition after the name, e.g.
    /// `varchar(40) CHARACTER SET latin1 NOT NULL`.
    pub fn col(mut self, name: &str, definition: &str) -> Self {
        self.table.columns.push(column(name, definition));
        self
    }

    pub fn pk(mut self, columns: &[&str]) -> Self {
        self.table.primary_key = Some(index("PRIMARY", IndexKind::Primary, columns));
        self
    }

    pub fn index(mut self, name: &str, columns: &[&str]) -> Self {
        self.table
            .indexes
            .push(index(name, IndexKind::Plain, columns));
        self
    }

    /// A foreign key from `column` to `parent`'s `id`.
    pub fn fk(self, name: &str, column: &str, parent: &str) -> Self {
        self.fk_to(name, column, parent, "id")
    }

    /// A foreign key from `column` to `parent`'s `parent_column`.
    pub fn fk_to(mut self, name: &str, column: &str, parent: &str, parent_column: &str) -> Self {
        self.table.foreign_keys.push(ForeignKey {
            name: name.into(),
            columns: vec![column.into()],
            referenced_table: parent.into(),
            referenced_columns: vec![parent_column.into()],
            on_delete: FkAction::Restrict,
            on_update: FkAction::Restrict,
            definition: format!(
                "CONSTRAINT `{name}` FOREIGN KEY (`{column}`) REFERENCES `{parent}` (`{parent_column}`)"
            ),
        });
        self
    }

    /// A partition of `parent` with `bound`, its columns the parent's.
    pub fn partition_of(mut self, parent: &str, bound: &str) -> Self {
        self.table.options.partition_of = Some(PartitionOf {
            parent: parent.into(),
            bound: bound.into(),
        });
        self.table.options.inherited_columns =
            self.table.columns.iter().map(|c| c.name.clone()).collect();
        self
    }

    /// Inheriting from `parent`, with its columns so far from it.
    pub fn inherits(mut self, parent: &str) -> Self {
        self.table.options.inherits.push(parent.into());
        self.table.options.inherited_columns =
            self.table.columns.iter().map(|c| c.name.clone()).collect();
        self
    }

    /// Row security on, and forced when `forced`.
    pub fn row_security(mut self, forced: bool) -> Self {
        self.table.options.row_security.enabled = true;
        self.table.options.row_security.forced = forced;
        self
    }

    /// A permissive policy for every command and role with its `USING`.
    pub fn policy(mut self, name: &str, using: &str) -> Self {
        self.table.options.row_security.policies.push(Policy {
            name: name.into(),
            permissive: true,
            command: "ALL".into(),
            roles: Vec::new(),
            using: Some(using.into()),
            check: None,
            comment: String::new(),
        });
        self
    }

    /// `privilege` granted to `role`, without the grant option.
    pub fn grant(mut self, privilege: &str, role: &str) -> Self {
        self.table.options.grants.push(super::grants::Grant {
            grantee: Some(role.into()),
            privilege: privilege.into(),
            grantable: false,
            column: None,
        });
        self
    }

    pub fn check(mut self, name: &str, expression: &str) -> Self {
        self.table.checks.push(CheckConstraint {
            name: name.into(),
            expression: expression.into(),
            definition: format!("CONSTRAINT `{name}` CHECK ({expression})"),
        });
        self
    }
}

fn index(name: &str, kind: IndexKind, columns: &[&str]) -> Index {
    let list: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
    let list = list.join(",");
    let definition = match kind {
        IndexKind::Primary => format!("PRIMARY KEY ({list})"),
        IndexKind::Unique => format!("UNIQUE KEY `{name}` ({list})"),
        _ => format!("KEY `{name}` ({list})"),
    };
    Index {
        name: name.into(),
        kind,
        parts: columns
            .iter()
            .map(|c| IndexPart {
                column: Some(c.to_string()),
                expression: None,
                prefix: None,
                descending: false,
            })
            .collect(),
        using: None,
        comment: String::new(),
        invisible: false,
        predicate: None,
        definition,
    }
}

/// A column read out of its MySQL definition: the type is the text before
/// the first keyword; `NOT NULL`, `CHARACTER SET x` and
/// `GENERATED ALWAYS AS (expr) STORED|VIRTUAL` set their fields.
fn column(name: &str, definition: &str) -> Column {
    let upper = definition.to_ascii_uppercase();
    let type_end = [
        " NOT NULL",
        " NULL",
        " CHARACTER SET",
        " GENERATED",
        " DEFAULT",
    ]
    .iter()
    .filter_map(|k| upper.find(k))
    .min()
    .unwrap_or(definition.len());
    let data_type = definition[..type_end].trim().to_ascii_lowercase();
    let charset = upper.find("CHARACTER SET ").map(|at| {
        definition[at + "CHARACTER SET ".len()..]
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    });
    let generated = upper.find("GENERATED ALWAYS AS ").map(|at| {
        let rest = &definition[at + "GENERATED ALWAYS AS ".len()..];
        let end = rest.rfind(')').map_or(rest.len(), |e| e + 1);
        Generated {
            expression: rest[..end].to_string(),
            stored: upper.ends_with("STORED"),
        }
    });
    Column {
        name: name.into(),
        sql_type: sql_type(&data_type),
        data_type,
        nullable: !upper.contains("NOT NULL"),
        default: None,
        on_update: None,
        auto_increment: false,
        charset,
        collation: None,
        comment: String::new(),
        generated,
        invisible: false,
        definition: definition.into(),
    }
}

/// The neutral reading of the MySQL types these tests use.
pub fn sql_type(data_type: &str) -> SqlType {
    let unsigned = data_type.contains("unsigned");
    let (base, args) = match data_type.split_once('(') {
        Some((base, rest)) => (base, rest.split(')').next().unwrap_or_default()),
        None => (data_type.split_whitespace().next().unwrap_or_default(), ""),
    };
    let args: Vec<u32> = args
        .split(',')
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    let arg = |i: usize| args.get(i).copied().unwrap_or(0);
    let integer = |bytes| SqlType::Integer { bytes, unsigned };
    match base {
        "tinyint" => integer(1),
        "smallint" => integer(2),
        "mediumint" => integer(3),
        "int" | "integer" => integer(4),
        "bigint" => integer(8),
        "decimal" => SqlType::Decimal {
            precision: arg(0),
            scale: arg(1),
            unsigned,
        },
        "char" => SqlType::Char {
            length: arg(0),
            varying: false,
        },
        "varchar" => SqlType::Char {
            length: arg(0),
            varying: true,
        },
        "text" => SqlType::Text { max_bytes: 65_535 },
        "date" => SqlType::Date,
        "datetime" => SqlType::DateTime { fsp: arg(0) as u8 },
        other => SqlType::Other { name: other.into() },
    }
}

/// The plan a MySQL target gets: FKs in their own phases, index order kept.
pub fn mysql_plan(source: &Catalog, target: &Catalog) -> Vec<PlannedChange> {
    let options = DiffOptions {
        separate_fk_phase: true,
        fks_after_rows: false,
        index_order_matters: true,
        suspend_triggers: false,
    };
    diff(source, target, &|_| true, options)
}

/// The plan a SQLite target gets: FK changes travel with their table.
pub fn sqlite_plan(source: &Catalog, target: &Catalog) -> Vec<PlannedChange> {
    let options = DiffOptions {
        separate_fk_phase: false,
        fks_after_rows: false,
        index_order_matters: false,
        suspend_triggers: false,
    };
    diff(source, target, &|_| true, options)
}

/// One line per step, e.g. `alter orders: drop fk fk_user`, so a test can
/// assert a whole plan's order in one readable list.
pub fn steps(plan: &[PlannedChange]) -> Vec<String> {
    plan.iter().map(|p| step(&p.change)).collect()
}

fn step(change: &SchemaChange) -> String {
    match change {
        SchemaChange::CreateTable(t) => format!("create table {}", t.name),
        SchemaChange::DropTable(t) => format!("drop table {}", t.name),
        SchemaChange::CreateView(v) => format!("create view {}", v.name),
        SchemaChange::DropView(v) => format!("drop view {}", v.name),
        SchemaChange::AlterTable {
            desired, clauses, ..
        } => {
            let clauses: Vec<String> = clauses.iter().map(clause).collect();
            format!("alter {}: {}", desired.name, clauses.join(", "))
        }
        SchemaChange::CreateObject { object, why } => {
            format!("create {} {} ({why:?})", object.kind, object.name)
        }
        SchemaChange::DropObject { object, why } => {
            format!("drop {} {} ({why:?})", object.kind, object.name)
        }
        SchemaChange::ReplaceObject { desired, .. } => {
            format!("replace {} {}", desired.kind, desired.name)
        }
        SchemaChange::Type(change) => format!("type {}", change.name()),
        SchemaChange::Extension(change) => format!("extension {}", change.name()),
        SchemaChange::Sequence(change) => match change {
            SequenceChange::Create(q) => format!("create sequence {}", q.name),
            SequenceChange::Alter { desired, .. } => format!("alter sequence {}", desired.name),
            SequenceChange::Own {
                sequence,
                owner: Some(o),
            } => format!("own sequence {sequence} by {}.{}", o.table, o.column),
            SequenceChange::Own { sequence, .. } => format!("disown sequence {sequence}"),
            SequenceChange::Drop(q) => format!("drop sequence {}", q.name),
        },
        SchemaChange::DropSchema(schema) => format!("drop schema {}", schema.name),
        SchemaChange::Grants(g) => format!("grants on {} {}", g.kind.as_str(), g.name),
    }
}

fn clause(clause: &AlterClause) -> String {
    let position = |p: &ColumnPosition| match p {
        ColumnPosition::First => " first".to_string(),
        ColumnPosition::After(c) => format!(" after {c}"),
    };
    match clause {
        AlterClause::AddColumn {
            column,
            position: p,
        } => {
            format!("add column {}{}", column.name, position(p))
        }
        AlterClause::DropColumn(c) => format!("drop column {}", c.name),
        AlterClause::ModifyColumn {
            to, position: p, ..
        } => format!(
            "modify column {}{}",
            to.name,
            p.as_ref().map(position).unwrap_or_default()
        ),
        AlterClause::DropPrimaryKey(_) => "drop primary key".into(),
        AlterClause::AddPrimaryKey(_) => "add primary key".into(),
        AlterClause::DropIndex(i) => format!("drop index {}", i.name),
        AlterClause::AddIndex(i) => format!("add index {}", i.name),
        AlterClause::DropForeignKey(f) => format!("drop fk {}", f.name),
        AlterClause::AddForeignKey(f) => format!("add fk {}", f.name),
        AlterClause::DropCheck(c) => format!("drop check {}", c.name),
        AlterClause::AddCheck(c) => format!("add check {}", c.name),
        AlterClause::ChangeOptions { .. } => "change options".into(),
    }
}

/// A table-wide grant of `privilege` to `role` (`None`: PUBLIC).
pub fn grant(role: Option<&str>, privilege: &str, grantable: bool) -> super::grants::Grant {
    super::grants::Grant {
        grantee: role.map(str::to_string),
        privilege: privilege.into(),
        grantable,
        column: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_fields_are_read_out_of_the_definition() {
        let c = column("c", "varchar(40) CHARACTER SET latin1 NOT NULL");
        assert_eq!(c.data_type, "varchar(40)");
        assert_eq!(
            c.sql_type,
            SqlType::Char {
                length: 40,
                varying: true
            }
        );
        assert_eq!(c.charset.as_deref(), Some("latin1"));
        assert!(!c.nullable);
        assert_eq!(c.definition, "varchar(40) CHARACTER SET latin1 NOT NULL");

        let g = column("g", "int unsigned GENERATED ALWAYS AS (`a` + 1) STORED");
        assert_eq!(
            g.sql_type,
            SqlType::Integer {
                bytes: 4,
                unsigned: true
            }
        );
        assert!(g.nullable);
        assert_eq!(
            g.generated,
            Some(Generated {
                expression: "(`a` + 1)".into(),
                stored: true
            })
        );
    }
}
