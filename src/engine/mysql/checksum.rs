//! Server-side row hashes and checksums, so unchanged data never leaves
//! the server.
//!
//! Each row hashes to the MD5 (or, where both servers have CRC32C, to
//! CRC32 and CRC32C: see `row_hashes`) of an unambiguous encoding of its stored
//! values: per column either `N` (NULL), an exact text form and `,`
//! (numbers, dates and times: characters that never include `N` or `,`),
//! the byte length, `:` and the stored bytes (character and binary data,
//! compared as bytes whatever the collation), or for a large object longer
//! than 64 KiB `M` and the MD5 of its bytes (so the concatenation stays far
//! below `max_allowed_packet`). FLOATs go through DOUBLE, whose text form is the
//! shortest that reads back to the same bits, so 1 ulp apart differs.
//!
//! A checksum is the row count and, per 64-bit half of the MD5 row hashes
//! (or per 32-bit CRC), the sum modulo 2^64: unlike XOR, a sum also tells
//! apart multisets with duplicate rows (tables without a key). Ranges and segments follow the
//! key order of `rows.rs` (string-like columns by their bytes), and the
//! session must be a data session (UTC time zone, binary results).

use mysql_async::prelude::Queryable;
use mysql_async::Value as MyValue;

use super::ddl::quote_ident;
use super::rows::{byte_form, convert, order_term, Kind};
use super::write::literal;
use crate::catalog::model::{Flavor, SqlType};
use crate::data::segment::{Checksum, KeyRange};
use crate::data::table::{DataColumn, TableData};
use crate::data::value::Value;
use crate::engine::keyed;
use crate::engine::split::split_points_sql;
use crate::engine::RowHash;
use crate::error::{Error, Result};

/// Character and binary data longer than this is hashed on its own.
const INLINE_MAX_BYTES: u64 = 65_535;

/// The columns a range is keyed on: the key, or every column without one
/// (the order `rows.rs` streams in).
fn key_columns(table: &TableData) -> Vec<&DataColumn> {
    if table.key.is_empty() {
        table.columns.iter().collect()
    } else {
        table.key.iter().map(|&i| &table.columns[i]).collect()
    }
}

/// One column's share of the hashed encoding, as arguments of the row's
/// one `CONCAT`; never NULL. A NOT NULL column needs no NULL test, and
/// character data's byte length is `LENGTH` of the column itself (bytes
/// in any charset): each call saved is measurable on a wide table
/// (590,000 rows of the bench's `job_orders`: 1.6 s against 1.9-2.4 s
/// for the same bytes nested and NULL-tested everywhere).
fn column_piece(column: &DataColumn) -> Vec<String> {
    let name = quote_ident(&column.name);
    let bytes = byte_form(column).unwrap_or_else(|| name.clone());
    let length = match &column.sql_type {
        SqlType::Char { .. }
        | SqlType::Text { .. }
        | SqlType::Enum { .. }
        | SqlType::Set { .. }
        | SqlType::Json => format!("LENGTH({name})"),
        _ => format!("LENGTH({bytes})"),
    };
    let parts: Vec<String> = match &column.sql_type {
        // Every FLOAT is exactly a DOUBLE; its own text form has 6 digits.
        SqlType::Float { double: false, .. } => {
            vec![format!("CAST({name} AS DOUBLE)"), "','".to_string()]
        }
        SqlType::Bit { .. } => vec![format!("{name} + 0"), "','".to_string()],
        SqlType::Integer { .. }
        | SqlType::Boolean
        | SqlType::Year
        | SqlType::Decimal { .. }
        | SqlType::Float { double: true, .. }
        | SqlType::Date
        | SqlType::Time { .. }
        | SqlType::DateTime { .. }
        | SqlType::Timestamp { .. } => vec![name.clone(), "','".to_string()],
        SqlType::Text { max_bytes } | SqlType::Blob { max_bytes }
            if *max_bytes > INLINE_MAX_BYTES =>
        {
            vec![large_piece(&length, &bytes)]
        }
        SqlType::Json | SqlType::Spatial { .. } => vec![large_piece(&length, &bytes)],
        _ => vec![length, "':'".to_string(), bytes],
    };
    match column.nullable {
        true => vec![format!("IFNULL(CONCAT({}), 'N')", parts.join(", "))],
        false => parts,
    }
}

/// A large object's piece: inline like other strings while it is short
/// (most are, and an MD5 call per value cost a fifth of a table's checksum),
/// else `M` and its MD5, so the concatenation stays far below
/// `max_allowed_packet`. An inline piece starts with a digit, so the two
/// forms never read as each other.
fn large_piece(length: &str, bytes: &str) -> String {
    format!(
        "IF({length} <= {INLINE_MAX_BYTES}, CONCAT({length}, ':', {bytes}), CONCAT('M', MD5({bytes})))"
    )
}

/// The row's unambiguous encoding: equal only for rows whose stored
/// columns are equal byte for byte.
fn row_encoding(table: &TableData) -> String {
    let pieces: Vec<String> = table.columns.iter().flat_map(column_piece).collect();
    format!("CONCAT({})", pieces.join(", "))
}

/// The row's hash as 32 hex digits: equal only for rows whose stored
/// columns are equal byte for byte (collisions aside).
pub fn row_hash_expr(table: &TableData) -> String {
    format!("MD5({})", row_encoding(table))
}

/// The user variable the CRC pair shares the row's encoding through.
const ENCODED_ROW: &str = "@lockstep_row";

/// The two CRCs of the row's encoding, as two expressions evaluated in
/// this order for each row: the first builds the encoding once and keeps
/// it in `ENCODED_ROW`, the second reads it back. Encoding the row twice
/// costs a third more on the server (590,000 rows of the bench's
/// `job_orders`, MariaDB 10.11: 1.2-1.4 s against 0.8-0.9 s, equal sums).
/// MariaDB evaluates a row's expressions left to right; were it ever not
/// to, the CRC32 would still cover the row itself, and the CRC32C another
/// row's encoding: rows could look different when equal (then read whole
/// and compared value by value), never equal when different beyond the
/// CRC32's own 32 bits.
fn crc_pair(table: &TableData) -> [String; 2] {
    [
        format!("CRC32({ENCODED_ROW} := {})", row_encoding(table)),
        format!("CRC32C({ENCODED_ROW})"),
    ]
}

/// The row's hash in 64 bits: the two CRCs side by side, or the first
/// half of the MD5.
fn row_hash64(table: &TableData, hash: RowHash) -> String {
    match hash {
        RowHash::Crc32Pair => {
            let [crc32, crc32c] = crc_pair(table);
            format!("({crc32} << 32) | {crc32c}")
        }
        RowHash::Md5 => format!(
            "CAST(CONV(LEFT({}, 16), 16, 10) AS UNSIGNED)",
            row_hash_expr(table)
        ),
    }
}

/// `SELECT <key columns>, <64-bit row hash> FROM t [WHERE range] ORDER BY
/// <key>`: the rows' keys in stream order, each with its row's hash.
pub fn key_hashes_sql(
    flavor: &Flavor,
    table: &TableData,
    range: Option<&KeyRange>,
    hash: RowHash,
) -> String {
    let keys: Vec<String> = key_columns(table)
        .into_iter()
        .map(|c| quote_ident(&c.name))
        .collect();
    format!(
        "SELECT {}, {} {} ORDER BY {}",
        keys.join(", "),
        row_hash64(table, hash),
        from_where(flavor, table, range),
        order_terms(table).join(", ")
    )
}

/// The condition true for the rows whose key is one of `keys` (see
/// `engine::keyed`).
pub fn keyed_condition(flavor: &Flavor, table: &TableData, keys: &[Vec<Value>]) -> String {
    let columns = key_columns(table);
    let names: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
    let literal = |i: usize, v: &Value| literal(flavor, columns[i], v);
    keyed::keyed_condition(&names, keys, literal, "<=>")
}

/// The row hashes `flavor` computes, cheapest first. CRC32C came with
/// MariaDB 10.8; MySQL (8.x included) has CRC32 only, and one 32-bit CRC
/// is too few bits for a checksum, so MySQL stays on MD5. Measured on 1M
/// rows of six columns (MariaDB 10.11, a shared 2-core machine): a
/// full-range checksum took 10.2-13.7 s with MD5 (median 12.7 of 7 runs),
/// 6.1-10.1 s with the CRC pair (median 7.2 of 8).
pub fn row_hashes(flavor: &Flavor) -> Vec<RowHash> {
    match flavor {
        Flavor::MariaDb { version } if at_least(version, (10, 8)) => {
            vec![RowHash::Crc32Pair, RowHash::Md5]
        }
        _ => vec![RowHash::Md5],
    }
}

/// Whether a `major.minor...` version string is `min` or later (an
/// unreadable one is not).
fn at_least(version: &str, min: (u32, u32)) -> bool {
    let mut numbers = version
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().ok());
    match (numbers.next().flatten(), numbers.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= min,
        _ => false,
    }
}

/// `a > v`, `a < v`, `a = v` in key order (NULL first; string-like
/// columns by bytes: a binary operand makes the comparison binary).
#[derive(Clone, Copy)]
enum Cmp {
    Greater,
    Less,
    Equal,
}

fn compare(flavor: &Flavor, column: &DataColumn, cmp: Cmp, value: &Value) -> String {
    let term = order_term(column);
    match (cmp, value) {
        (Cmp::Greater, Value::Null) => format!("{term} IS NOT NULL"),
        (Cmp::Less, Value::Null) => "FALSE".to_string(),
        (Cmp::Equal, Value::Null) => format!("{term} IS NULL"),
        (Cmp::Greater, v) => format!("{term} > {}", literal(flavor, column, v)),
        (Cmp::Equal, v) => format!("{term} = {}", literal(flavor, column, v)),
        (Cmp::Less, v) if column.nullable => format!(
            "({term} IS NULL OR {term} < {})",
            literal(flavor, column, v)
        ),
        (Cmp::Less, v) => format!("{term} < {}", literal(flavor, column, v)),
    }
}

/// Keys strictly beyond `bound` (`cmp` Greater) or before it (Less), as
/// an OR of "equal on a prefix, then beyond": unlike a row constructor,
/// MariaDB serves this with an index range.
fn beyond(flavor: &Flavor, columns: &[&DataColumn], bound: &[Value], cmp: Cmp) -> Vec<String> {
    (0..bound.len().min(columns.len()))
        .map(|i| {
            let mut terms: Vec<String> = (0..i)
                .map(|j| compare(flavor, columns[j], Cmp::Equal, &bound[j]))
                .collect();
            terms.push(compare(flavor, columns[i], cmp, &bound[i]));
            format!("({})", terms.join(" AND "))
        })
        .collect()
}

/// The range's `WHERE` condition; `None` when it holds every row.
pub fn range_condition(range: &KeyRange, flavor: &Flavor, table: &TableData) -> Option<String> {
    let columns = key_columns(table);
    let mut parts = Vec::new();
    if let Some(after) = &range.after {
        let any = beyond(flavor, &columns, after, Cmp::Greater);
        parts.push(format!("({})", any.join(" OR ")));
    }
    if let Some(up_to) = &range.up_to {
        let mut any = beyond(flavor, &columns, up_to, Cmp::Less);
        let equal: Vec<String> = columns
            .iter()
            .zip(up_to)
            .map(|(c, v)| compare(flavor, c, Cmp::Equal, v))
            .collect();
        any.push(format!("({})", equal.join(" AND ")));
        parts.push(format!("({})", any.join(" OR ")));
    }
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// `FROM t [WHERE range]`.
fn from_where(flavor: &Flavor, table: &TableData, range: Option<&KeyRange>) -> String {
    let mut sql = format!("FROM {}", quote_ident(&table.name));
    if let Some(condition) = range.and_then(|r| range_condition(r, flavor, table)) {
        sql.push_str(" WHERE ");
        sql.push_str(&condition);
    }
    sql
}

/// `ORDER BY` terms of the stream order (the order of `rows.rs`).
fn order_terms(table: &TableData) -> Vec<String> {
    key_columns(table).into_iter().map(order_term).collect()
}

/// The range's tag (its position in a batch), row count and the sums of
/// the hash halves over it. MD5 hashes are materialized once (the `LIMIT`
/// keeps the derived table from being merged, which would compute every
/// MD5 twice); the two CRCs share one encoding of the row (`crc_pair`;
/// materializing the encoding instead costs more).
fn checksum_sql(
    flavor: &Flavor,
    table: &TableData,
    range: &KeyRange,
    hash: RowHash,
    tag: usize,
) -> String {
    if hash == RowHash::Crc32Pair {
        let [crc32, crc32c] = crc_pair(table);
        return format!(
            "SELECT {tag}, COUNT(*), SUM({crc32}), SUM({crc32c}) {}",
            from_where(flavor, table, Some(range))
        );
    }
    format!(
        "SELECT {tag}, COUNT(*), \
         SUM(CAST(CONV(LEFT(h, 16), 16, 10) AS UNSIGNED)), \
         SUM(CAST(CONV(RIGHT(h, 16), 16, 10) AS UNSIGNED)) \
         FROM (SELECT {} AS h {} LIMIT 18446744073709551615) AS hashed",
        row_hash_expr(table),
        from_where(flavor, table, Some(range))
    )
}

/// A checksum from the three values `checksum_sql` selects after its tag.
pub fn parse_checksum(values: &[MyValue]) -> std::result::Result<Checksum, String> {
    let [count, hi, lo] = values else {
        return Err(format!("expected 3 values, got {}", values.len()));
    };
    let number = |v: &MyValue| -> std::result::Result<u128, String> {
        match v {
            MyValue::NULL => Ok(0),
            MyValue::Int(n) => u128::try_from(*n).map_err(|_| format!("negative sum {n}")),
            MyValue::UInt(n) => Ok(u128::from(*n)),
            MyValue::Bytes(b) => std::str::from_utf8(b)
                .ok()
                .and_then(|s| s.parse::<u128>().ok())
                .ok_or_else(|| format!("not a sum: {}", String::from_utf8_lossy(b))),
            other => Err(format!("unexpected value {other:?}")),
        }
    };
    let rows = u64::try_from(number(count)?).map_err(|_| "row count out of range".to_string())?;
    // Sums modulo 2^64: the truncation is the point.
    Ok(Checksum::from_halves(
        rows,
        number(hi)? as u64,
        number(lo)? as u64,
    ))
}

/// The checksum of the rows in `range` (all rows for `None`).
pub async fn checksum(
    conn: &mut mysql_async::Conn,
    flavor: &Flavor,
    table: &TableData,
    range: Option<&KeyRange>,
    hash: RowHash,
) -> Result<Checksum> {
    let range = range.cloned().unwrap_or_else(KeyRange::all);
    let sums = checksums(conn, flavor, table, std::slice::from_ref(&range), hash).await?;
    Ok(sums[0])
}

/// A statement of `checksums` grows to about this size before the next
/// one starts (far below any `max_allowed_packet`).
const BATCH_STATEMENT_BYTES: usize = 1 << 20;

/// The checksums of `ranges`, in order: the ranges' `checksum_sql`
/// tagged with their position and joined by `UNION ALL`, so a whole level
/// of a bisection costs one round trip (one per MiB of statement). Each
/// part keeps its own index range scan (measured no slower than one scan
/// grouping rows by a `CASE` over the split points: bench/results-remote.md).
/// Sent as text (no prepared statement: that would cost a round trip more
/// for a statement that is never sent again).
pub async fn checksums(
    conn: &mut mysql_async::Conn,
    flavor: &Flavor,
    table: &TableData,
    ranges: &[KeyRange],
    hash: RowHash,
) -> Result<Vec<Checksum>> {
    for range in ranges {
        range.check(table)?;
    }
    let context = || format!("computing the checksums of `{}`", table.name);
    let mut sums = vec![None; ranges.len()];
    let mut parts = ranges
        .iter()
        .enumerate()
        .map(|(i, range)| checksum_sql(flavor, table, range, hash, i));
    while let Some(mut sql) = parts.next() {
        while sql.len() < BATCH_STATEMENT_BYTES {
            let Some(part) = parts.next() else {
                break;
            };
            sql.push_str(" UNION ALL ");
            sql.push_str(&part);
        }
        let rows: Vec<mysql_async::Row> = conn
            .query(sql.as_str())
            .await
            .map_err(|e| super::transient::query_error(context(), &sql, e))?;
        for row in rows {
            let fail = |message: String| Error::statement(context(), &sql, message);
            let values = row.unwrap();
            let Some((tag, values)) = values.split_first() else {
                return Err(fail("an empty result row".to_string()));
            };
            let slot = tag_of(tag)
                .and_then(|i| sums.get_mut(i))
                .ok_or_else(|| fail(format!("a result row for no range asked: {tag:?}")))?;
            *slot = Some(parse_checksum(values).map_err(fail)?);
        }
    }
    sums.into_iter()
        .map(|sum| {
            sum.ok_or_else(|| Error::Database {
                context: context(),
                message: "the server left out a range's checksum".to_string(),
                statement: None,
            })
        })
        .collect()
}

/// A range's position as the server sent it back (text protocol: digits).
fn tag_of(value: &MyValue) -> Option<usize> {
    match value {
        MyValue::Bytes(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        MyValue::Int(n) => usize::try_from(*n).ok(),
        MyValue::UInt(n) => usize::try_from(*n).ok(),
        _ => None,
    }
}

/// Reads rows of key values (as `rows.rs` reads them).
async fn read_keys(
    conn: &mut mysql_async::Conn,
    table: &TableData,
    sql: &str,
    context: &str,
) -> Result<Vec<Vec<Value>>> {
    let kinds: Vec<(Kind, &str)> = key_columns(table)
        .into_iter()
        .map(|c| (Kind::of(&c.sql_type), c.name.as_str()))
        .collect();
    let fail = |message: String| Error::statement(context, sql, message);
    let rows: Vec<mysql_async::Row> = conn
        .exec(sql, ())
        .await
        .map_err(|e| super::transient::query_error(context, sql, e))?;
    rows.into_iter()
        .map(|row| {
            let values = row.unwrap();
            if values.len() != kinds.len() {
                return Err(fail(format!(
                    "expected {} columns, the server sent {}",
                    kinds.len(),
                    values.len()
                )));
            }
            values
                .into_iter()
                .zip(&kinds)
                .map(|(v, (kind, name))| {
                    convert(*kind, v).map_err(|m| fail(format!("column `{name}`: {m}")))
                })
                .collect()
        })
        .collect()
}

/// Keys that cut `range` into about `parts` segments of equal row count,
/// increasing: segment i runs after point i-1 up to point i (the range's
/// own bounds at the ends). One pass numbering the rows in key order; no
/// point for fewer rows than parts would need.
pub async fn split_points(
    conn: &mut mysql_async::Conn,
    flavor: &Flavor,
    table: &TableData,
    range: Option<&KeyRange>,
    parts: usize,
) -> Result<Vec<Vec<Value>>> {
    if let Some(range) = range {
        range.check(table)?;
    }
    let context = format!("splitting the rows of `{}`", table.name);
    let count_sql = format!("SELECT COUNT(*) {}", from_where(flavor, table, range));
    let count: u64 = conn
        .exec_first(count_sql.as_str(), ())
        .await
        .map_err(|e| super::transient::query_error(context.as_str(), &count_sql, e))?
        .unwrap_or(0);
    let keys: Vec<(String, String)> = key_columns(table)
        .iter()
        .enumerate()
        .map(|(i, c)| (quote_ident(&c.name), quote_ident(&format!("k{i}"))))
        .collect();
    let Some(sql) = split_points_sql(
        &keys,
        &order_terms(table).join(", "),
        &from_where(flavor, table, range),
        count,
        parts,
    ) else {
        return Ok(Vec::new());
    };
    read_keys(conn, table, &sql, &context).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::KeySource;

    fn column(name: &str, sql_type: SqlType, nullable: bool) -> DataColumn {
        DataColumn {
            name: name.to_string(),
            sql_type,
            data_type: String::new(),
            nullable,
        }
    }

    fn table() -> TableData {
        TableData {
            name: "t".to_string(),
            columns: vec![
                column(
                    "a",
                    SqlType::Integer {
                        bytes: 4,
                        unsigned: false,
                    },
                    false,
                ),
                column(
                    "b",
                    SqlType::Char {
                        length: 10,
                        varying: true,
                    },
                    false,
                ),
                column("c", SqlType::Blob { max_bytes: 1 << 24 }, true),
            ],
            key: vec![0, 1],
            key_source: KeySource::PrimaryKey,
            unique_keys: Vec::new(),
            partitioned: false,
        }
    }

    #[test]
    fn composite_bounds_expand_to_prefix_comparisons() {
        let flavor = Flavor::MariaDb {
            version: String::new(),
        };
        let range = KeyRange {
            after: Some(vec![Value::Int(1), Value::Text(b"x".to_vec())]),
            up_to: Some(vec![Value::Int(5)]),
        };
        assert_eq!(
            range_condition(&range, &flavor, &table()).unwrap(),
            "((`a` > 1) OR (`a` = 1 AND CAST(`b` AS BINARY) > X'78')) \
             AND ((`a` < 5) OR (`a` = 5))"
        );
        assert_eq!(range_condition(&KeyRange::all(), &flavor, &table()), None);
    }

    #[test]
    fn pieces_are_unambiguous_per_kind() {
        let t = table();
        let hash = row_hash_expr(&t);
        // NOT NULL columns go straight into the one CONCAT.
        assert!(
            hash.starts_with("MD5(CONCAT(`a`, ',', LENGTH(`b`), ':', CAST(`b` AS BINARY), "),
            "{hash}"
        );
        assert!(hash.contains("IFNULL(CONCAT(IF(LENGTH(`c`) <= 65535, CONCAT(LENGTH(`c`), ':', `c`), CONCAT('M', MD5(`c`)))), 'N')"));
    }

    #[test]
    fn keys_are_matched_by_the_columns_own_equality() {
        let flavor = Flavor::MariaDb {
            version: String::new(),
        };
        let keys = vec![vec![Value::Int(1), Value::Text(b"x".to_vec())]];
        let condition = keyed_condition(&flavor, &table(), &keys);
        assert!(condition.starts_with("(`a`, `b`) IN ((1, "), "{condition}");
        assert!(!condition.contains("CAST"), "{condition}");
    }

    #[test]
    fn crc32c_is_used_from_mariadb_10_8_only() {
        let mariadb = |version: &str| Flavor::MariaDb {
            version: version.to_string(),
        };
        let pair = vec![RowHash::Crc32Pair, RowHash::Md5];
        assert_eq!(row_hashes(&mariadb("10.11.19-MariaDB-0+deb12u1")), pair);
        assert_eq!(row_hashes(&mariadb("10.8.0-MariaDB")), pair);
        assert_eq!(row_hashes(&mariadb("11.4.2-MariaDB")), pair);
        assert_eq!(row_hashes(&mariadb("10.6.18-MariaDB")), [RowHash::Md5]);
        assert_eq!(row_hashes(&mariadb("")), [RowHash::Md5]);
        let mysql = Flavor::MySql {
            version: "8.4.0".to_string(),
        };
        assert_eq!(row_hashes(&mysql), [RowHash::Md5]);
    }

    #[test]
    fn checksums_parse_from_sums() {
        let parsed = parse_checksum(&[
            MyValue::Int(2),
            MyValue::Bytes(b"36893488147419103233".to_vec()),
            MyValue::NULL,
        ])
        .unwrap();
        assert_eq!(parsed, Checksum::from_halves(2, 1, 0));
    }
}
