//! Renders schema changes as SQLite DDL, rebuilding a table where ALTER
//! TABLE cannot express the change.
//!
//! SQLite's ALTER TABLE can add a column at the end (with limits), drop a
//! column nothing else depends on, and indexes are their own statements.
//! Everything else (types, nullability, defaults, keys, constraints,
//! options, column order) goes through a rebuild: the old table renamed
//! away, the desired table created, the common columns copied, the old
//! table dropped, the indexes re-created.
//!
//! Either way the target ends with the source's own text in its schema
//! (`sqlite3 .schema` reads the same on both): a rebuild runs the source's
//! `CREATE TABLE` as stored, and ALTER TABLE adds each column with the
//! source's own text for it, which is taken only when the text SQLite then
//! stores is exactly the source's (else the table is rebuilt).
//! The statements run with foreign keys off and `legacy_alter_table` on,
//! so renaming the old table rewrites nothing that refers to it (see
//! `execute_ddl` and [`script_frame`]).

use super::parse::{
    column_body, column_text, parse_create_table, text_with_column_added, text_with_column_dropped,
};
use super::quote_ident;
use super::tokens::{mentions, tokenize};
use crate::catalog::change::{AlterClause, SchemaChange};
use crate::catalog::model::{Column, Index, IndexKind, SchemaObject, SqlType, Table};

/// Name prefix the old table takes while a rebuild replaces it.
pub const REBUILD_PREFIX: &str = "_lockstep_old_";

pub fn render(change: &SchemaChange) -> Vec<String> {
    match change {
        SchemaChange::CreateTable(table) => std::iter::once(table.options.native_create.clone())
            .chain(explicit_indexes(table))
            .collect(),
        SchemaChange::DropTable(table) => vec![format!("DROP TABLE {}", quote_ident(&table.name))],
        SchemaChange::CreateView(view) => vec![view.definition.clone()],
        SchemaChange::DropView(view) => vec![format!("DROP VIEW {}", quote_ident(&view.name))],
        SchemaChange::CreateObject { object, .. } => vec![object.definition.clone()],
        SchemaChange::DropObject { object, .. } => vec![drop_object(object)],
        SchemaChange::ReplaceObject { current, desired } => {
            vec![drop_object(current), desired.definition.clone()]
        }
        SchemaChange::AlterTable {
            current,
            desired,
            clauses,
        } => alter(current, desired, clauses).unwrap_or_else(|| rebuild(current, desired)),
        // Never planned: SQLite catalogs hold no types, and a sync across
        // engines is refused before any plan; SQLite would refuse it.
        SchemaChange::Type(change) => vec![format!("CREATE TYPE {}", quote_ident(change.name()))],
        // Never planned either: SQLite catalogs hold no extensions.
        SchemaChange::Extension(change) => {
            vec![format!("CREATE EXTENSION {}", quote_ident(change.name()))]
        }
        // Never planned either: SQLite catalogs hold no sequences or schemas.
        SchemaChange::Sequence(change) => {
            vec![format!("CREATE SEQUENCE {}", quote_ident(change.name()))]
        }
        SchemaChange::DropSchema(schema) => {
            vec![format!("DROP SCHEMA {}", quote_ident(&schema.name))]
        }
        // Never planned: privileges are PostgreSQL's here.
        SchemaChange::Grants(grants) => vec![format!("GRANT ON {}", quote_ident(&grants.name))],
    }
}

/// SQLite's only stored objects are triggers.
fn drop_object(object: &SchemaObject) -> String {
    format!("DROP TRIGGER {}", quote_ident(&object.name))
}

/// Statements that make a DDL script runnable on its own in the `sqlite3`
/// shell: foreign keys off, renames that leave views and triggers alone,
/// one transaction.
pub fn script_frame() -> (Vec<String>, Vec<String>) {
    (
        vec![
            "PRAGMA foreign_keys=OFF".to_string(),
            "PRAGMA legacy_alter_table=ON".to_string(),
            "BEGIN".to_string(),
        ],
        vec![
            "COMMIT".to_string(),
            "PRAGMA legacy_alter_table=OFF".to_string(),
            "PRAGMA foreign_keys=ON".to_string(),
        ],
    )
}

/// The `CREATE INDEX` statements of a table (indexes SQLite makes itself
/// for UNIQUE / PRIMARY KEY constraints come with the table).
fn explicit_indexes(table: &Table) -> impl Iterator<Item = String> + '_ {
    table
        .indexes
        .iter()
        .filter(|i| is_explicit(i))
        .map(|i| i.definition.clone())
}

fn is_explicit(index: &Index) -> bool {
    index.kind != IndexKind::Primary && !index.definition.is_empty()
}

fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// True when a constraint's text is written inside the column's own
/// definition (and so comes and goes with the column).
fn written_in(column: &Column, constraint_definition: &str) -> bool {
    !constraint_definition.is_empty() && column.definition.contains(constraint_definition)
}

/// The change as plain ALTER TABLE / index statements, or `None` when some
/// clause needs a rebuild, or when adding and dropping columns would not
/// leave the source's own text.
fn alter(current: &Table, desired: &Table, clauses: &[AlterClause]) -> Option<Vec<String>> {
    let table = quote_ident(&desired.name);
    let added: Vec<&Column> = clauses
        .iter()
        .filter_map(|c| match c {
            AlterClause::AddColumn { column, .. } => Some(column),
            _ => None,
        })
        .collect();
    let dropped: Vec<&Column> = clauses
        .iter()
        .filter_map(|c| match c {
            AlterClause::DropColumn(column) => Some(column),
            _ => None,
        })
        .collect();
    let dropped_indexes: Vec<&str> = clauses
        .iter()
        .filter_map(|c| match c {
            AlterClause::DropIndex(i) => Some(i.name.as_str()),
            _ => None,
        })
        .collect();
    let (mut drop_indexes, mut drop_columns, mut add_columns, mut add_indexes) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // The text SQLite will store for the table, step by step.
    let mut text = current.options.native_create.clone();
    let mut added_text = Vec::new();
    for clause in clauses {
        match clause {
            AlterClause::AddColumn { column, .. } if can_add(column, desired) => {
                let own = column_text(&desired.options.native_create, &column.name)?;
                add_columns.push(format!("ALTER TABLE {table} ADD COLUMN {own}"));
                added_text.push(own);
            }
            AlterClause::DropColumn(column) if can_drop(column, current, &dropped_indexes) => {
                drop_columns.push(format!(
                    "ALTER TABLE {table} DROP COLUMN {}",
                    quote_ident(&column.name)
                ));
                text = text_with_column_dropped(&text, &column.name)?;
            }
            AlterClause::AddIndex(index) if is_explicit(index) => {
                add_indexes.push(index.definition.clone());
            }
            AlterClause::DropIndex(index) if is_explicit(index) => {
                drop_indexes.push(format!("DROP INDEX {}", quote_ident(&index.name)));
            }
            AlterClause::AddForeignKey(fk)
                if added.iter().any(|c| {
                    fk.columns.len() == 1
                        && same_name(&c.name, &fk.columns[0])
                        && written_in(c, &fk.definition)
                }) => {}
            AlterClause::AddCheck(check)
                if added.iter().any(|c| written_in(c, &check.definition)) => {}
            AlterClause::DropCheck(check)
                if dropped.iter().any(|c| written_in(c, &check.definition)) => {}
            _ => return None,
        }
    }
    // ADD COLUMN appends: the result must be the desired order.
    let mut order: Vec<&str> = current
        .columns
        .iter()
        .filter(|c| !dropped.iter().any(|d| same_name(&d.name, &c.name)))
        .map(|c| c.name.as_str())
        .collect();
    order.extend(added.iter().map(|c| c.name.as_str()));
    let desired_order: Vec<&str> = desired.columns.iter().map(|c| c.name.as_str()).collect();
    if order.len() != desired_order.len()
        || !order
            .iter()
            .zip(&desired_order)
            .all(|(a, b)| same_name(a, b))
    {
        return None;
    }
    for own in added_text {
        text = text_with_column_added(&text, own)?;
    }
    if !(added.is_empty() && dropped.is_empty()) && text != desired.options.native_create {
        return None;
    }
    Some(
        drop_indexes
            .into_iter()
            .chain(drop_columns)
            .chain(add_columns)
            .chain(add_indexes)
            .collect(),
    )
}

/// Whether `ALTER TABLE ADD COLUMN` accepts the column: no PRIMARY KEY or
/// UNIQUE, not a STORED generated column, a constant default (no
/// `CURRENT_*`, nothing in parentheses), and a non-NULL default when NOT NULL.
fn can_add(column: &Column, desired: &Table) -> bool {
    let body = column_body(&tokenize(&column.definition));
    let in_primary_key = desired
        .primary_key
        .as_ref()
        .is_some_and(|pk| pk.column_names().iter().any(|n| same_name(n, &column.name)));
    let constant_default = body.default.as_deref().is_none_or(|d| {
        !d.starts_with('(')
            && !["CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"]
                .iter()
                .any(|k| d.eq_ignore_ascii_case(k))
    });
    let has_value = column.nullable
        || column.generated.is_some()
        || body
            .default
            .as_deref()
            .is_some_and(|d| !d.eq_ignore_ascii_case("NULL"));
    !body.primary_key
        && !body.unique
        && !in_primary_key
        && !column.generated.as_ref().is_some_and(|g| g.stored)
        && constant_default
        && has_value
}

/// Whether `ALTER TABLE DROP COLUMN` accepts dropping the column: it is not
/// in a key, an index that stays, a foreign key, another column's generated
/// expression, or a CHECK that is not its own.
fn can_drop(column: &Column, current: &Table, dropped_indexes: &[&str]) -> bool {
    let name = column.name.as_str();
    let body = column_body(&tokenize(&column.definition));
    let in_text = |text: &str| mentions(&tokenize(text), name);
    let in_key = current
        .primary_key
        .iter()
        .chain(
            current
                .indexes
                .iter()
                .filter(|i| !dropped_indexes.contains(&i.name.as_str())),
        )
        .any(|index| {
            index.parts.iter().any(|p| {
                p.column.as_deref().is_some_and(|c| same_name(c, name))
                    || p.expression.as_deref().is_some_and(in_text)
            }) || index.predicate.as_deref().is_some_and(in_text)
        });
    let in_foreign_key = current
        .foreign_keys
        .iter()
        .any(|fk| fk.columns.iter().any(|c| same_name(c, name)));
    let in_check = current
        .checks
        .iter()
        .any(|check| in_text(&check.expression) && !written_in(column, &check.definition));
    let in_generated = current.columns.iter().any(|c| {
        !same_name(&c.name, name) && c.generated.as_ref().is_some_and(|g| in_text(&g.expression))
    });
    !body.primary_key && !body.unique && !in_key && !in_foreign_key && !in_check && !in_generated
}

/// The rebuild: the old table renamed away, the source's `CREATE TABLE`
/// as stored (so the table keeps the source's own text, its quoting
/// included, where renaming a new table into place would rewrite its
/// name), the common stored columns copied, the old table dropped, the
/// indexes re-created. SQLite's own 12-step procedure renames the new
/// table instead, as renaming the old one would rewrite what refers to
/// it; with `legacy_alter_table` on and foreign keys off nothing is.
fn rebuild(current: &Table, desired: &Table) -> Vec<String> {
    if parse_create_table(&desired.options.native_create).is_none() {
        // Only a CREATE TABLE read from SQLite can be rebuilt; make the
        // statement list fail with a message that says so.
        let message = format!(
            "lockstep cannot rebuild table {}: its definition is not a SQLite CREATE TABLE",
            desired.name
        );
        return vec![format!("SELECT * FROM {}", quote_ident(&message))];
    }
    let old = quote_ident(&format!("{REBUILD_PREFIX}{}", current.name));
    let mut statements = vec![
        format!("ALTER TABLE {} RENAME TO {old}", quote_ident(&current.name)),
        desired.options.native_create.clone(),
    ];
    let copied: Vec<(&Column, &Column)> = desired
        .columns
        .iter()
        .filter(|d| d.generated.is_none())
        .filter_map(|d| {
            current
                .columns
                .iter()
                .find(|c| same_name(&c.name, &d.name))
                .map(|c| (d, c))
        })
        .collect();
    if !copied.is_empty() {
        let targets: Vec<String> = copied.iter().map(|(d, _)| quote_ident(&d.name)).collect();
        let sources: Vec<String> = copied.iter().map(|(d, c)| copy_value(d, c)).collect();
        statements.push(format!(
            "INSERT INTO {} ({}) SELECT {} FROM {old}",
            quote_ident(&desired.name),
            targets.join(", "),
            sources.join(", "),
        ));
    }
    statements.push(format!("DROP TABLE {old}"));
    statements.extend(explicit_indexes(desired));
    statements
}

/// What a rebuild copies into a column: the old value, or, where the column
/// becomes NOT NULL, NULLs replaced by its default (else a zero value).
fn copy_value(desired: &Column, current: &Column) -> String {
    let old = quote_ident(&current.name);
    if desired.nullable || (!current.nullable && current.generated.is_none()) {
        return old;
    }
    let fallback = column_body(&tokenize(&desired.definition))
        .default
        .filter(|d| !d.eq_ignore_ascii_case("NULL"))
        .unwrap_or_else(|| zero_value(&desired.sql_type).to_string());
    format!("COALESCE({old}, {fallback})")
}

fn zero_value(sql_type: &SqlType) -> &'static str {
    match sql_type {
        SqlType::Integer { .. }
        | SqlType::Decimal { .. }
        | SqlType::Float { .. }
        | SqlType::Bit { .. }
        | SqlType::Boolean
        | SqlType::Year => "0",
        SqlType::Binary { .. } | SqlType::Blob { .. } => "X''",
        _ => "''",
    }
}
