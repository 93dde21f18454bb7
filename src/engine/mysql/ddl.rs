//! Renders schema changes as MySQL/MariaDB DDL. Columns, keys and
//! constraints are replayed from their `SHOW CREATE TABLE` text
//! (`definition`), so the target ends with exactly the source's text.

use super::objects;
use crate::catalog::change::{AlterClause, ColumnPosition, SchemaChange};
use crate::catalog::model::{Column, Flavor, Table, TableOptions};

/// Quotes an identifier with backquotes (a backquote inside is doubled).
/// The only place this engine turns a name into SQL.
pub fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A string literal for a table option such as COMMENT, or a session
/// setting's value.
pub(super) fn quote_string(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

/// `ALTER TABLE … AUTO_INCREMENT = next`: InnoDB takes it unless a row
/// holds a key that large, and then sets the largest key + 1.
pub fn set_counter(table: &str, next: u64) -> String {
    format!("ALTER TABLE {} AUTO_INCREMENT = {next}", quote_ident(table))
}

pub fn render(flavor: &Flavor, change: &SchemaChange) -> Vec<String> {
    match change {
        SchemaChange::CreateTable(table) => vec![table.options.native_create.clone()],
        SchemaChange::DropTable(table) => vec![format!("DROP TABLE {}", quote_ident(&table.name))],
        SchemaChange::AlterTable {
            current,
            desired,
            clauses,
        } => render_alter(flavor, current, desired, clauses),
        SchemaChange::CreateView(view) => vec![view.definition.clone()],
        SchemaChange::DropView(view) => vec![format!("DROP VIEW {}", quote_ident(&view.name))],
        SchemaChange::CreateObject { object, .. } => objects::create(object),
        SchemaChange::DropObject { object, .. } => vec![objects::drop(object)],
        SchemaChange::ReplaceObject { current, desired } => std::iter::once(objects::drop(current))
            .chain(objects::create(desired))
            .collect(),
        // Never planned: MySQL catalogs hold no types, and a sync across
        // engines is refused before any plan; the server would refuse it.
        SchemaChange::Type(change) => vec![format!("CREATE TYPE {}", quote_ident(change.name()))],
        // Never planned either: MySQL catalogs hold no extensions.
        SchemaChange::Extension(change) => {
            vec![format!("CREATE EXTENSION {}", quote_ident(change.name()))]
        }
        // Never planned either: MySQL catalogs hold no sequences or schemas.
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

/// Where a clause goes inside one ALTER TABLE: drops first, then the
/// columns, then keys and constraints, then table options. Columns that
/// change and columns that are added share a rank and go in the desired
/// column order (`column_order`): the servers place positioned columns one
/// clause after the other, and `AFTER x` needs `x` in place already.
fn rank(clause: &AlterClause) -> u8 {
    match clause {
        AlterClause::DropForeignKey(_) => 0,
        AlterClause::DropCheck(_) => 1,
        AlterClause::DropIndex(_) | AlterClause::DropPrimaryKey(_) => 2,
        AlterClause::DropColumn(_) => 3,
        AlterClause::ModifyColumn { .. } | AlterClause::AddColumn { .. } => 4,
        AlterClause::AddPrimaryKey(_) => 5,
        AlterClause::AddIndex(_) => 6,
        AlterClause::AddForeignKey(_) => 7,
        AlterClause::AddCheck(_) => 8,
        AlterClause::ChangeOptions { .. } => 9,
    }
}

/// One ALTER TABLE holding every clause, with the exceptions the servers
/// impose: a foreign key dropped and re-added under the same name needs the
/// drop in a statement of its own, and partitioning changes
/// (`REMOVE PARTITIONING` before, `PARTITION BY` after) are statements of
/// their own.
fn render_alter(
    flavor: &Flavor,
    current: &Table,
    desired: &Table,
    clauses: &[AlterClause],
) -> Vec<String> {
    let alter = |parts: Vec<String>| {
        format!(
            "ALTER TABLE {} {}",
            quote_ident(&current.name),
            parts.join(", ")
        )
    };
    let readded = |name: &str| {
        clauses
            .iter()
            .any(|c| matches!(c, AlterClause::AddForeignKey(fk) if fk.name == name))
    };
    let mut early = Vec::new();
    // (rank, place in the desired column order, clause)
    let mut main: Vec<(u8, usize, String)> = Vec::new();
    for clause in clauses {
        match clause {
            AlterClause::DropForeignKey(fk) if readded(&fk.name) => {
                early.push(format!("DROP FOREIGN KEY {}", quote_ident(&fk.name)));
            }
            AlterClause::ModifyColumn { from, to, .. } if needs_rebuild(from, to) => {
                // Added again in the modify's turn, after its desired
                // neighbour, like every other positioned column.
                main.push((
                    rank(&AlterClause::DropColumn(from.clone())),
                    0,
                    format!("DROP COLUMN {}", quote_ident(&to.name)),
                ));
                main.push((
                    rank(clause),
                    column_order(desired, clause),
                    format!(
                        "ADD COLUMN {}{}",
                        column_text(to),
                        position_text(&desired_place(desired, &to.name))
                    ),
                ));
            }
            _ => {
                let order = (rank(clause), column_order(desired, clause));
                main.extend(
                    render_clause(flavor, clause)
                        .into_iter()
                        .map(|t| (order.0, order.1, t)),
                );
            }
        }
    }
    main.sort_by_key(|(rank, place, _)| (*rank, *place));
    let mut statements = Vec::new();
    if !early.is_empty() {
        statements.push(alter(early));
    }
    let partitioning = clauses.iter().find_map(|c| match c {
        AlterClause::ChangeOptions { from, to } if from.partitioning != to.partitioning => {
            Some((from.partitioning.is_some(), to.partitioning.clone()))
        }
        _ => None,
    });
    if let Some((true, _)) = partitioning {
        statements.push(format!(
            "ALTER TABLE {} REMOVE PARTITIONING",
            quote_ident(&current.name)
        ));
    }
    if !main.is_empty() {
        statements.push(alter(main.into_iter().map(|(_, _, t)| t).collect()));
    }
    if let Some((_, Some(new))) = partitioning {
        statements.push(format!("ALTER TABLE {} {new}", quote_ident(&current.name)));
    }
    statements
}

/// The servers cannot MODIFY a column between plain, virtual and stored
/// (MariaDB: "This is not yet supported for generated columns"): such a
/// column is dropped and added again. A generated column's values are
/// computed, and a column that stops being generated is refilled by the
/// data phase.
fn needs_rebuild(from: &Column, to: &Column) -> bool {
    from.generated.as_ref().map(|g| g.stored) != to.generated.as_ref().map(|g| g.stored)
}

/// A column clause's place in the desired column order (0 for any other
/// clause). Placing the columns in this order, each after the column
/// before it, leaves them all in order: that column is already in place,
/// either placed by an earlier clause or one that does not move.
fn column_order(desired: &Table, clause: &AlterClause) -> usize {
    let name = match clause {
        AlterClause::ModifyColumn { to, .. } => &to.name,
        AlterClause::AddColumn { column, .. } => &column.name,
        _ => return 0,
    };
    desired
        .columns
        .iter()
        .position(|c| c.name == *name)
        .unwrap_or(usize::MAX)
}

/// Where a column goes: after the column before it in the desired table.
fn desired_place(desired: &Table, name: &str) -> ColumnPosition {
    desired
        .columns
        .iter()
        .take_while(|c| c.name != name)
        .last()
        .map(|c| ColumnPosition::After(c.name.clone()))
        .unwrap_or(ColumnPosition::First)
}

fn column_text(column: &Column) -> String {
    format!("{} {}", quote_ident(&column.name), column.definition)
}

fn position_text(position: &ColumnPosition) -> String {
    match position {
        ColumnPosition::First => " FIRST".to_string(),
        ColumnPosition::After(name) => format!(" AFTER {}", quote_ident(name)),
    }
}

/// The clause text(s) of one alter clause; table options give several.
fn render_clause(flavor: &Flavor, clause: &AlterClause) -> Vec<String> {
    let one = match clause {
        AlterClause::DropForeignKey(fk) => format!("DROP FOREIGN KEY {}", quote_ident(&fk.name)),
        AlterClause::DropCheck(check) => match flavor {
            Flavor::MySql { .. } => format!("DROP CHECK {}", quote_ident(&check.name)),
            _ => format!("DROP CONSTRAINT {}", quote_ident(&check.name)),
        },
        AlterClause::DropPrimaryKey(_) => "DROP PRIMARY KEY".to_string(),
        AlterClause::DropIndex(index) => format!("DROP INDEX {}", quote_ident(&index.name)),
        AlterClause::DropColumn(column) => format!("DROP COLUMN {}", quote_ident(&column.name)),
        AlterClause::ModifyColumn { to, position, .. } => format!(
            "MODIFY COLUMN {}{}",
            column_text(to),
            position.as_ref().map(position_text).unwrap_or_default()
        ),
        AlterClause::AddColumn { column, position } => {
            format!(
                "ADD COLUMN {}{}",
                column_text(column),
                position_text(position)
            )
        }
        AlterClause::AddPrimaryKey(index) | AlterClause::AddIndex(index) => {
            format!("ADD {}", index.definition)
        }
        AlterClause::AddForeignKey(fk) => format!("ADD {}", fk.definition),
        AlterClause::AddCheck(check) => format!("ADD {}", check.definition),
        AlterClause::ChangeOptions { from, to } => return option_clauses(from, to),
    };
    vec![one]
}

/// Table option assignments that turn `from` into `to` (partitioning aside).
fn option_clauses(from: &TableOptions, to: &TableOptions) -> Vec<String> {
    let mut out = Vec::new();
    if from.engine != to.engine {
        if let Some(engine) = &to.engine {
            out.push(format!("ENGINE={engine}"));
        }
    }
    if from.charset != to.charset || from.collation != to.collation {
        let mut text = Vec::new();
        if let Some(charset) = &to.charset {
            text.push(format!("DEFAULT CHARSET={charset}"));
        }
        if let Some(collation) = &to.collation {
            text.push(format!("COLLATE={collation}"));
        }
        if !text.is_empty() {
            out.push(text.join(" "));
        }
    }
    if from.comment != to.comment {
        out.push(format!("COMMENT={}", quote_string(&to.comment)));
    }
    let key = |option: &str| option.split_once('=').map(|(k, _)| k.to_ascii_uppercase());
    for option in &to.extra {
        if !from.extra.contains(option) {
            out.push(option.clone());
        }
    }
    for option in &from.extra {
        if let Some(k) = key(option) {
            if !to
                .extra
                .iter()
                .any(|o| key(o).as_deref() == Some(k.as_str()))
            {
                out.push(format!("{k}=DEFAULT"));
            }
        }
    }
    out
}

/// A statement as the `mariadb` client reads it from a script: a text
/// with a `;` (a routine or trigger body) between `DELIMITER` lines, with
/// a delimiter the text does not contain.
pub fn script_statement(sql: &str) -> String {
    if !sql.contains(';') {
        return format!("{sql};\n");
    }
    let delimiter = [";;", "$$", "//", "@@@@"]
        .into_iter()
        .find(|d| !sql.contains(d))
        .unwrap_or("$lockstep$");
    format!("DELIMITER {delimiter}\n{sql}{delimiter}\nDELIMITER ;\n")
}

pub fn script_frame() -> (Vec<String>, Vec<String>) {
    (
        vec!["SET FOREIGN_KEY_CHECKS=0".to_string()],
        vec!["SET FOREIGN_KEY_CHECKS=1".to_string()],
    )
}
