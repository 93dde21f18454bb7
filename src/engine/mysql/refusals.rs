//! Rows of a MySQL/MariaDB table that a schema change would refuse, found
//! before the change runs: duplicates under a new unique index, NULLs
//! under a new NOT NULL, values a narrower type cannot hold, orphans
//! under a new foreign key, rows a new CHECK rejects. Each finding names
//! the row by its values.

use mysql_async::prelude::Queryable;

use super::ddl::{quote_ident, quote_string};
use crate::catalog::change::{AlterClause, SchemaChange};
use crate::catalog::model::{ForeignKey, IndexKind, SqlType, Table};
use crate::error::{Error, Result};

/// At most this many rows are named per change.
const SHOWN: usize = 3;
/// "No such table" and "unknown column".
const NOT_THERE_YET: &[u16] = &[1146, 1054];

/// What each clause of `change` would refuse, as readable findings. A
/// clause that cannot be checked in advance (a narrower type other than
/// those `narrowing` knows) is passed over: the change itself still
/// refuses such rows when it runs.
pub(super) async fn find(
    conn: &mut mysql_async::Conn,
    change: &SchemaChange,
) -> Result<Option<Vec<String>>> {
    let SchemaChange::AlterTable {
        current, clauses, ..
    } = change
    else {
        return Ok(Some(Vec::new()));
    };
    let mut findings = Vec::new();
    for clause in clauses {
        let Some((sql, what)) = probe(current, clause) else {
            continue;
        };
        let rows: Vec<(Vec<u8>,)> = match conn.query(&sql).await {
            Ok(rows) => rows,
            // The clause names a table or column this same plan creates
            // first: nothing there yet to refuse it.
            Err(mysql_async::Error::Server(e)) if NOT_THERE_YET.contains(&e.code) => continue,
            Err(e) => {
                return Err(Error::statement(
                    format!("checking `{}` before {what}", current.name),
                    &sql,
                    e,
                ))
            }
        };
        if !rows.is_empty() {
            let shown: Vec<String> = rows
                .iter()
                .map(|(r,)| String::from_utf8_lossy(r).into_owned())
                .collect();
            findings.push(format!("{what}: {}", shown.join("; ")));
        }
    }
    Ok(Some(findings))
}

/// The query that finds the rows `clause` refuses, and what the clause
/// does; `None` for a clause no row can refuse or that cannot be checked.
fn probe(table: &Table, clause: &AlterClause) -> Option<(String, String)> {
    let name = quote_ident(&table.name);
    let key = row_label(table);
    Some(match clause {
        AlterClause::AddIndex(index) | AlterClause::AddPrimaryKey(index)
            if matches!(index.kind, IndexKind::Unique | IndexKind::Primary) =>
        {
            let columns: Vec<String> = index
                .parts
                .iter()
                .map(|p| match (&p.column, p.prefix) {
                    (Some(c), Some(n)) => format!("LEFT({}, {n})", quote_ident(c)),
                    (Some(c), None) => quote_ident(c),
                    (None, _) => p.expression.clone().unwrap_or_default(),
                })
                .collect();
            let set = columns.join(", ");
            let not_null: Vec<String> =
                columns.iter().map(|c| format!("{c} IS NOT NULL")).collect();
            (
                format!(
                    "SELECT CONCAT('(', CONCAT_WS(', ', {}), ') x', COUNT(*)) FROM {name} \
                     WHERE {} GROUP BY {set} HAVING COUNT(*) > 1 LIMIT {SHOWN}",
                    quoted_values(&columns),
                    not_null.join(" AND ")
                ),
                format!(
                    "the unique key `{}` on ({set}) meets duplicates",
                    index.name
                ),
            )
        }
        AlterClause::ModifyColumn { from, to, .. } => {
            let column = quote_ident(&from.name);
            let mut refused = Vec::new();
            let mut what = Vec::new();
            if from.nullable && !to.nullable {
                refused.push(format!("{column} IS NULL"));
                what.push(format!("NOT NULL on {column} meets NULLs"));
            }
            if !from.sql_type.fits_into(&to.sql_type) {
                if let Some(condition) = narrowing(&column, &from.sql_type, &to.sql_type) {
                    refused.push(condition);
                    what.push(format!(
                        "{} on {column} cannot hold the values",
                        to.data_type
                    ));
                }
            }
            if refused.is_empty() {
                return None;
            }
            (
                format!(
                    "SELECT {key} FROM {name} WHERE {} LIMIT {SHOWN}",
                    refused.join(" OR ")
                ),
                format!("{} in rows", what.join(", or ")),
            )
        }
        AlterClause::AddForeignKey(fk) => {
            let child = |c: &String| format!("c.{}", quote_ident(c));
            let columns: Vec<String> = fk.columns.iter().map(child).collect();
            (
                format!(
                    "SELECT CONCAT('(', CONCAT_WS(', ', {}), ')') FROM {name} AS c WHERE {} LIMIT {SHOWN}",
                    quoted_values(&columns),
                    orphans(fk)
                ),
                format!(
                    "the foreign key `{}` finds no `{}` row for",
                    fk.name, fk.referenced_table
                ),
            )
        }
        AlterClause::AddCheck(check) => (
            format!(
                "SELECT {key} FROM {name} WHERE NOT ({}) LIMIT {SHOWN}",
                check.expression
            ),
            format!("the check `{}` rejects rows", check.name),
        ),
        _ => return None,
    })
}

/// The condition true for a value of `column` (now of type `from`) that
/// type `to` cannot hold as it is: out of an integer's or a decimal's
/// range or scale, longer than a string type, not among an ENUM's values
/// or holding a SET member that goes. `None` for other types: not checked
/// in advance.
fn narrowing(column: &str, from: &SqlType, to: &SqlType) -> Option<String> {
    let quoted = |values: &[String]| {
        values
            .iter()
            .map(|v| quote_string(v))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(match to {
        SqlType::Integer { bytes, unsigned } => {
            let bits = 8 * u32::from(*bytes);
            let (low, high) = match unsigned {
                true => (0, (1i128 << bits) - 1),
                false => (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1),
            };
            format!("({column} NOT BETWEEN {low} AND {high} OR {column} <> ROUND({column}))")
        }
        SqlType::Decimal {
            precision,
            scale,
            unsigned,
        } => {
            let limit = format!("1{}", "0".repeat((precision - scale) as usize));
            let sign = match unsigned {
                true => format!(" OR {column} < 0"),
                false => String::new(),
            };
            format!("(ABS({column}) >= {limit} OR {column} <> ROUND({column}, {scale}){sign})")
        }
        SqlType::Char { length, .. } => format!("CHAR_LENGTH({column}) > {length}"),
        SqlType::Binary {
            length,
            varying: true,
        } => format!("LENGTH({column}) > {length}"),
        SqlType::Text { max_bytes } | SqlType::Blob { max_bytes } => {
            format!("LENGTH({column}) > {max_bytes}")
        }
        SqlType::Enum { values } => format!("{column} NOT IN ({})", quoted(values)),
        SqlType::Set { values } => {
            let SqlType::Set { values: old } = from else {
                return None;
            };
            let gone: Vec<String> = old
                .iter()
                .filter(|v| !values.contains(v))
                .map(|v| format!("FIND_IN_SET({}, {column}) > 0", quote_string(v)))
                .collect();
            match gone.is_empty() {
                true => return None,
                false => format!("({})", gone.join(" OR ")),
            }
        }
        _ => return None,
    })
}

/// Each expression as a quoted literal (`NULL` spelled out), for listing.
fn quoted_values(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("IFNULL(QUOTE({c}), 'NULL')"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An expression naming a row: its primary key's values, else all columns.
fn row_label(table: &Table) -> String {
    let columns: Vec<String> = match &table.primary_key {
        Some(pk) => pk
            .parts
            .iter()
            .filter_map(|p| p.column.as_deref().map(quote_ident))
            .collect(),
        None => table.columns.iter().map(|c| quote_ident(&c.name)).collect(),
    };
    format!(
        "CONCAT('(', CONCAT_WS(', ', {}), ')')",
        quoted_values(&columns)
    )
}

/// The condition true for a row of the child table (aliased `c`) whose
/// foreign key finds no parent row (MATCH SIMPLE: a key with a NULL
/// column references nothing).
pub(super) fn orphans(fk: &ForeignKey) -> String {
    let child = |c: &String| format!("c.{}", quote_ident(c));
    let mut set: Vec<String> = fk
        .columns
        .iter()
        .map(|c| format!("{} IS NOT NULL", child(c)))
        .collect();
    let joined: Vec<String> = fk
        .columns
        .iter()
        .zip(&fk.referenced_columns)
        .map(|(c, p)| format!("p.{} = {}", quote_ident(p), child(c)))
        .collect();
    set.push(format!(
        "NOT EXISTS (SELECT 1 FROM {} AS p WHERE {})",
        quote_ident(&fk.referenced_table),
        joined.join(" AND ")
    ));
    set.join(" AND ")
}
