//! Reads a SQLite schema into the neutral catalog: tables, views and
//! triggers (as their stored text).
//!
//! The pragmas (`table_xinfo`, `index_list`, `index_xinfo`,
//! `foreign_key_list`) are the authority on what exists; the stored
//! `CREATE TABLE` text gives what they do not say (each column's own text,
//! collation, generated expression, CHECK constraints, constraint names,
//! `WITHOUT ROWID` / `STRICT`).
//!
//! Naming rules, so that two equivalent schemas compare equal:
//! - the primary key is `PRIMARY`;
//! - a UNIQUE constraint's automatic index is `uq_<table>_<columns>` with an
//!   empty definition (only explicit `CREATE INDEX` texts have one);
//! - an unnamed foreign key is `fk_<table>_<columns>`;
//! - an unnamed CHECK is `ck_<table>_<hash of its expression>`, so adding
//!   one check never renames the others.

use std::collections::{BTreeMap, HashSet};

use rusqlite::Connection;

use super::parse::{parse_create_index, parse_create_table, ParsedTable};
use super::tokens::{normalize, tokenize, Kind};
use super::types::sql_type;
use crate::catalog::model::{
    Catalog, CheckConstraint, Column, DefaultValue, FkAction, Flavor, ForeignKey, Generated, Index,
    IndexKind, IndexPart, ObjectContext, ObjectKind, SchemaObject, Table, TableOptions, View,
};
use crate::error::{Error, Result};

pub fn catalog(conn: &Connection, flavor: &Flavor) -> Result<Catalog> {
    let objects = query(
        conn,
        "reading the schema (sqlite_master)",
        "SELECT type, name, sql FROM sqlite_master \
         WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        [],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            ))
        },
    )?;
    let mut tables = Vec::new();
    let mut views = Vec::new();
    for (kind, name, sql) in &objects {
        if kind == "view" {
            views.push(View {
                name: name.clone(),
                definition: sql.clone(),
                depends_on: Vec::new(),
                grants: Vec::new(),
            });
        } else if !tokenize(sql).get(1).is_some_and(|t| t.is_kw("VIRTUAL")) {
            tables.push(read_table(conn, name, sql)?);
        }
    }
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    views.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<String> = objects.iter().map(|(_, n, _)| n.clone()).collect();
    for view in &mut views {
        view.depends_on = dependencies(&view.definition, &view.name, &names);
    }
    Ok(Catalog {
        flavor: flavor.clone(),
        tables,
        views,
        objects: triggers(conn)?,
        types: Vec::new(),
        extensions: Vec::new(),
        sequences: Vec::new(),
        schemas: Vec::new(),
        granted: Vec::new(),
        unreadable: Vec::new(),
        counters: Default::default(),
    })
}

/// Triggers in creation order, each as its stored `CREATE TRIGGER` text.
fn triggers(conn: &Connection) -> Result<Vec<SchemaObject>> {
    query(
        conn,
        "reading the triggers (sqlite_master)",
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY rowid",
        [],
        |r| {
            Ok(SchemaObject {
                kind: ObjectKind::Trigger,
                name: r.get(0)?,
                table: Some(r.get(1)?),
                definition: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                context: ObjectContext::default(),
            })
        },
    )
}

/// Tables and views a view's text names, sorted.
fn dependencies(sql: &str, own: &str, names: &[String]) -> Vec<String> {
    let tokens = tokenize(sql);
    let mut found: Vec<String> = names
        .iter()
        .filter(|n| !n.eq_ignore_ascii_case(own))
        .filter(|n| {
            tokens
                .iter()
                .any(|t| t.is_name() && t.ident().eq_ignore_ascii_case(n))
        })
        .cloned()
        .collect();
    found.sort();
    found
}

/// Runs a query and maps its rows, naming `context` on failure.
fn query<T, P: rusqlite::Params>(
    conn: &Connection,
    context: &str,
    sql: &str,
    params: P,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let fail = |e: rusqlite::Error| Error::database(context, e);
    let mut stmt = conn.prepare(sql).map_err(fail)?;
    let rows = stmt.query_map(params, map).map_err(fail)?;
    rows.collect::<rusqlite::Result<Vec<T>>>().map_err(fail)
}

/// One row of `pragma_table_xinfo`.
struct ColumnInfo {
    name: String,
    notnull: bool,
    default: Option<String>,
    pk: i64,
    hidden: i64,
}

fn read_table(conn: &Connection, name: &str, sql: &str) -> Result<Table> {
    let context = format!("reading the schema of table `{name}`");
    let parsed = parse_create_table(sql).ok_or_else(|| {
        Error::database(
            &context,
            format!("its stored CREATE TABLE text could not be understood: {sql}"),
        )
    })?;
    let infos = query(
        conn,
        &context,
        "SELECT name, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid",
        [name],
        |r| {
            Ok(ColumnInfo {
                name: r.get(0)?,
                notnull: r.get::<_, i64>(1)? != 0,
                default: r.get(2)?,
                pk: r.get(3)?,
                hidden: r.get(4)?,
            })
        },
    )?;
    let columns = infos
        .iter()
        .filter(|i| i.hidden != 1)
        .map(|info| column(info, &parsed, &context))
        .collect::<Result<Vec<_>>>()?;
    let (indexes, pk_descending) = indexes(conn, name, &context)?;
    let mut pk: Vec<&ColumnInfo> = infos.iter().filter(|i| i.pk > 0).collect();
    pk.sort_by_key(|i| i.pk);
    let primary_key = (!pk.is_empty()).then(|| Index {
        name: "PRIMARY".to_string(),
        kind: IndexKind::Primary,
        parts: pk
            .iter()
            .map(|i| IndexPart {
                column: Some(i.name.clone()),
                expression: None,
                prefix: None,
                descending: pk_descending.contains(&i.name),
            })
            .collect(),
        using: None,
        comment: String::new(),
        invisible: false,
        predicate: None,
        definition: String::new(),
    });
    let mut options = parsed.options.clone();
    options.sort();
    Ok(Table {
        name: name.to_string(),
        columns,
        primary_key,
        indexes,
        foreign_keys: foreign_keys(conn, name, &parsed, &context)?,
        checks: checks(name, &parsed),
        options: TableOptions {
            extra: options,
            native_create: sql.to_string(),
            ..TableOptions::default()
        },
    })
}

fn column(info: &ColumnInfo, parsed: &ParsedTable, context: &str) -> Result<Column> {
    let body = &parsed
        .columns
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(&info.name))
        .ok_or_else(|| {
            Error::database(
                context,
                format!(
                    "column `{}` is not in the stored CREATE TABLE text",
                    info.name
                ),
            )
        })?
        .body;
    let generated = matches!(info.hidden, 2 | 3).then(|| Generated {
        expression: body.generated.clone().unwrap_or_default(),
        stored: info.hidden == 3,
    });
    Ok(Column {
        name: info.name.clone(),
        data_type: body.data_type.clone(),
        sql_type: sql_type(&body.data_type),
        nullable: !info.notnull,
        default: info.default.as_deref().map(default_value),
        on_update: None,
        auto_increment: body.autoincrement,
        charset: None,
        collation: body.collation.clone(),
        comment: String::new(),
        generated,
        invisible: false,
        definition: body.definition.clone(),
    })
}

/// Reads `pragma_table_xinfo.dflt_value`: a string or (signed) number is a
/// literal, `NULL` is explicit NULL, anything else an expression.
fn default_value(text: &str) -> DefaultValue {
    let tokens = tokenize(text);
    match tokens.as_slice() {
        [t] if t.kind == Kind::String => DefaultValue::Literal(t.ident()),
        [t] if t.kind == Kind::Number => DefaultValue::Literal(t.text.to_string()),
        [sign, n] if (sign.is_punct("-") || sign.is_punct("+")) && n.kind == Kind::Number => {
            DefaultValue::Literal(format!("{}{}", sign.text, n.text))
        }
        [t] if t.is_kw("NULL") => DefaultValue::Null,
        _ => DefaultValue::Expression(normalize(text)),
    }
}

/// Secondary indexes sorted by name, and the columns the primary key's own
/// index sorts descending.
fn indexes(conn: &Connection, table: &str, context: &str) -> Result<(Vec<Index>, Vec<String>)> {
    let list = query(
        conn,
        context,
        "SELECT name, \"unique\", origin FROM pragma_index_list(?1)",
        [table],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)? != 0,
                r.get::<_, String>(2)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    let mut pk_descending = Vec::new();
    let mut taken = HashSet::new();
    for (name, unique, origin) in list {
        let keys = query(
            conn,
            context,
            "SELECT cid, name, \"desc\" FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno",
            [&name],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)? != 0,
                ))
            },
        )?;
        if origin == "pk" {
            pk_descending = keys
                .into_iter()
                .filter(|(_, _, desc)| *desc)
                .filter_map(|(_, n, _)| n)
                .collect();
            continue;
        }
        let (sql, parsed) = if origin == "c" {
            let sql = query(
                conn,
                context,
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
                [&name],
                |r| r.get::<_, Option<String>>(0),
            )?
            .into_iter()
            .flatten()
            .next()
            .unwrap_or_default();
            let parsed = parse_create_index(&sql);
            (normalize(&sql), parsed)
        } else {
            (String::new(), None)
        };
        let parts: Vec<IndexPart> = keys
            .iter()
            .enumerate()
            .map(|(k, (cid, column, desc))| {
                let expression = (*cid == -2)
                    .then(|| parsed.as_ref().and_then(|p| p.parts.get(k).cloned()))
                    .flatten();
                IndexPart {
                    column: if *cid == -2 { None } else { column.clone() },
                    expression,
                    prefix: None,
                    descending: *desc,
                }
            })
            .collect();
        let index_name = if origin == "c" {
            name
        } else {
            let columns: Vec<&str> = parts.iter().filter_map(|p| p.column.as_deref()).collect();
            distinct(&mut taken, format!("uq_{table}_{}", columns.join("_")))
        };
        out.push(Index {
            name: index_name,
            kind: if unique {
                IndexKind::Unique
            } else {
                IndexKind::Plain
            },
            parts,
            using: None,
            comment: String::new(),
            invisible: false,
            predicate: parsed.and_then(|p| p.predicate),
            definition: sql,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((out, pk_descending))
}

/// `base`, or `base_2`, `base_3` ... if already taken.
fn distinct(taken: &mut HashSet<String>, base: String) -> String {
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// One row of `pragma_foreign_key_list`.
struct FkRow {
    parent: String,
    from: String,
    to: Option<String>,
    on_update: String,
    on_delete: String,
}

fn foreign_keys(
    conn: &Connection,
    table: &str,
    parsed: &ParsedTable,
    context: &str,
) -> Result<Vec<ForeignKey>> {
    let rows = query(
        conn,
        context,
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete \
         FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
        [table],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                FkRow {
                    parent: r.get(1)?,
                    from: r.get(2)?,
                    to: r.get(3)?,
                    on_update: r.get(4)?,
                    on_delete: r.get(5)?,
                },
            ))
        },
    )?;
    let mut groups: BTreeMap<i64, Vec<FkRow>> = BTreeMap::new();
    for (id, row) in rows {
        groups.entry(id).or_default().push(row);
    }
    let mut used = vec![false; parsed.foreign_keys.len()];
    let mut taken = HashSet::new();
    let mut out = Vec::new();
    // SQLite numbers foreign keys last-declared first; walk them in
    // declaration order so repeated column lists match their own clause.
    for rows in groups.into_values().rev() {
        let columns: Vec<String> = rows.iter().map(|r| r.from.clone()).collect();
        let parent = rows[0].parent.clone();
        let referenced_columns = if rows.iter().all(|r| r.to.is_none()) {
            primary_key_columns(conn, &parent, context)?
        } else {
            rows.iter()
                .map(|r| r.to.clone().unwrap_or_default())
                .collect()
        };
        let clause = parsed.foreign_keys.iter().enumerate().find(|(k, fk)| {
            !used[*k]
                && fk.columns.len() == columns.len()
                && fk
                    .columns
                    .iter()
                    .zip(&columns)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b))
        });
        let (name, definition) = match clause {
            Some((k, fk)) => {
                used[k] = true;
                (fk.name.clone(), fk.definition.clone())
            }
            None => (None, String::new()),
        };
        let name = name.unwrap_or_else(|| format!("fk_{table}_{}", columns.join("_")));
        out.push(ForeignKey {
            name: distinct(&mut taken, name),
            columns,
            referenced_table: parent,
            referenced_columns,
            on_delete: fk_action(&rows[0].on_delete),
            on_update: fk_action(&rows[0].on_update),
            definition,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The primary key columns of `table` (what a `REFERENCES table` without a
/// column list points at).
fn primary_key_columns(conn: &Connection, table: &str, context: &str) -> Result<Vec<String>> {
    query(
        conn,
        context,
        "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk",
        [table],
        |r| r.get(0),
    )
}

fn fk_action(text: &str) -> FkAction {
    match text.to_ascii_uppercase().as_str() {
        "RESTRICT" => FkAction::Restrict,
        "CASCADE" => FkAction::Cascade,
        "SET NULL" => FkAction::SetNull,
        "SET DEFAULT" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

fn checks(table: &str, parsed: &ParsedTable) -> Vec<CheckConstraint> {
    let mut taken = HashSet::new();
    let mut out: Vec<CheckConstraint> = parsed
        .checks
        .iter()
        .map(|c| {
            let name = c.name.clone().unwrap_or_else(|| {
                let hash = xxhash_rust::xxh3::xxh3_64(c.expression.as_bytes());
                format!("ck_{table}_{:08x}", hash >> 32)
            });
            CheckConstraint {
                name: distinct(&mut taken, name),
                expression: c.expression.clone(),
                definition: c.definition.clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}
