//! Reads a MySQL/MariaDB schema into the neutral catalog: `SHOW CREATE
//! TABLE` / `SHOW CREATE VIEW` give the exact native text of every object,
//! information_schema gives the structured column facts that the text omits
//! (a column's charset and collation only show when they differ from the
//! table default).

use std::collections::{BTreeMap, HashMap};

use super::batch::{self, name_literal, Statement};
use super::ddl::quote_ident;
use super::objects;
use super::show_create::{self, column_default, column_on_update};
use super::types;
use crate::catalog::model::{Catalog, Column, Flavor, Generated, SqlType, Table, View};
use crate::error::{Error, Result};

/// One row of information_schema.COLUMNS, as far as lockstep needs it.
struct ColumnInfo {
    column_type: String,
    nullable: bool,
    charset: Option<String>,
    collation: Option<String>,
    extra: String,
    comment: String,
    generation_expression: Option<String>,
}

type ColumnRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
);

/// The catalog of `database` in two round trips however many objects it
/// holds: every list (tables, columns, view dependencies, the account's
/// privileges, routines, triggers, events) in one batch, every `SHOW
/// CREATE` in a second.
pub async fn catalog(
    conn: &mut mysql_async::Conn,
    database: &str,
    flavor: &Flavor,
) -> Result<Catalog> {
    let db = name_literal(database);
    let mut lists = vec![
        Statement::new(
            format!("reading the list of tables of database `{database}`"),
            format!(
                "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = {db}"
            ),
        ),
        Statement::new(
            format!("reading the columns of database `{database}`"),
            format!(
                "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, CHARACTER_SET_NAME, \
                 COLLATION_NAME, EXTRA, COLUMN_COMMENT, GENERATION_EXPRESSION \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = {db}"
            ),
        ),
    ];
    // Tables each view reads, where the server says (MySQL 8's
    // VIEW_TABLE_USAGE; MariaDB 10.11 has no such table).
    let reads_view_usage = matches!(flavor, Flavor::MySql { .. });
    if reads_view_usage {
        lists.push(Statement::new(
            format!("reading view dependencies of `{database}`"),
            format!(
                "SELECT VIEW_NAME, TABLE_NAME FROM information_schema.VIEW_TABLE_USAGE \
                 WHERE VIEW_SCHEMA = {db} ORDER BY VIEW_NAME, TABLE_NAME"
            ),
        ));
    }
    lists.extend(objects::statements(database));
    let mut answers = batch::query_all(conn, &lists, batch::schema_error)
        .await?
        .into_iter();
    let mut next = || answers.next().unwrap_or_default();
    let objects_listed: Vec<(String, String)> = batch::typed(next(), &lists[0].what)?;
    let rows: Vec<ColumnRow> = batch::typed(next(), &lists[1].what)?;
    let mut depends: HashMap<String, Vec<String>> = HashMap::new();
    if reads_view_usage {
        for (view, table) in batch::typed::<(String, String)>(next(), &lists[2].what)? {
            depends.entry(view).or_default().push(table);
        }
    }
    let listing = objects::Listing::from_answers(answers)?;
    let mut unreadable = listing.unreadable_kinds(conn, database).await;

    let mut columns: HashMap<(String, String), ColumnInfo> = HashMap::new();
    for (table, column, column_type, nullable, charset, collation, extra, comment, generated) in
        rows
    {
        columns.insert(
            (table, column),
            ColumnInfo {
                column_type,
                nullable: nullable == "YES",
                charset,
                collation,
                extra,
                comment,
                generation_expression: generated.filter(|g| !g.is_empty()),
            },
        );
    }
    let names_of = |kinds: &[&str]| {
        let mut names: Vec<&str> = objects_listed
            .iter()
            .filter(|(_, kind)| kinds.contains(&kind.as_str()))
            .map(|(name, _)| name.as_str())
            .collect();
        names.sort_unstable();
        names
    };
    let table_names = names_of(&["BASE TABLE", "SYSTEM VERSIONED"]);
    let view_names = names_of(&["VIEW"]);
    let mut shows: Vec<Statement> = show_statements("TABLE", &table_names);
    shows.extend(show_statements("VIEW", &view_names));
    shows.extend(listing.show_statements());
    let mut answers = batch::query_all(conn, &shows, batch::schema_error)
        .await?
        .into_iter();
    let mut creates = Vec::with_capacity(table_names.len() + view_names.len());
    for statement in &shows[..table_names.len() + view_names.len()] {
        creates.push(create_text(answers.next().unwrap_or_default(), statement)?);
    }
    let view_creates = creates.split_off(table_names.len());
    let objects = listing.shown(database, answers, &mut unreadable);

    let mut tables = Vec::with_capacity(table_names.len());
    let mut counters = BTreeMap::new();
    for (name, create) in table_names.into_iter().zip(creates) {
        let (table, counter) = table(name, &create, &columns)?;
        tables.push(table);
        counters.extend(counter.map(|next| (name.to_string(), next)));
    }
    let mut views = Vec::with_capacity(view_names.len());
    for (name, create) in view_names.into_iter().zip(view_creates) {
        let definition = show_create::normalise_view(&create)
            .map_err(|m| Error::database(format!("reading view `{name}`"), m))?;
        views.push(View {
            name: name.to_string(),
            definition,
            depends_on: depends.remove(name).unwrap_or_default(),
            grants: Vec::new(),
        });
    }
    mention_dependencies(&mut views);
    Ok(Catalog {
        flavor: flavor.clone(),
        tables,
        views,
        objects,
        types: Vec::new(),
        extensions: Vec::new(),
        sequences: Vec::new(),
        schemas: Vec::new(),
        granted: Vec::new(),
        unreadable,
        counters,
    })
}

/// Where the server does not say which views a view reads (MariaDB), a
/// view depends on every other view its definition names as an identifier.
fn mention_dependencies(views: &mut [View]) {
    let names: Vec<String> = views.iter().map(|v| v.name.clone()).collect();
    for view in views.iter_mut().filter(|v| v.depends_on.is_empty()) {
        view.depends_on = names
            .iter()
            .filter(|n| **n != view.name && view.definition.contains(&quote_ident(n)))
            .cloned()
            .collect();
    }
}

/// The second column of `SHOW CREATE TABLE|VIEW`.
pub(super) async fn show_create(
    conn: &mut mysql_async::Conn,
    kind: &str,
    name: &str,
) -> Result<String> {
    let statements = show_statements(kind, &[name]);
    let mut answers = batch::query_all(conn, &statements, batch::schema_error).await?;
    create_text(answers.remove(0), &statements[0])
}

/// `SHOW CREATE TABLE|VIEW` of each of `names`.
fn show_statements(kind: &str, names: &[&str]) -> Vec<Statement> {
    names
        .iter()
        .map(|name| {
            Statement::new(
                format!("reading {} `{name}`", kind.to_lowercase()),
                format!("SHOW CREATE {kind} {}", quote_ident(name)),
            )
        })
        .collect()
}

/// The text out of the answer to a `SHOW CREATE TABLE|VIEW`: its second
/// column.
fn create_text(rows: Vec<mysql_async::Row>, statement: &Statement) -> Result<String> {
    batch::first_value(rows, 1)
        .ok_or_else(|| Error::statement(&statement.what, &statement.sql, "no row returned"))
}

/// The table, and its AUTO_INCREMENT counter if it has one.
fn table(
    name: &str,
    create: &str,
    infos: &HashMap<(String, String), ColumnInfo>,
) -> Result<(Table, Option<u64>)> {
    let context = || format!("reading table `{name}`");
    let parsed = show_create::parse_table(create).map_err(|m| Error::database(context(), m))?;
    let columns = parsed
        .columns
        .into_iter()
        .map(|(column, definition)| {
            let info = infos
                .get(&(name.to_string(), column.clone()))
                .ok_or_else(|| {
                    Error::database(
                        context(),
                        format!("column `{column}` is not in information_schema.COLUMNS"),
                    )
                })?;
            Ok(build_column(column, definition, info))
        })
        .collect::<Result<Vec<_>>>()?;
    let table = Table {
        name: name.to_string(),
        columns,
        primary_key: parsed.primary_key,
        indexes: parsed.indexes,
        foreign_keys: parsed.foreign_keys,
        checks: parsed.checks,
        options: parsed.options,
    };
    Ok((table, parsed.auto_increment))
}

fn build_column(name: String, definition: String, info: &ColumnInfo) -> Column {
    let extra = info.extra.to_ascii_uppercase();
    let mut sql_type = types::parse(&info.column_type);
    // MariaDB's JSON is LONGTEXT plus a json_valid() check on the column.
    if matches!(sql_type, SqlType::Text { .. })
        && definition.contains(&format!("CHECK (json_valid({}))", quote_ident(&name)))
    {
        sql_type = SqlType::Json;
    }
    let generated = info
        .generation_expression
        .as_ref()
        // MySQL marks expression defaults DEFAULT_GENERATED: not generated columns.
        .filter(|_| extra.contains("VIRTUAL GENERATED") || extra.contains("STORED GENERATED"))
        .map(|expression| Generated {
            expression: expression.clone(),
            stored: extra.contains("STORED"),
        });
    Column {
        data_type: info.column_type.clone(),
        sql_type,
        nullable: info.nullable,
        default: column_default(&definition),
        on_update: column_on_update(&definition),
        auto_increment: extra.contains("AUTO_INCREMENT"),
        charset: info.charset.clone(),
        collation: info.collation.clone(),
        comment: info.comment.clone(),
        generated,
        invisible: extra.contains("INVISIBLE"),
        definition,
        name,
    }
}
