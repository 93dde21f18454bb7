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
//! key order of `rows.rs`.
//!
//! Where one 64-bit hash a row is enough (the key hashes of the hash
//! pass, a whole table's first look, which hashes each row as one record
//! instead) it is `hashtextextended` of the same text, several times
//! cheaper for the server than MD5. Its value may differ between servers
//! of another byte order: rows would then only look different, and be
//! read and compared whole.

use tokio_postgres::{Client, SimpleQueryMessage};

use super::rows::{decode_rows, from_where, key_columns, order_by, read_expr, relation};
use super::transient;
use super::types::quote_ident;
use crate::data::segment::{Checksum, KeyRange};
use crate::data::table::TableData;
use crate::data::value::Value;
use crate::engine::split::split_points_sql;
use crate::error::{Error, Result};

/// The row's unambiguous encoding (see the module's comment) as text.
fn row_encoding(table: &TableData) -> String {
    let pieces: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let text = format!("{}::text", quote_ident(&c.name));
            format!("coalesce(octet_length({text})::text || ':' || {text}, 'N')")
        })
        .collect();
    if pieces.is_empty() {
        return "''".to_string();
    }
    pieces.join(" || ")
}

/// The row's hash as 32 hex digits.
pub fn row_hash_expr(table: &TableData) -> String {
    format!("md5({})", row_encoding(table))
}

/// The 64-bit hash of a text, as a bigint (bytes hashed as they are,
/// whatever the database's collation).
fn hash64(text: &str) -> String {
    format!("hashtextextended(({text}) COLLATE \"C\", 0)")
}

/// `SELECT <key columns>, <64-bit row hash> FROM t [WHERE range] ORDER BY
/// <key>`: the rows' keys in stream order, each with the 64-bit hash of
/// its row's encoding (the one `row_hash_expr` hashes with MD5).
pub fn key_hashes_sql(table: &TableData, range: Option<&KeyRange>) -> String {
    let keys: Vec<String> = key_columns(table).into_iter().map(read_expr).collect();
    format!(
        "SELECT {}, {} {} ORDER BY {}",
        keys.join(", "),
        hash64(&row_encoding(table)),
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
/// (which quotes what needs it and tells NULL from empty): the row count
/// and the sum of the rows' 64-bit hashes, folded to 64 bits: the first
/// look that skips a table whose rows did not change (PostgreSQL has no
/// `CHECKSUM TABLE`). Rows equal as records of equal column order are
/// equal.
pub async fn table_checksum(client: &Client, table: &TableData) -> Result<u64> {
    let sql = format!(
        "SELECT count(*)::text, coalesce(sum({}), 0)::text, '0' FROM {} AS r",
        hash64("ROW(r.*)::text"),
        relation(table)
    );
    let context = format!("computing the checksum of `{}`", table.name);
    let sum = sums(client, context, &sql).await?;
    let mut bytes = sum.rows.to_le_bytes().to_vec();
    bytes.extend_from_slice(&sum.hash.to_le_bytes());
    Ok(xxhash_rust::xxh3::xxh3_64(&bytes))
}

/// Runs a query of a row count and two sums (`sums_sql`'s, or one sum
/// and `'0'`), by the simple protocol (one message, its answer in text):
/// queries sent together from one session share their round trip.
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
        .query_typed_one(&count_sql, &[])
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
        .query_typed(&sql, &[])
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
