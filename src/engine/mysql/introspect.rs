//! Reads a MySQL/MariaDB schema into the neutral catalog: `SHOW CREATE
//! TABLE` / `SHOW CREATE VIEW` give the exact native text of every object,
//! information_schema gives the structured column facts that the text omits
//! (a column's charset and collation only show when they differ from the
//! table default).

use std::collections::{BTreeMap, HashMap};

use mysql_async::prelude::Queryable;

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

pub async fn catalog(
    conn: &mut mysql_async::Conn,
    database: &str,
    flavor: &Flavor,
) -> Result<Catalog> {
    let failed = |what: &str| {
        let context = format!("reading {what} of database `{database}`");
        move |e: mysql_async::Error| Error::database(context, e)
    };
    let objects: Vec<(String, String)> = conn
        .exec(
            "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?",
            (database,),
        )
        .await
        .map_err(failed("the list of tables"))?;
    let rows: Vec<ColumnRow> = conn
        .exec(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, CHARACTER_SET_NAME, \
             COLLATION_NAME, EXTRA, COLUMN_COMMENT, GENERATION_EXPRESSION \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?",
            (database,),
        )
        .await
        .map_err(failed("the columns"))?;
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
    let mut table_names: Vec<&str> = objects
        .iter()
        .filter(|(_, kind)| kind == "BASE TABLE" || kind == "SYSTEM VERSIONED")
        .map(|(name, _)| name.as_str())
        .collect();
    table_names.sort_unstable();
    let mut tables = Vec::with_capacity(table_names.len());
    let mut counters = BTreeMap::new();
    let creates = show_creates(conn, "TABLE", &table_names).await?;
    for (name, create) in table_names.into_iter().zip(creates) {
        let (table, counter) = table(name, &create, &columns)?;
        tables.push(table);
        counters.extend(counter.map(|next| (name.to_string(), next)));
    }
    let mut view_names: Vec<&str> = objects
        .iter()
        .filter(|(_, kind)| kind == "VIEW")
        .map(|(name, _)| name.as_str())
        .collect();
    view_names.sort_unstable();
    let mut depends = view_dependencies(conn, database, flavor).await?;
    let mut views = Vec::with_capacity(view_names.len());
    let creates = show_creates(conn, "VIEW", &view_names).await?;
    for (name, create) in view_names.into_iter().zip(creates) {
        let definition = show_create::normalise_view(&create)
            .map_err(|m| Error::database(format!("reading view `{name}`"), m))?;
        views.push(View {
            name: name.to_string(),
            definition,
            depends_on: depends.remove(name).unwrap_or_default(),
        });
    }
    mention_dependencies(&mut views);
    let (stored, unreadable) = objects::read(conn, database).await?;
    Ok(Catalog {
        flavor: flavor.clone(),
        tables,
        views,
        objects: stored,
        types: Vec::new(),
        extensions: Vec::new(),
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
    let mut texts = show_creates(conn, kind, &[name]).await?;
    Ok(texts.remove(0))
}

/// The second column of `SHOW CREATE TABLE|VIEW` of each of `names`, in
/// order: the statements sent together, so a schema of any size costs
/// one round trip (a link of 20 ms made one per table a second's wait).
async fn show_creates(
    conn: &mut mysql_async::Conn,
    kind: &str,
    names: &[&str],
) -> Result<Vec<String>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let statements: Vec<String> = names
        .iter()
        .map(|name| format!("SHOW CREATE {kind} {}", quote_ident(name)))
        .collect();
    let fail = |i: usize, message: String| {
        Error::statement(
            format!("reading {} `{}`", kind.to_lowercase(), names[i]),
            &statements[i],
            message,
        )
    };
    let mut answers = conn
        .query_iter(statements.join("; "))
        .await
        .map_err(|e| fail(0, e.to_string()))?;
    let mut texts = Vec::with_capacity(names.len());
    for i in 0..names.len() {
        let rows: Vec<mysql_async::Row> = answers
            .collect()
            .await
            .map_err(|e| fail(i, e.to_string()))?;
        let text = rows
            .into_iter()
            .next()
            .and_then(|r| r.get::<String, _>(1))
            .ok_or_else(|| fail(i, "no row returned".to_string()))?;
        texts.push(text);
    }
    Ok(texts)
}

/// Tables each view reads, where the server says (MySQL 8's
/// information_schema.VIEW_TABLE_USAGE; MariaDB 10.11 has no such table).
async fn view_dependencies(
    conn: &mut mysql_async::Conn,
    database: &str,
    flavor: &Flavor,
) -> Result<HashMap<String, Vec<String>>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    if !matches!(flavor, Flavor::MySql { .. }) {
        return Ok(map);
    }
    let rows: Vec<(String, String)> = conn
        .exec(
            "SELECT VIEW_NAME, TABLE_NAME FROM information_schema.VIEW_TABLE_USAGE \
             WHERE VIEW_SCHEMA = ? ORDER BY VIEW_NAME, TABLE_NAME",
            (database,),
        )
        .await
        .map_err(|e| Error::database(format!("reading view dependencies of `{database}`"), e))?;
    for (view, table) in rows {
        map.entry(view).or_default().push(table);
    }
    Ok(map)
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
