//! Schema changes as PostgreSQL DDL: tables from the neutral model with
//! the server's own texts for columns, keys and constraints, `ALTER TABLE`
//! for every clause PostgreSQL can do in place, and a statement that fails
//! with a clear message for what it cannot do without a rebuild that
//! could lose data (moving a column: PostgreSQL cannot reorder columns;
//! changing a partitioning or a generation expression). Partitions and
//! inheriting tables are created, attached and detached under their
//! parents with what is their own.
//!
//! Column order: lockstep compares it, as for the other engines. A new
//! column goes at the end of the table (PostgreSQL's only place for it);
//! when the source has it elsewhere the next plan shows a column move,
//! which is refused with that message rather than done by rebuilding
//! the table.
//!
//! Tables, views, routines and types are named by `names::relation`; a
//! schema the target lacks is created (`names::schema_prelude`) right
//! before each object created in it; one only the target has is dropped
//! last (see `schemas`).

use super::names::{beside, relation, schema_prelude};
use super::types::{quote_ident, quote_text};
use super::{comments, grants, row_security};
use crate::catalog::change::{AlterClause, SchemaChange};
use crate::catalog::model::{
    Column, Index, ObjectKind, PartitionOf, SchemaObject, SqlType, Table, TableOptions, TablePart,
};
use crate::catalog::sequences::SequenceChange;
use crate::catalog::user_types::TypeChange;

/// A statement that stops a DDL run with `message` (in a script too).
pub(super) fn refuse(message: &str) -> String {
    format!(
        "DO $lockstep$ BEGIN RAISE EXCEPTION '%', {}; END $lockstep$",
        quote_text(message.as_bytes())
    )
}

/// `"c" <definition>`: a serial column's sequence is a change of its
/// own (created before the table, given to the column after it).
fn column_sql(column: &Column) -> String {
    format!("{} {}", quote_ident(&column.name), column.definition)
}

/// A query whose only row is the sequence behind `table`'s first identity
/// or serial column, as text (no row where it has none): the one the
/// column owns, else the one its `nextval('...'::regclass)` default draws
/// from (a sequence created on its own, as pg_dump's older dumps and
/// Sakila make them). The sequence a table's counter is read from and
/// set in.
pub fn counter_sequence(table: &str) -> String {
    format!(
        "SELECT coalesce(pg_get_serial_sequence({relation}, a.attname), \
            substring(pg_get_expr(d.adbin, d.adrelid) FROM '^nextval\\(''(.*)''::regclass\\)$'))::text \
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE a.attrelid = {relation}::regclass AND a.attnum > 0 AND NOT a.attisdropped \
         AND (pg_get_serial_sequence({relation}, a.attname) IS NOT NULL \
            OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%') ORDER BY a.attnum LIMIT 1",
        relation = quote_text(relation(table).as_bytes())
    )
}

/// `setval(sequence, next, false)` on `table`'s counter sequence: the next
/// generated key is `next` (nothing where the table has no sequence).
pub fn set_counter(table: &str, next: u64) -> String {
    format!(
        "SELECT setval(s::regclass, {next}, false) FROM ({}) AS q(s)",
        counter_sequence(table)
    )
}

fn is_constraint(index: &Index) -> bool {
    index.definition.starts_with("CONSTRAINT ")
}

/// `CREATE TABLE` with the columns, the primary key, the unique and
/// exclusion constraints, checks and foreign keys, then the plain indexes,
/// comments and row security: what the table has of its own. A partition is created
/// `PARTITION OF` its parent with its bound, an inheriting table with its
/// `INHERITS`; what they have from a parent comes with it.
pub fn create_table(table: &Table) -> Vec<String> {
    let name = relation(&table.name);
    let mut lines: Vec<String> = table
        .columns
        .iter()
        .filter(|c| !table.inherits_column(&c.name))
        .map(column_sql)
        .collect();
    lines.extend(table.primary_key.iter().map(|pk| pk.definition.clone()));
    lines.extend(
        table
            .indexes
            .iter()
            .filter(|i| is_constraint(i))
            .map(|i| i.definition.clone()),
    );
    lines.extend(
        table
            .checks
            .iter()
            .map(|c| format!("CONSTRAINT {} {}", quote_ident(&c.name), c.definition)),
    );
    lines.extend(
        table
            .foreign_keys
            .iter()
            .map(|f| format!("CONSTRAINT {} {}", quote_ident(&f.name), f.definition)),
    );
    let unlogged = if table.options.extra.iter().any(|e| e == "UNLOGGED") {
        "UNLOGGED "
    } else {
        ""
    };
    let partition = table
        .options
        .partitioning
        .as_ref()
        .map(|p| format!(" PARTITION BY {p}"))
        .unwrap_or_default();
    let body = format!("(\n  {}\n)", lines.join(",\n  "));
    let create = match &table.options.partition_of {
        Some(of) => beside_default(
            &of.parent,
            &table.name,
            &of.bound,
            &format!(
                "CREATE {unlogged}TABLE {name} PARTITION OF {}{} {}{partition}",
                relation(&of.parent),
                if lines.is_empty() {
                    String::new()
                } else {
                    format!(" {body}")
                },
                of.bound
            ),
        ),
        None => format!(
            "CREATE {unlogged}TABLE {name} {body}{}{partition}",
            inherits_clause(&table.options.inherits)
        ),
    };
    let mut out = vec![create];
    out.extend(
        table
            .indexes
            .iter()
            .filter(|i| !is_constraint(i))
            .map(|i| i.definition.clone()),
    );
    if !table.options.comment.is_empty() {
        out.push(table_comment(&table.name, &table.options.comment));
    }
    for column in table.columns.iter().filter(|c| !c.comment.is_empty()) {
        out.push(column_comment(&table.name, column));
    }
    out.extend(comments::of_parts(table));
    out.extend(row_security::change(
        &table.name,
        &Default::default(),
        &table.options.row_security,
    ));
    out.extend(grants::change(table, &[], &table.options.grants));
    out
}

/// `join` (which makes `table` a partition of `parent` with `bound`) as
/// one statement that also works while the parent's DEFAULT partition
/// holds rows the bound takes (PostgreSQL refuses then): that partition
/// is detached meanwhile, and those rows moved into the new one.
fn beside_default(parent: &str, table: &str, bound: &str, join: &str) -> String {
    if bound == "DEFAULT" {
        return join.to_string();
    }
    let parent = quote_text(relation(parent).as_bytes());
    let table = quote_text(relation(table).as_bytes());
    format!(
        "DO $lockstep$ DECLARE d regclass; BEGIN \
         SELECT k.oid::regclass INTO d FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid \
         WHERE i.inhparent = {parent}::regclass AND pg_get_expr(k.relpartbound, k.oid) = 'DEFAULT'; \
         IF d IS NOT NULL THEN \
         EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', {parent}::regclass, d); END IF; \
         EXECUTE {}; \
         IF d IS NOT NULL THEN \
         EXECUTE format('WITH moved AS (DELETE FROM %s WHERE %s RETURNING *) \
         INSERT INTO %s SELECT * FROM moved', d, \
         pg_get_partition_constraintdef({table}::regclass), {table}::regclass); \
         EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s DEFAULT', {parent}::regclass, d); \
         END IF; END $lockstep$",
        quote_text(join.as_bytes())
    )
}

/// ` INHERITS (a, b)`, or nothing for no parents.
fn inherits_clause(parents: &[String]) -> String {
    if parents.is_empty() {
        return String::new();
    }
    let names: Vec<String> = parents.iter().map(|p| relation(p)).collect();
    format!(" INHERITS ({})", names.join(", "))
}

fn table_comment(table: &str, comment: &str) -> String {
    let text = if comment.is_empty() {
        "NULL".to_string()
    } else {
        quote_text(comment.as_bytes())
    };
    format!("COMMENT ON TABLE {} IS {text}", relation(table))
}

fn column_comment(table: &str, column: &Column) -> String {
    let text = if column.comment.is_empty() {
        "NULL".to_string()
    } else {
        quote_text(column.comment.as_bytes())
    };
    format!(
        "COMMENT ON COLUMN {}.{} IS {text}",
        relation(table),
        quote_ident(&column.name)
    )
}

/// One schema change as statements, after the `CREATE SCHEMA` of the
/// object it creates where that is in a schema other than the current.
pub fn render(change: &SchemaChange) -> Vec<String> {
    let mut out: Vec<String> = created(change)
        .and_then(schema_prelude)
        .into_iter()
        .collect();
    out.extend(statements(change));
    out
}

/// The name of the table, view, routine or type `change` creates.
fn created(change: &SchemaChange) -> Option<&str> {
    match change {
        SchemaChange::CreateTable(table) => Some(&table.name),
        SchemaChange::CreateView(view) => Some(&view.name),
        SchemaChange::CreateObject { object, .. } if object.kind != ObjectKind::Trigger => {
            Some(&object.name)
        }
        SchemaChange::Type(TypeChange::Create(t)) => Some(&t.name),
        SchemaChange::Sequence(SequenceChange::Create(s)) => Some(&s.name),
        _ => None,
    }
}

fn statements(change: &SchemaChange) -> Vec<String> {
    match change {
        SchemaChange::CreateTable(table) => create_table(table),
        SchemaChange::DropTable(table) => {
            vec![format!("DROP TABLE {}", relation(&table.name))]
        }
        SchemaChange::AlterTable {
            current,
            desired,
            clauses,
        } => clauses
            .iter()
            .flat_map(|c| alter(current, desired, c))
            .collect(),
        SchemaChange::CreateView(view) => vec![view.definition.clone()],
        SchemaChange::DropView(view) => {
            let what = if view.definition.starts_with("CREATE MATERIALIZED VIEW") {
                "MATERIALIZED VIEW"
            } else {
                "VIEW"
            };
            vec![format!("DROP {what} {}", relation(&view.name))]
        }
        SchemaChange::CreateObject { object, .. } => vec![object.definition.clone()],
        SchemaChange::DropObject { object, .. } => vec![drop_object(object)],
        SchemaChange::ReplaceObject { current, desired } => match desired.kind {
            // `pg_get_functiondef` says CREATE OR REPLACE, which cannot
            // change the arguments or the result type.
            ObjectKind::Function | ObjectKind::Procedure
                if routine_head(current) == routine_head(desired) =>
            {
                let mut out = vec![desired.definition.clone()];
                out.extend(comments::cleared(&current.definition, &desired.definition));
                out
            }
            ObjectKind::Function | ObjectKind::Procedure => {
                vec![drop_object(current), desired.definition.clone()]
            }
            ObjectKind::Trigger | ObjectKind::Event => {
                vec![drop_object(current), desired.definition.clone()]
            }
        },
        SchemaChange::Type(change) => super::user_types::render(change),
        SchemaChange::Extension(change) => super::extensions::render(change),
        SchemaChange::Sequence(change) => super::sequences::render(change),
        SchemaChange::DropSchema(schema) => vec![super::schemas::drop(schema)],
        SchemaChange::Grants(change) => grants::object_change(change),
    }
}

/// A routine's first line (name and arguments) and its `RETURNS` line,
/// as `pg_get_functiondef` writes them.
fn routine_head(routine: &SchemaObject) -> (Option<&str>, Option<&str>) {
    let mut lines = routine.definition.lines();
    let first = lines.next();
    (
        first,
        lines.find(|l| l.trim_start().starts_with("RETURNS ")),
    )
}

fn drop_object(object: &SchemaObject) -> String {
    let name = relation(&object.name);
    match object.kind {
        ObjectKind::Trigger => format!(
            "DROP TRIGGER {} ON {}",
            quote_ident(&object.name),
            relation(object.table.as_deref().unwrap_or_default())
        ),
        // DROP ROUTINE also drops an aggregate, which DROP FUNCTION refuses.
        ObjectKind::Function if object.definition.starts_with("CREATE OR REPLACE AGGREGATE") => {
            format!("DROP ROUTINE {name}")
        }
        ObjectKind::Function => format!("DROP FUNCTION {name}"),
        ObjectKind::Procedure => format!("DROP PROCEDURE {name}"),
        ObjectKind::Event => refuse(&format!(
            "PostgreSQL has no events; `{}` cannot be dropped here",
            object.name
        )),
    }
}

/// One clause of an `ALTER TABLE` as statements.
fn alter(current: &Table, desired: &Table, clause: &AlterClause) -> Vec<String> {
    let table = relation(&desired.name);
    let alter = |what: String| format!("ALTER TABLE {table} {what}");
    let drop_index = |index: &Index| {
        if is_constraint(index) {
            alter(format!("DROP CONSTRAINT {}", quote_ident(&index.name)))
        } else {
            format!("DROP INDEX {}", beside(&desired.name, &index.name))
        }
    };
    let add_index = |index: &Index| {
        if is_constraint(index) {
            alter(format!("ADD {}", index.definition))
        } else {
            index.definition.clone()
        }
    };
    match clause {
        AlterClause::AddColumn { column, .. } => {
            let mut out = vec![alter(format!("ADD COLUMN {}", column_sql(column)))];
            if !column.comment.is_empty() {
                out.push(column_comment(&desired.name, column));
            }
            out
        }
        AlterClause::DropColumn(column) => {
            vec![alter(format!("DROP COLUMN {}", quote_ident(&column.name)))]
        }
        AlterClause::ModifyColumn { from, to, position } => {
            if position.is_some() {
                return vec![refuse(&format!(
                    "table `{}`: column `{}` is elsewhere in the source; PostgreSQL cannot move a column, and lockstep does not rebuild tables: recreate the table in the source's column order, or leave the order as it is",
                    desired.name, to.name
                ))];
            }
            modify_column(&desired.name, from, to)
        }
        AlterClause::DropPrimaryKey(index) | AlterClause::DropIndex(index) => {
            vec![drop_index(index)]
        }
        AlterClause::AddPrimaryKey(index) | AlterClause::AddIndex(index) => {
            let part = match is_constraint(index) {
                true => TablePart::Constraint,
                false => TablePart::Index,
            };
            let mut out = vec![add_index(index)];
            out.extend(comments::of_part(desired, part, &index.name));
            out
        }
        AlterClause::DropForeignKey(fk) => {
            vec![alter(format!("DROP CONSTRAINT {}", quote_ident(&fk.name)))]
        }
        AlterClause::DropCheck(check) => {
            vec![alter(format!(
                "DROP CONSTRAINT {}",
                quote_ident(&check.name)
            ))]
        }
        AlterClause::AddForeignKey(fk) => {
            let mut out = vec![alter(format!(
                "ADD CONSTRAINT {} {}",
                quote_ident(&fk.name),
                fk.definition
            ))];
            out.extend(comments::of_part(desired, TablePart::Constraint, &fk.name));
            out
        }
        AlterClause::AddCheck(check) => {
            let mut out = vec![alter(format!(
                "ADD CONSTRAINT {} {}",
                quote_ident(&check.name),
                check.definition
            ))];
            out.extend(comments::of_part(
                desired,
                TablePart::Constraint,
                &check.name,
            ));
            out
        }
        AlterClause::ChangeOptions { from, to } => {
            let mut out = Vec::new();
            if from.partitioning != to.partitioning {
                out.push(refuse(&format!(
                    "table `{}` is partitioned otherwise in the source; PostgreSQL cannot change a table's partitioning in place: recreate the table",
                    desired.name
                )));
            }
            out.extend(repartition(&desired.name, from, to));
            for gone in from.inherits.iter().filter(|p| !to.inherits.contains(p)) {
                out.push(alter(format!("NO INHERIT {}", relation(gone))));
            }
            for new in to.inherits.iter().filter(|p| !from.inherits.contains(p)) {
                out.push(alter(format!("INHERIT {}", relation(new))));
            }
            let unlogged = |o: &TableOptions| o.extra.iter().any(|e| e == "UNLOGGED");
            if unlogged(from) != unlogged(to) {
                out.push(alter(
                    if unlogged(to) {
                        "SET UNLOGGED"
                    } else {
                        "SET LOGGED"
                    }
                    .to_string(),
                ));
            }
            if from.comment != to.comment {
                out.push(table_comment(&desired.name, &to.comment));
            }
            out.extend(comments::changed_parts(current, desired, from, to));
            out.extend(row_security::change(
                &desired.name,
                &from.row_security,
                &to.row_security,
            ));
            out.extend(grants::change(desired, &from.grants, &to.grants));
            out
        }
    }
}

/// A partition given the source's place: detached, emptied (the rows
/// the source has in it are copied again with the rows) and attached
/// with the source's bound. A table that stops being a partition is
/// detached (keeping its rows); one that becomes a partition is attached
/// (the server refuses while its rows do not fit the bound).
fn repartition(table: &str, from: &TableOptions, to: &TableOptions) -> Vec<String> {
    let detach = |of: &PartitionOf| {
        format!(
            "ALTER TABLE {} DETACH PARTITION {}",
            relation(&of.parent),
            relation(table)
        )
    };
    let attach = |of: &PartitionOf| {
        beside_default(
            &of.parent,
            table,
            &of.bound,
            &format!(
                "ALTER TABLE {} ATTACH PARTITION {} {}",
                relation(&of.parent),
                relation(table),
                of.bound
            ),
        )
    };
    match (&from.partition_of, &to.partition_of) {
        (Some(old), Some(new)) if old != new => vec![
            detach(old),
            format!("DELETE FROM {}", relation(table)),
            attach(new),
        ],
        (Some(old), None) => vec![detach(old)],
        (None, Some(new)) => vec![attach(new)],
        (None, None) | (Some(_), Some(_)) => Vec::new(),
    }
}

/// `ALTER COLUMN ... TYPE` to `to`'s type and collation, each value cast.
/// Between two types PostgreSQL does not know (two enums, say) there may
/// be no cast: then each value goes through its text, which the server
/// decides when it reads the statement, before any row is changed.
fn retype(table: &str, to: &Column, from_type: &SqlType, to_type: &SqlType) -> String {
    let collate = to
        .collation
        .as_ref()
        .map(|c| format!(" COLLATE {}", quote_ident(c)))
        .unwrap_or_default();
    let statement = |through: &str| {
        format!(
            "ALTER TABLE {} ALTER COLUMN {column} TYPE {data_type}{collate} USING {column}{through}::{data_type}",
            relation(table),
            column = quote_ident(&to.name),
            data_type = to.data_type,
        )
    };
    match (from_type, to_type) {
        (SqlType::Other { .. }, SqlType::Other { .. }) => {
            let through = if to.data_type.ends_with("[]") {
                "::text[]"
            } else {
                "::text"
            };
            format!(
                "DO $lockstep$ BEGIN {}; EXCEPTION WHEN cannot_coerce THEN {}; END $lockstep$",
                statement(""),
                statement(through)
            )
        }
        _ => statement(""),
    }
}

/// `ALTER COLUMN` steps from `from` to `to`: type (with `USING` a cast),
/// collation, default, identity, nullability, comment.
fn modify_column(table: &str, from: &Column, to: &Column) -> Vec<String> {
    let alter = |what: String| {
        format!(
            "ALTER TABLE {} ALTER COLUMN {} {what}",
            relation(table),
            quote_ident(&to.name)
        )
    };
    // A default is changed on this table only: a partition or child has
    // its own, compared and changed on its own.
    let alter_default = |what: &str| {
        format!(
            "ALTER TABLE ONLY {} ALTER COLUMN {} {what}",
            relation(table),
            quote_ident(&to.name)
        )
    };
    if from.generated != to.generated {
        return vec![refuse(&format!(
            "table `{table}`: column `{}` is generated otherwise in the source; PostgreSQL cannot change a generation expression in place: drop and add the column",
            to.name
        ))];
    }
    let mut out = Vec::new();
    let identity = |c: &Column| {
        if c.definition.contains(" GENERATED ALWAYS AS IDENTITY") {
            Some("ALWAYS")
        } else if c.definition.contains(" GENERATED BY DEFAULT AS IDENTITY") {
            Some("BY DEFAULT")
        } else {
            None
        }
    };
    let (old_identity, new_identity) = (identity(from), identity(to));
    if old_identity.is_some() && new_identity.is_none() {
        out.push(alter("DROP IDENTITY".to_string()));
    }
    let default_of = |c: &Column| match &c.default {
        Some(_) if identity(c).is_none() => c
            .definition
            .split_once(" DEFAULT ")
            .map(|(_, d)| d.trim_end_matches(" NOT NULL").to_string()),
        _ => None,
    };
    let (mut old_default, new_default) = (default_of(from), default_of(to));
    if from.data_type != to.data_type || from.collation != to.collation {
        // The old default goes first: PostgreSQL converts it with the
        // column and refuses where no automatic cast exists (text to an
        // enum); the source's is set after.
        if old_default.is_some() && from.data_type != to.data_type {
            out.push(alter_default("DROP DEFAULT"));
            old_default = None;
        }
        out.push(retype(table, to, &from.sql_type, &to.sql_type));
    }
    if old_default != new_default {
        match &new_default {
            Some(d) => out.push(alter_default(&format!("SET DEFAULT {d}"))),
            None => out.push(alter_default("DROP DEFAULT")),
        }
    }
    // NOT NULL before an identity is added (it needs one), after one is
    // dropped (above).
    if from.nullable != to.nullable {
        out.push(alter(
            if to.nullable {
                "DROP NOT NULL"
            } else {
                "SET NOT NULL"
            }
            .to_string(),
        ));
    }
    match (old_identity, new_identity) {
        (None, Some(how)) => out.push(alter(format!(
            "ADD GENERATED {how} AS IDENTITY{}",
            identity_options(to)
                .map(|o| format!(" ({o})"))
                .unwrap_or_default()
        ))),
        (Some(a), Some(b)) => {
            if a != b {
                out.push(alter(format!("SET GENERATED {b}")));
            }
            if let Some(options) =
                identity_options(to).filter(|o| Some(*o) != identity_options(from))
            {
                let mut set = set_identity_options(options);
                // The sequence's position may lie outside narrower bounds,
                // which PostgreSQL refuses: it starts again from the start
                // (a data sync then sets it to the source's).
                let bound = |c: &Column, which: &str| -> Option<i128> {
                    let (_, rest) = identity_options(c)?.split_once(which)?;
                    rest.split(' ').next()?.parse().ok()
                };
                let narrower = bound(to, "MINVALUE ") > bound(from, "MINVALUE ")
                    || bound(to, "MAXVALUE ") < bound(from, "MAXVALUE ");
                if narrower {
                    set.push_str(" RESTART");
                }
                out.push(alter(set));
            }
        }
        _ => {}
    }
    if from.comment != to.comment {
        out.push(column_comment(table, to));
    }
    out
}

/// The sequence options of a column's identity, as its definition states
/// them (`START WITH 1 INCREMENT BY 1 ... NO CYCLE`), if it has any.
fn identity_options(column: &Column) -> Option<&str> {
    let (_, rest) = column.definition.split_once(" AS IDENTITY (")?;
    rest.split_once(')').map(|(options, _)| options)
}

/// `SET START WITH 1 SET INCREMENT BY 1 ... SET NO CYCLE`: each of an
/// identity's sequence options as `ALTER COLUMN` changes it.
fn set_identity_options(options: &str) -> String {
    let mut out = String::new();
    for word in options.split(' ') {
        let starts = matches!(
            word,
            "START" | "INCREMENT" | "MINVALUE" | "MAXVALUE" | "CACHE" | "CYCLE" | "NO"
        );
        // `NO CYCLE` is one option.
        if starts && !out.ends_with(" NO") {
            out.push_str(" SET");
        }
        out.push(' ');
        out.push_str(word);
    }
    out.trim_start().to_string()
}

/// Statements around a DDL script: none are needed (foreign keys are
/// checked when they are added, against the rows already there).
pub fn script_frame() -> (Vec<String>, Vec<String>) {
    (Vec::new(), Vec::new())
}
