//! Reading a PostgreSQL database into the neutral model: the tables and
//! views of every schema but the system's and the extensions' (see
//! `user_schema!`), with columns, keys, indexes, foreign keys, checks,
//! and the triggers and functions, the comments on each (see `comments`)
//! and the tables' row-level security (see `row_security`; user-defined
//! types are read by `user_types`). Each is named by `names::Namer`: bare in the current
//! schema (`public` unless the account's `search_path` says otherwise),
//! `schema.name` in any other. Sequences and the schemas themselves are
//! read by `sequences` and `schemas`.
//!
//! A partition is a table with its parent and bound, an inheriting table
//! one with its parents; of either, only what is its own is read as its
//! (columns are all read, those from a parent listed as inherited): not
//! the indexes attached to a parent's, nor the constraints and triggers
//! cloned from a parent's.
//!
//! Each object's `definition` is the server's own text for it
//! (`format_type`, `pg_get_constraintdef`, `pg_get_indexdef`,
//! `pg_get_viewdef`, `pg_get_triggerdef`, `pg_get_functiondef`), with the
//! current schema's name taken out so two databases compare equal; the
//! server qualifies names of the other schemas (outside the search path)
//! itself, and those stay.

use std::collections::BTreeMap;

use tokio_postgres::Client;

use super::comments;
use super::connect::error_text;
use super::ddl;
use super::names::{relation, user_schema, Namer};
use super::types::{quote_ident, sql_type};
use crate::catalog::model::{
    Catalog, CheckConstraint, Column, DefaultValue, FkAction, Flavor, ForeignKey, Generated, Index,
    IndexKind, IndexPart, ObjectContext, ObjectKind, PartComment, PartitionOf, SchemaObject, Table,
    TableOptions, TablePart, View,
};
use crate::catalog::row_security::RowSecurity;
use crate::error::{Error, Result};

/// Runs a catalog query in one round trip (parsed, bound and run in one
/// message: `query` would wait for the statement's description first).
pub(super) async fn query(
    client: &Client,
    what: &str,
    sql: &str,
) -> Result<Vec<tokio_postgres::Row>> {
    client
        .query_typed(sql, &[])
        .await
        .map_err(|e| Error::statement(format!("reading the {what}"), sql, error_text(&e)))
}

// Each query's last column is the schema of its object (its table's).

const TABLES: &str = concat!(
    "SELECT c.relname, c.relpersistence::text, \
     coalesce(obj_description(c.oid, 'pg_class'), ''), \
     coalesce(pg_get_partkeydef(c.oid), ''), n.nspname, \
     coalesce(pg_get_expr(c.relpartbound, c.oid), ''), \
     ARRAY(SELECT pn.nspname::text FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent \
        JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid ORDER BY i.inhseqno), \
     ARRAY(SELECT p.relname::text FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent \
        WHERE i.inhrelid = c.oid ORDER BY i.inhseqno), \
     c.relrowsecurity, c.relforcerowsecurity \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind IN ('r', 'p') AND ",
    user_schema!()
);

const COLUMNS: &str = concat!(
    "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), \
     a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text, \
     CASE WHEN a.attcollation <> t.typcollation THEN co.collname END, \
     coalesce(col_description(c.oid, a.attnum), ''), n.nspname, a.attislocal, \
     (SELECT 'START WITH ' || s.seqstart || ' INCREMENT BY ' || s.seqincrement \
        || ' MINVALUE ' || s.seqmin || ' MAXVALUE ' || s.seqmax || ' CACHE ' || s.seqcache \
        || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END \
        FROM pg_depend i JOIN pg_sequence s ON s.seqrelid = i.objid \
        WHERE i.classid = 'pg_class'::regclass AND i.refclassid = 'pg_class'::regclass \
        AND i.refobjid = c.oid AND i.refobjsubid = a.attnum AND i.deptype = 'i') \
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid \
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
     LEFT JOIN pg_collation co ON co.oid = a.attcollation \
     WHERE c.relkind IN ('r', 'p') \
     AND a.attnum > 0 AND NOT a.attisdropped AND ",
    user_schema!(),
    " ORDER BY c.oid, a.attnum"
);

/// Every index but those a partition has from its parent's (attached to
/// it); each part as `C`/`E` (column or expression), `A`/`D`
/// (direction) and the column's name or the expression's text.
const INDEXES: &str = concat!(
    "SELECT t.relname, i.relname, x.indisprimary, x.indisunique, \
     pg_get_indexdef(x.indexrelid), pg_get_expr(x.indpred, x.indrelid), am.amname, \
     con.conname IS NOT NULL, coalesce(pg_get_constraintdef(con.oid), ''), \
     ARRAY(SELECT CASE WHEN x.indkey[k - 1] = 0 THEN 'E' ELSE 'C' END \
        || CASE WHEN x.indoption[k - 1] & 1 = 1 THEN 'D' ELSE 'A' END \
        || coalesce((SELECT attname FROM pg_attribute WHERE attrelid = x.indrelid \
              AND attnum = x.indkey[k - 1] AND x.indkey[k - 1] <> 0), \
              pg_get_indexdef(x.indexrelid, k, true)) \
        FROM generate_series(1, x.indnkeyatts) AS k ORDER BY k), n.nspname, \
     coalesce(CASE WHEN con.oid IS NULL THEN obj_description(x.indexrelid, 'pg_class') \
        ELSE obj_description(con.oid, 'pg_constraint') END, '') \
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
     JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = i.relam \
     LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.conrelid = x.indrelid \
        AND con.contype IN ('p', 'u', 'x') \
     WHERE t.relkind IN ('r', 'p') \
     AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = x.indexrelid) AND ",
    user_schema!(),
    " ORDER BY t.oid, i.relname COLLATE \"C\""
);

/// Foreign keys and checks a table has of its own (not from a parent).
const CONSTRAINTS: &str = concat!(
    "SELECT t.relname, con.conname, con.contype::text, \
     pg_get_constraintdef(con.oid), coalesce(r.relname, ''), \
     ARRAY(SELECT attname FROM unnest(con.conkey) WITH ORDINALITY AS k(num, pos) \
        JOIN pg_attribute ON attrelid = con.conrelid AND attnum = k.num ORDER BY k.pos), \
     ARRAY(SELECT attname FROM unnest(con.confkey) WITH ORDINALITY AS k(num, pos) \
        JOIN pg_attribute ON attrelid = con.confrelid AND attnum = k.num ORDER BY k.pos), \
     con.confdeltype::text, con.confupdtype::text, rn.nspname, n.nspname, \
     coalesce(obj_description(con.oid, 'pg_constraint'), '') \
     FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid \
     JOIN pg_namespace n ON n.oid = t.relnamespace LEFT JOIN pg_class r ON r.oid = con.confrelid \
     LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace \
     WHERE con.contype IN ('f', 'c') AND con.conislocal AND con.conparentid = 0 AND ",
    user_schema!(),
    " ORDER BY t.oid, con.conname COLLATE \"C\""
);

/// Each view with the relations it reads, as two arrays of the same
/// length (their schemas, their names).
const VIEWS: &str = concat!(
    "SELECT c.relname, c.relkind::text, pg_get_viewdef(c.oid, true), \
     coalesce(reads.schemas, '{}'), coalesce(reads.names, '{}'), n.nspname, \
     coalesce(obj_description(c.oid, 'pg_class'), '') \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     LEFT JOIN LATERAL (SELECT array_agg(dn.nspname::text ORDER BY d.oid) AS schemas, \
        array_agg(d.relname::text ORDER BY d.oid) AS names \
        FROM pg_class d JOIN pg_namespace dn ON dn.oid = d.relnamespace \
        WHERE d.oid <> c.oid AND d.oid IN (SELECT dep.refobjid FROM pg_rewrite r \
           JOIN pg_depend dep ON dep.objid = r.oid AND dep.classid = 'pg_rewrite'::regclass \
              AND dep.refclassid = 'pg_class'::regclass \
           WHERE r.ev_class = c.oid)) AS reads ON true \
     WHERE c.relkind IN ('v', 'm') AND ",
    user_schema!()
);

/// Functions, procedures and aggregates that no extension
/// owns and that are not part of another object (a range type's
/// constructors); aggregates after the functions they are made of.
const ROUTINES: &str = concat!(
    "SELECT p.proname, p.prokind::text, \
     CASE WHEN p.prokind = 'a' THEN (SELECT {AGGREGATE} FROM pg_aggregate a WHERE a.aggfnoid = p.oid) \
        ELSE pg_get_functiondef(p.oid) END, n.nspname, \
     coalesce(obj_description(p.oid, 'pg_proc'), ''), pg_get_function_identity_arguments(p.oid) \
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
     WHERE p.prokind IN ('f', 'p', 'a') \
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass \
        AND d.objid = p.oid AND d.deptype IN ('e', 'i')) AND ",
    user_schema!(),
    " ORDER BY p.prokind = 'a', n.nspname COLLATE \"C\", p.proname COLLATE \"C\", p.oid"
);

/// An aggregate's `CREATE OR REPLACE AGGREGATE` (PostgreSQL has no
/// function that prints one): its state function and type, final and
/// combine functions and initial state. Moving-aggregate and ordered-set
/// options are not read. Its name is qualified, as `pg_get_functiondef`
/// qualifies a function's.
const AGGREGATE: &str = "'CREATE OR REPLACE AGGREGATE ' || quote_ident(n.nspname) || '.' \
     || quote_ident(p.proname) \
     || '(' || pg_get_function_arguments(p.oid) || ') (SFUNC = ' || a.aggtransfn::regproc::text \
     || ', STYPE = ' || format_type(a.aggtranstype, NULL) \
     || CASE WHEN a.aggfinalfn <> 0 THEN ', FINALFUNC = ' || a.aggfinalfn::regproc::text ELSE '' END \
     || CASE WHEN a.aggcombinefn <> 0 THEN ', COMBINEFUNC = ' || a.aggcombinefn::regproc::text ELSE '' END \
     || CASE WHEN a.agginitval IS NOT NULL THEN ', INITCOND = ' || quote_literal(a.agginitval) ELSE '' END \
     || ')'";

/// Triggers but those a partition has from its parent's.
const TRIGGERS: &str = concat!(
    "SELECT tg.tgname, c.relname, pg_get_triggerdef(tg.oid), n.nspname, \
     coalesce(obj_description(tg.oid, 'pg_trigger'), '') \
     FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE NOT tg.tgisinternal AND tg.tgparentid = 0 AND ",
    user_schema!(),
    " ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\", tg.tgname COLLATE \"C\""
);

/// The catalog of every schema the user made.
pub async fn catalog(client: &Client, flavor: &Flavor) -> Result<Catalog> {
    // Every query is sent at once: one session answers them in order, so
    // over a link their round trips overlap.
    let routines = ROUTINES.replace("{AGGREGATE}", AGGREGATE);
    let (
        (schema_row, table_rows, column_rows, index_rows, constraint_rows),
        (view_rows, routine_rows, trigger_rows, policy_rows, grant_rows),
        (type_rows, extensions, sequence_rows, schema_rows, object_grant_rows),
    ) = tokio::try_join!(
        async {
            tokio::try_join!(
                query(
                    client,
                    "current schema",
                    "SELECT current_schema()::text, quote_ident(current_schema())",
                ),
                query(client, "tables", TABLES),
                query(client, "columns", COLUMNS),
                query(client, "indexes", INDEXES),
                query(client, "constraints", CONSTRAINTS),
            )
        },
        async {
            tokio::try_join!(
                query(client, "views", VIEWS),
                query(client, "functions", &routines),
                query(client, "triggers", TRIGGERS),
                query(
                    client,
                    "row-level security policies",
                    super::row_security::POLICIES
                ),
                query(client, "table privileges", super::grants::GRANTS),
            )
        },
        async {
            tokio::try_join!(
                super::user_types::rows(client),
                super::extensions::read(client),
                query(client, "sequences", super::sequences::SEQUENCES),
                query(client, "schemas", super::schemas::SCHEMAS),
                query(
                    client,
                    "routine and schema privileges",
                    super::grants::OBJECT_GRANTS
                ),
            )
        },
    )?;
    let (current, quoted): (String, String) = schema_row
        .first()
        .and_then(|r| Some((r.get::<_, Option<String>>(0)?, r.get(1))))
        .ok_or_else(|| {
            Error::database(
                "reading the current schema",
                "the search_path names no schema that exists; set it, or create schema public",
            )
        })?;
    let namer = Namer { current };
    // The object's model name from a row whose columns `schema` and
    // `name` hold its schema and its own name.
    let named = |row: &tokio_postgres::Row, schema: usize, name: usize| {
        namer.name(row.get::<_, &str>(schema), row.get::<_, &str>(name))
    };
    let qualifier = format!("{quoted}.");
    let unqualify = |text: &str| unqualified(text, &qualifier);
    let mut policies = super::row_security::policies(policy_rows, &namer, &unqualify)?;
    let mut grants = super::grants::grants(grant_rows, &namer)?;

    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for row in table_rows {
        let name = named(&row, 4, 0)?;
        let own_policies = policies.remove(&name).unwrap_or_default();
        let own_grants = grants.remove(&name).unwrap_or_default();
        let persistence: String = row.get(1);
        let partitioning: String = row.get(3);
        let bound: String = row.get(5);
        let parent_schemas: Vec<String> = row.get(6);
        let parent_names: Vec<String> = row.get(7);
        let mut parents = parent_schemas
            .iter()
            .zip(&parent_names)
            .map(|(schema, name)| namer.name(schema, name))
            .collect::<Result<Vec<String>>>()?;
        // A partition's one parent is the table it is a partition of.
        let partition_of = (!bound.is_empty() && !parents.is_empty()).then(|| PartitionOf {
            parent: parents.remove(0),
            bound,
        });
        tables.insert(
            name.clone(),
            Table {
                name,
                columns: Vec::new(),
                primary_key: None,
                indexes: Vec::new(),
                foreign_keys: Vec::new(),
                checks: Vec::new(),
                options: TableOptions {
                    comment: row.get(2),
                    extra: if persistence == "u" {
                        vec!["UNLOGGED".to_string()]
                    } else {
                        Vec::new()
                    },
                    partitioning: (!partitioning.is_empty()).then_some(partitioning),
                    partition_of,
                    inherits: parents,
                    row_security: RowSecurity {
                        enabled: row.get(8),
                        forced: row.get(9),
                        policies: own_policies,
                    },
                    grants: own_grants,
                    ..TableOptions::default()
                },
            },
        );
    }
    for row in column_rows {
        let Some(table) = tables.get_mut(&named(&row, 9, 0)?) else {
            continue;
        };
        let column = column(&row, &unqualify);
        if !row.get::<_, bool>(10) {
            table.options.inherited_columns.push(column.name.clone());
        }
        table.columns.push(column);
    }
    for row in index_rows {
        let Some(table) = tables.get_mut(&named(&row, 10, 0)?) else {
            continue;
        };
        let index = index(&row, &unqualify);
        let comment: String = row.get(11);
        if !comment.is_empty() {
            let part = match index.definition.starts_with("CONSTRAINT ") {
                true => TablePart::Constraint,
                false => TablePart::Index,
            };
            table.options.part_comments.push(PartComment {
                part,
                name: index.name.clone(),
                text: comment,
            });
        }
        if index.kind == IndexKind::Primary {
            table.primary_key = Some(index);
        } else {
            table.indexes.push(index);
        }
    }
    for row in constraint_rows {
        let Some(table) = tables.get_mut(&named(&row, 10, 0)?) else {
            continue;
        };
        let name: String = row.get(1);
        let kind: String = row.get(2);
        let text = unqualify(row.get::<_, &str>(3));
        let comment: String = row.get(11);
        if !comment.is_empty() {
            table.options.part_comments.push(PartComment {
                part: TablePart::Constraint,
                name: name.clone(),
                text: comment,
            });
        }
        if kind == "f" {
            table.foreign_keys.push(ForeignKey {
                name,
                columns: row.get(5),
                referenced_table: named(&row, 9, 4)?,
                referenced_columns: row.get(6),
                on_delete: action(row.get(7)),
                on_update: action(row.get(8)),
                definition: text,
            });
        } else {
            let expression = text
                .strip_prefix("CHECK ")
                .unwrap_or(&text)
                .trim_end_matches(" NOT VALID")
                .to_string();
            table.checks.push(CheckConstraint {
                name,
                expression,
                definition: text,
            });
        }
    }
    let mut tables: Vec<Table> = tables.into_values().collect();
    for table in &mut tables {
        table.options.part_comments.sort();
        table.options.native_create = ddl::create_table(table).join(";\n");
    }

    let mut views = Vec::with_capacity(view_rows.len());
    for row in view_rows {
        let name = named(&row, 5, 0)?;
        let kind: String = row.get(1);
        let select: String = row.get(2);
        let what = if kind == "m" {
            "MATERIALIZED VIEW"
        } else {
            "VIEW"
        };
        let (schemas, names): (Vec<String>, Vec<String>) = (row.get(3), row.get(4));
        let mut depends_on = schemas
            .iter()
            .zip(&names)
            .map(|(schema, name)| namer.name(schema, name))
            .collect::<Result<Vec<String>>>()?;
        depends_on.sort();
        views.push(View {
            definition: comments::with_comment(
                format!(
                    "CREATE {what} {} AS\n{}",
                    relation(&name),
                    unqualify(select.trim_end_matches(';'))
                ),
                &format!("{what} {}", relation(&name)),
                row.get(6),
            ),
            grants: grants.remove(&name).unwrap_or_default(),
            name,
            depends_on,
        });
    }
    views.sort_by(|a, b| a.name.cmp(&b.name));

    let mut objects = Vec::new();
    for row in routine_rows {
        let kind: String = row.get(1);
        let name = named(&row, 3, 0)?;
        let what = match kind.as_str() {
            "p" => "PROCEDURE",
            "a" => "AGGREGATE",
            _ => "FUNCTION",
        };
        let signature = format!(
            "{what} {}({})",
            relation(&name),
            unqualify(row.get::<_, &str>(5))
        );
        objects.push(SchemaObject {
            kind: if kind == "p" {
                ObjectKind::Procedure
            } else {
                ObjectKind::Function
            },
            definition: comments::with_comment(
                unqualify(row.get::<_, &str>(2)).trim_end().to_string(),
                &signature,
                row.get(4),
            ),
            name,
            table: None,
            context: ObjectContext::default(),
        });
    }
    for row in trigger_rows {
        let name: String = row.get(0);
        let table = named(&row, 3, 1)?;
        objects.push(SchemaObject {
            kind: ObjectKind::Trigger,
            definition: comments::with_comment(
                unqualify(row.get::<_, &str>(2)),
                &format!("TRIGGER {} ON {}", quote_ident(&name), relation(&table)),
                row.get(4),
            ),
            name,
            table: Some(table),
            context: ObjectContext::default(),
        });
    }

    let types = super::user_types::read(type_rows, &namer, &unqualify)?;
    Ok(Catalog {
        flavor: flavor.clone(),
        tables,
        views,
        objects,
        types,
        extensions,
        sequences: super::sequences::sequences(sequence_rows, &namer, &mut grants)?,
        schemas: super::schemas::schemas(schema_rows),
        granted: super::grants::granted_objects(object_grant_rows, &namer, &unqualify)?,
        unreadable: Vec::new(),
        counters: Default::default(),
    })
}

/// `text` without `qualifier` (`public.`) where it starts a name (not
/// inside another name such as `notpublic.t`, nor after a dot, as in
/// `billing.public.c`, a column of the table `public` of `billing`).
pub(super) fn unqualified(text: &str, qualifier: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(qualifier) {
        let starts_name = out
            .chars()
            .chain(rest[..at].chars())
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '"' | '$' | '.')));
        out.push_str(&rest[..at]);
        if !starts_name {
            out.push_str(qualifier);
        }
        rest = &rest[at + qualifier.len()..];
    }
    out.push_str(rest);
    out
}

/// An identity's sequence options as its column's definition states them,
/// ` (START WITH ... NO CYCLE)`: part of the column, compared with it.
fn identity_options(options: Option<&str>) -> String {
    options.map(|o| format!(" ({o})")).unwrap_or_default()
}

fn column(row: &tokio_postgres::Row, unqualify: &dyn Fn(&str) -> String) -> Column {
    let name: String = row.get(1);
    let data_type = unqualify(row.get::<_, &str>(2));
    let not_null: bool = row.get(3);
    let default: Option<String> = row.get::<_, Option<&str>>(4).map(unqualify);
    let identity: String = row.get(5);
    let generated: String = row.get(6);
    let collation: Option<String> = row.get(7);
    let mut definition = data_type.clone();
    if let Some(collation) = &collation {
        definition.push_str(&format!(
            " COLLATE {}",
            super::types::quote_ident(collation)
        ));
    }
    let generated = (generated == "s").then(|| Generated {
        expression: default.clone().unwrap_or_default(),
        stored: true,
    });
    match (&generated, identity.as_str(), &default) {
        (Some(g), _, _) => {
            definition.push_str(&format!(" GENERATED ALWAYS AS ({}) STORED", g.expression))
        }
        (None, "a" | "d", _) => definition.push_str(&format!(
            " GENERATED {} AS IDENTITY{}",
            if identity == "a" {
                "ALWAYS"
            } else {
                "BY DEFAULT"
            },
            identity_options(row.get(11))
        )),
        (None, _, Some(d)) => definition.push_str(&format!(" DEFAULT {d}")),
        _ => {}
    }
    if not_null {
        definition.push_str(" NOT NULL");
    }
    let auto_increment = !identity.is_empty()
        || default
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
    Column {
        sql_type: sql_type(&data_type),
        data_type,
        nullable: !not_null,
        default: if generated.is_some() {
            None
        } else {
            default.map(|d| match literal_default(&d) {
                Some(l) => DefaultValue::Literal(l),
                None if d == "NULL" => DefaultValue::Null,
                None => DefaultValue::Expression(d),
            })
        },
        on_update: None,
        auto_increment,
        charset: None,
        collation,
        comment: row.get(8),
        generated,
        invisible: false,
        definition,
        name,
    }
}

/// A default that is a constant: a number, or a string literal with an
/// optional cast (`'abc'::text`), as its value.
fn literal_default(text: &str) -> Option<String> {
    if text.parse::<f64>().is_ok() {
        return Some(text.to_string());
    }
    let rest = text.strip_prefix('\'')?;
    let end = rest.rfind('\'')?;
    let (body, tail) = (&rest[..end], &rest[end + 1..]);
    (tail.is_empty() || tail.starts_with("::")).then(|| body.replace("''", "'"))
}

fn index(row: &tokio_postgres::Row, unqualify: &dyn Fn(&str) -> String) -> Index {
    let name: String = row.get(1);
    let primary: bool = row.get(2);
    let unique: bool = row.get(3);
    let index_def = unqualify(row.get::<_, &str>(4));
    let predicate: Option<String> = row.get(5);
    let method: String = row.get(6);
    let from_constraint: bool = row.get(7);
    let constraint_def = unqualify(row.get::<_, &str>(8));
    let parts: Vec<String> = row.get(9);
    let parts = parts
        .into_iter()
        .map(|p| {
            let (flags, text) = p.split_at(2);
            let column = flags.starts_with('C');
            IndexPart {
                column: column.then(|| text.to_string()),
                expression: (!column).then(|| text.to_string()),
                prefix: None,
                descending: flags.ends_with('D'),
            }
        })
        .collect();
    let definition = if from_constraint {
        format!(
            "CONSTRAINT {} {constraint_def}",
            super::types::quote_ident(&name)
        )
    } else {
        index_def
    };
    Index {
        name,
        kind: if primary {
            IndexKind::Primary
        } else if unique {
            IndexKind::Unique
        } else {
            IndexKind::Plain
        },
        parts,
        using: Some(method),
        comment: String::new(),
        invisible: false,
        predicate,
        definition,
    }
}

fn action(code: &str) -> FkAction {
    match code {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_schema_itself_is_taken_out_of_names() {
        assert_eq!(
            unqualified(
                "REFERENCES public.parent(id), notpublic.x, (public.f(1))",
                "public."
            ),
            "REFERENCES parent(id), notpublic.x, (f(1))"
        );
        // Another schema's names, as the server qualifies them, stay.
        assert_eq!(
            unqualified(
                "FROM public.a JOIN billing.b ON true, \"Audit Log\".c, billing.public.d",
                "public."
            ),
            "FROM a JOIN billing.b ON true, \"Audit Log\".c, billing.public.d"
        );
    }
}
