//! The planner's size estimates of tables: `pg_class.reltuples` (-1
//! before the first ANALYZE: no estimate) and `pg_table_size`, free to
//! read. A partitioned table's are its partitions' summed; an inheritance
//! parent's are its own. Read for many tables in one query, so a run that
//! asks for every table's pays one round trip, not one a table.

use std::collections::BTreeMap;

use tokio_postgres::types::Type;
use tokio_postgres::Client;

use super::names::relation;
use crate::engine::TableSize;

/// Each relation of the array `$1` with its estimates, by its position
/// in the array (from 1).
const SIZES: &str = "SELECT r.i, \
     CASE WHEN bool_and(c.reltuples >= 0) THEN sum(c.reltuples)::bigint ELSE -1 END, \
     sum(pg_table_size(c.oid))::bigint \
     FROM unnest($1::text[]) WITH ORDINALITY AS r(rel, i) \
     JOIN pg_class c ON c.relkind <> 'p' AND (c.oid = r.rel::regclass \
        OR c.oid IN (SELECT relid FROM pg_partition_tree(r.rel::regclass))) \
     GROUP BY r.i";

/// The estimates of `tables` (by their model names) that the server has:
/// none for a table without, nor for any when the query fails (an
/// estimate only guides).
pub(super) async fn read(client: &Client, tables: &[String]) -> BTreeMap<String, TableSize> {
    let relations: Vec<String> = tables.iter().map(|t| relation(t)).collect();
    let Ok(rows) = client
        .query_typed(SIZES, &[(&relations, Type::TEXT_ARRAY)])
        .await
    else {
        return BTreeMap::new();
    };
    rows.iter()
        .filter_map(|row| {
            let at = usize::try_from(row.try_get::<_, i64>(0).ok()?).ok()?;
            let table = tables.get(at.checked_sub(1)?)?;
            let size = TableSize {
                rows: u64::try_from(row.try_get::<_, Option<i64>>(1).ok()??).ok()?,
                bytes: u64::try_from(row.try_get::<_, Option<i64>>(2).ok()??).ok()?,
            };
            Some((table.clone(), size))
        })
        .collect()
}
