//! Server-side row hashes and checksums, so unchanged data never leaves
//! the server.
//!
//! Each row hashes to the MD5 of an unambiguous encoding of its stored
//! columns: per column `N` for NULL, else the byte length of the value's
//! text form, `:` and that text (under the session settings of `connect`,
//! the text is exact: floats with every digit, `-0` apart from `0`,
//! timestamps with time zone in UTC, bytea in hex). A checksum is the row
//! count and, per 64-bit half of the row hashes, the sum modulo 2^64, as
//! the MySQL engine's, so equal multisets of rows sum equal and bisection
//! can compare the halves of a range. Ranges and split points follow the
//! key order of `rows.rs`. A whole table's first look hashes each row as
//! one record instead.

use tokio_postgres::{Client, SimpleQueryMessage};

use super::rows::{decode_rows, from_where, key_columns, order_by, read_expr, relation};
use super::transient;
use super::types::quote_ident;
use crate::data::segment::{Checksum, KeyRange};
use crate::data::table::TableData;
use crate::data::value::Value;
use crate::engine::split::split_points_sql;
use crate::error::{Error, Result};

/// The row's hash as 32 hex digits.
pub fn row_hash_expr(table: &TableData) -> String {
    let pieces: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let text = format!("{}::text", quote_ident(&c.name));
            format!("coalesce(octet_length({text})::text || ':' || {text}, 'N')")
        })
        .collect();
    if pieces.is_empty() {
        return "md5('')".to_string();
    }
    format!("md5({})", pieces.join(" || "))
}

/// `SELECT <key columns>, <64-bit row hash> FROM t [WHERE range] ORDER BY
/// <key>`: the rows' keys in stream order, each with the first half of
/// its row's MD5 as a bigint.
pub fn key_hashes_sql(table: &TableData, range: Option<&KeyRange>) -> String {
    let keys: Vec<String> = key_columns(table).into_iter().map(read_expr).collect();
    format!(
        "SELECT {}, ('x' || substr({}, 1, 16))::bit(64)::bigint {} ORDER BY {}",
        keys.join(", "),
        row_hash_expr(table),
        from_where(table, range),
        order_by(table)
    )
}

/// The row count and the sums of the two hash halves, as text.
pub fn checksum_sql(table: &TableData, range: Option<&KeyRange>) -> String {
    sums_sql(&row_hash_expr(table), &from_where(table, range))
}

/// The row count and the sums of the halves of `row_hash` over the rows
/// of `from`.
fn sums_sql(row_hash: &str, from: &str) -> String {
    let half = |start: u8| {
        format!("coalesce(sum(('x' || substr(h, {start}, 16))::bit(64)::bigint::numeric), 0)::text")
    };
    format!(
        "SELECT count(*)::text, {}, {} FROM (SELECT {row_hash} AS h {from}) AS hashed",
        half(1),
        half(17)
    )
}

/// A sum of signed 64-bit halves, modulo 2^64.
fn wrapped(sum: &str) -> std::result::Result<u64, String> {
    // Sums of at most 2^63 halves of at most 2^63 each fit an i128.
    let value: i128 = sum.parse().map_err(|_| format!("not a sum: {sum}"))?;
    Ok(value as u64)
}

/// The checksum of the rows in `range` (all rows for `None`).
pub async fn checksum(
    client: &Client,
    table: &TableData,
    range: Option<&KeyRange>,
) -> Result<Checksum> {
    if let Some(range) = range {
        range.check(table)?;
    }
    let context = format!("computing the checksum of `{}`", table.name);
    sums(client, context, &checksum_sql(table, range)).await
}

/// The whole table's checksum, from each row's text as one record
/// (which quotes what needs it and tells NULL from empty), folded to 64
/// bits: the first look that skips a table whose rows did not change
/// (PostgreSQL has no `CHECKSUM TABLE`). Rows equal as records of equal
/// column order are equal.
pub async fn table_checksum(client: &Client, table: &TableData) -> Result<u64> {
    let from = format!("FROM {} AS r", relation(table));
    let context = format!("computing the checksum of `{}`", table.name);
    let sum = sums(client, context, &sums_sql("md5(ROW(r.*)::text)", &from)).await?;
    let mut bytes = sum.rows.to_le_bytes().to_vec();
    bytes.extend_from_slice(&sum.hash.to_le_bytes());
    Ok(xxhash_rust::xxh3::xxh3_64(&bytes))
}

/// Runs a `sums_sql` query, by the simple protocol (one message, its
/// answer in text): queries sent together from one session share their
/// round trip.
async fn sums(client: &Client, context: String, sql: &str) -> Result<Checksum> {
    let messages = client
        .simple_query(sql)
        .await
        .map_err(|e| transient::query_error(context.as_str(), sql, &e))?;
    let parsed = (|| {
        let row = messages
            .iter()
            .find_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(row),
                _ => None,
            })
            .ok_or("no row returned")?;
        let text = |i: usize| row.get(i).ok_or(format!("column {i} is NULL"));
        let (count, hi, lo) = (text(0)?, text(1)?, text(2)?);
        Ok::<_, String>(Checksum::from_halves(
            count.parse().map_err(|_| format!("not a count: {count}"))?,
            wrapped(hi)?,
            wrapped(lo)?,
        ))
    })();
    parsed.map_err(|m| Error::statement(context, sql, m))
}

/// Keys that cut `range` into about `parts` segments of equal row count,
/// increasing; none for fewer rows than parts would need.
pub async fn split_points(
    client: &Client,
    table: &TableData,
    range: Option<&KeyRange>,
    parts: usize,
) -> Result<Vec<Vec<Value>>> {
    if let Some(range) = range {
        range.check(table)?;
    }
    let context = format!("splitting the rows of `{}`", table.name);
    let count_sql = format!("SELECT count(*) {}", from_where(table, range));
    let count: i64 = client
        .query_one(count_sql.as_str(), &[])
        .await
        .map_err(|e| transient::query_error(context.as_str(), &count_sql, &e))?
        .get(0);
    let columns = key_columns(table);
    let keys: Vec<(String, String)> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (read_expr(c), format!("k{i}")))
        .collect();
    let Some(sql) = split_points_sql(
        &keys,
        &order_by(table),
        &from_where(table, range),
        count.max(0) as u64,
        parts,
    ) else {
        return Ok(Vec::new());
    };
    let rows = client
        .query(sql.as_str(), &[])
        .await
        .map_err(|e| transient::query_error(context.as_str(), &sql, &e))?;
    decode_rows(&rows, &columns).map_err(|m| Error::statement(context, &sql, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_wrap_modulo_two_to_the_64() {
        assert_eq!(wrapped("-1").unwrap(), u64::MAX);
        assert_eq!(wrapped("18446744073709551617").unwrap(), 1);
        assert_eq!(wrapped("0").unwrap(), 0);
    }
}
