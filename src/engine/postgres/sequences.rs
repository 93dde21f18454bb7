//! PostgreSQL's sequences: reading the database's (all but an identity
//! column's, which is part of its column, and an extension's), with the
//! column that owns each, the tables whose defaults draw from it and its
//! privileges, and the statements that create, change, give away and
//! drop them.

use std::collections::BTreeMap;

use tokio_postgres::Row;

use super::names::{relation, user_schema, Namer};
use super::types::quote_ident;
use crate::catalog::grants::Grant;
use crate::catalog::sequences::{Sequence, SequenceChange, SequenceOwner};
use crate::error::Result;

/// Each sequence with its options as `CREATE SEQUENCE` takes them, its
/// owning column's schema, table and name (empty for none), and the
/// schemas and names of the tables drawing from it (two arrays of the
/// same length). The owner is the `OWNED BY` link (an automatic
/// dependency on a column); an identity column's is internal.
pub(super) const SEQUENCES: &str = concat!(
    "SELECT c.relname, n.nspname, \
     'AS ' || format_type(s.seqtypid, NULL) || ' START WITH ' || s.seqstart \
        || ' INCREMENT BY ' || s.seqincrement || ' MINVALUE ' || s.seqmin \
        || ' MAXVALUE ' || s.seqmax || ' CACHE ' || s.seqcache \
        || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END, \
     coalesce(tn.nspname, ''), coalesce(t.relname, ''), coalesce(a.attname, ''), \
     ARRAY(SELECT un.nspname::text FROM pg_depend u JOIN pg_attrdef ad ON ad.oid = u.objid \
        JOIN pg_class uc ON uc.oid = ad.adrelid JOIN pg_namespace un ON un.oid = uc.relnamespace \
        WHERE u.classid = 'pg_attrdef'::regclass AND u.refclassid = 'pg_class'::regclass \
        AND u.refobjid = c.oid ORDER BY uc.oid, ad.adnum), \
     ARRAY(SELECT uc.relname::text FROM pg_depend u JOIN pg_attrdef ad ON ad.oid = u.objid \
        JOIN pg_class uc ON uc.oid = ad.adrelid \
        WHERE u.classid = 'pg_attrdef'::regclass AND u.refclassid = 'pg_class'::regclass \
        AND u.refobjid = c.oid ORDER BY uc.oid, ad.adnum) \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     JOIN pg_sequence s ON s.seqrelid = c.oid \
     LEFT JOIN pg_depend o ON o.classid = 'pg_class'::regclass AND o.objid = c.oid \
        AND o.refclassid = 'pg_class'::regclass AND o.deptype = 'a' AND o.refobjsubid > 0 \
     LEFT JOIN pg_class t ON t.oid = o.refobjid \
     LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace \
     LEFT JOIN pg_attribute a ON a.attrelid = o.refobjid AND a.attnum = o.refobjsubid \
     WHERE c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_depend e \
        WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype IN ('e', 'i')) \
     AND ",
    user_schema!(),
    " ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\""
);

/// The sequences of `rows` (from [`SEQUENCES`]), named by `namer`, each
/// with its privileges taken out of `grants` (by model name).
pub(super) fn sequences(
    rows: Vec<Row>,
    namer: &Namer,
    grants: &mut BTreeMap<String, Vec<Grant>>,
) -> Result<Vec<Sequence>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let owner_table: String = row.get(4);
        let owned_by = match owner_table.is_empty() {
            true => None,
            false => Some(SequenceOwner {
                table: namer.name(row.get(3), &owner_table)?,
                column: row.get(5),
            }),
        };
        let (schemas, names): (Vec<String>, Vec<String>) = (row.get(6), row.get(7));
        let mut used_by = schemas
            .iter()
            .zip(&names)
            .map(|(schema, name)| namer.name(schema, name))
            .collect::<Result<Vec<String>>>()?;
        used_by.dedup();
        let name = namer.name(row.get(1), row.get(0))?;
        out.push(Sequence {
            grants: grants.remove(&name).unwrap_or_default(),
            name,
            options: row.get(2),
            owned_by,
            used_by,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// One sequence change as statements. A drop says `IF EXISTS`: an owned
/// sequence is gone already when its table or column was dropped before.
pub(super) fn render(change: &SequenceChange) -> Vec<String> {
    match change {
        SequenceChange::Create(s) => {
            vec![format!(
                "CREATE SEQUENCE {} {}",
                relation(&s.name),
                s.options
            )]
        }
        SequenceChange::Alter { desired, .. } => vec![format!(
            "ALTER SEQUENCE {} {}",
            relation(&desired.name),
            desired.options
        )],
        SequenceChange::Own { sequence, owner } => {
            let owner = match owner {
                Some(o) => format!("{}.{}", relation(&o.table), quote_ident(&o.column)),
                None => "NONE".to_string(),
            };
            vec![format!(
                "ALTER SEQUENCE {} OWNED BY {owner}",
                relation(sequence)
            )]
        }
        SequenceChange::Drop(s) => vec![format!("DROP SEQUENCE IF EXISTS {}", relation(&s.name))],
    }
}
