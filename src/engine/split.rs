//! Split points: the keys that cut a key range of a table into segments
//! of about equal row count, for the server engines (MySQL/MariaDB and
//! PostgreSQL). This module owns the arithmetic (how many rows a segment
//! gets, when there is nothing to cut) and the one query that finds them:
//! number the rows in key order and keep every step-th key. The engines
//! supply the key columns as read, the order and the range's condition.

/// The query whose rows, in key order, are the split points of `count`
/// rows into about `parts` segments: segment i runs after point i-1 up to
/// point i. `keys` are each key column's read expression and its alias;
/// `order_by` orders by the key, `from_where` is `FROM t [WHERE range]`.
/// None for fewer rows than parts would need.
pub fn split_points_sql(
    keys: &[(String, String)],
    order_by: &str,
    from_where: &str,
    count: u64,
    parts: usize,
) -> Option<String> {
    let parts = parts as u64;
    if parts < 2 || count < 2 {
        return None;
    }
    let step = count.div_ceil(parts);
    let aliases: Vec<&str> = keys.iter().map(|(_, a)| a.as_str()).collect();
    let inner: Vec<String> = keys.iter().map(|(e, a)| format!("{e} AS {a}")).collect();
    Some(format!(
        "SELECT {} FROM (SELECT {}, ROW_NUMBER() OVER (ORDER BY {order_by}) AS rn {from_where}) \
         AS numbered WHERE rn % {step} = 0 AND rn < {count} ORDER BY rn",
        aliases.join(", "),
        inner.join(", "),
    ))
}
