//! PostgreSQL's user-defined types of every schema `introspect` reads:
//! reading the enums, domains, composite and range types into the neutral
//! model (named by `names::Namer`), the
//! DDL that creates, drops and changes them, and the rows that an enum
//! rebuild would refuse.
//!
//! Changes in place where PostgreSQL has them (`ALTER TYPE ... ADD VALUE`
//! at the source's position, `ALTER DOMAIN`, `ALTER TYPE ... ADD/DROP/
//! ALTER ATTRIBUTE`); an enum that loses or reorders labels is rebuilt
//! (renamed away, created again, each column converted through its text,
//! the old type dropped), and so is a composite type whose attribute a
//! column stores changes type (each value taken apart and put together
//! again). What cannot change in place (a domain's base
//! type or collation, a range type, a composite's attribute order, a type
//! of another kind) stops the run with a message saying so. A type's
//! comment follows its definition (see `comments`), and a type that
//! differs only by it is commented in place.

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Row};

use super::comments;
use super::connect::error_text;
use super::ddl::refuse;
use super::introspect::query;
use super::names::{beside, relation, split, user_schema, Namer};
use super::types::{quote_ident, quote_text};
use crate::catalog::change::SchemaChange;
use crate::catalog::model::CheckConstraint;
use crate::catalog::user_types::{
    removed_labels, shown_labels, Attribute, TypeChange, TypedColumn, UserType, UserTypeKind,
};
use crate::error::{Error, Result};

/// The enums, domains, composite types (not tables' row types) and range
/// types that no extension owns; `e`/`d`/`c`/`r` for the kind; last, the
/// type's schema.
const TYPES: &str = concat!(
    "SELECT t.typname, format_type(t.oid, NULL), t.typtype::text, \
     ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), \
     CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END, \
     t.typdefault, t.typnotnull, \
     CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN co.collname::text END, \
     ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = t.typrelid \
        AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), \
     ARRAY(SELECT format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attcollation <> at.typcollation \
        THEN ' COLLATE ' || quote_ident(ac.collname) ELSE '' END \
        FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid \
        LEFT JOIN pg_collation ac ON ac.oid = a.attcollation \
        WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), \
     ARRAY(SELECT o FROM (VALUES \
        (1, 'SUBTYPE = ' || format_type(r.rngsubtype, NULL)), \
        (2, CASE WHEN NOT oc.opcdefault THEN 'SUBTYPE_OPCLASS = ' || quote_ident(oc.opcname) END), \
        (3, CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation \
            THEN 'COLLATION = ' || quote_ident(rc.collname) END), \
        (4, CASE WHEN r.rngcanonical <> 0 THEN 'CANONICAL = ' || r.rngcanonical::regproc::text END), \
        (5, CASE WHEN r.rngsubdiff <> 0 THEN 'SUBTYPE_DIFF = ' || r.rngsubdiff::regproc::text END), \
        (6, 'MULTIRANGE_TYPE_NAME = ' || (SELECT quote_ident(mn.nspname) || '.' \
            || quote_ident(m.typname) FROM pg_type m JOIN pg_namespace mn ON mn.oid = m.typnamespace \
            WHERE m.oid = (to_jsonb(r) ->> 'rngmultitypid')::oid))) AS v(k, o) \
        WHERE r.rngtypid IS NOT NULL AND o IS NOT NULL ORDER BY k), n.nspname, \
     coalesce(obj_description(t.oid, 'pg_type'), '') \
     FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
     LEFT JOIN pg_type bt ON bt.oid = t.typbasetype \
     LEFT JOIN pg_collation co ON co.oid = t.typcollation \
     LEFT JOIN pg_class rel ON rel.oid = t.typrelid \
     LEFT JOIN pg_range r ON r.rngtypid = t.oid \
     LEFT JOIN pg_type st ON st.oid = r.rngsubtype \
     LEFT JOIN pg_opclass oc ON oc.oid = r.rngsubopc \
     LEFT JOIN pg_collation rc ON rc.oid = r.rngcollation \
     WHERE t.typtype IN ('e', 'd', 'c', 'r') \
     AND (t.typtype <> 'c' OR rel.relkind = 'c') \
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass \
        AND d.objid = t.oid AND d.deptype = 'e') AND ",
    user_schema!()
);

/// The checks of the domains, by domain and name; last, the domain's
/// schema.
const DOMAIN_CHECKS: &str = concat!(
    "SELECT t.typname, c.conname, pg_get_constraintdef(c.oid), n.nspname \
     FROM pg_constraint c JOIN pg_type t ON t.oid = c.contypid \
     JOIN pg_namespace n ON n.oid = t.typnamespace \
     WHERE c.contype = 'c' AND ",
    user_schema!(),
    " ORDER BY c.conname COLLATE \"C\""
);

/// The rows `read` reads the types from, both queries sent at once (see
/// `introspect::catalog`): the domains' checks, and the types.
pub(super) async fn rows(client: &Client) -> Result<(Vec<Row>, Vec<Row>)> {
    tokio::try_join!(
        query(client, "domain checks", DOMAIN_CHECKS),
        query(client, "user-defined types", TYPES),
    )
}

/// The user-defined types of `rows`, named by `namer`, with `unqualify`
/// taking the current schema's name out of every text; in the order of
/// their names.
pub(super) fn read(
    (checks, type_rows): (Vec<Row>, Vec<Row>),
    namer: &Namer,
    unqualify: &dyn Fn(&str) -> String,
) -> Result<Vec<UserType>> {
    let mut types = Vec::new();
    let checks = checks
        .iter()
        .map(|c| Ok((namer.name(c.get(3), c.get(0))?, c)))
        .collect::<Result<Vec<_>>>()?;
    for row in type_rows {
        let name = namer.name(row.get(11), row.get(0))?;
        let spelled = unqualify(row.get::<_, &str>(1));
        let kind = match row.get::<_, &str>(2) {
            "e" => UserTypeKind::Enum { labels: row.get(3) },
            "d" => {
                let mut base = unqualify(row.get::<_, &str>(4));
                if let Some(collation) = row.get::<_, Option<&str>>(7) {
                    base.push_str(&format!(" COLLATE {}", quote_ident(collation)));
                }
                UserTypeKind::Domain {
                    base,
                    default: row.get::<_, Option<&str>>(5).map(unqualify),
                    not_null: row.get(6),
                    checks: checks
                        .iter()
                        .filter(|(domain, _)| *domain == name)
                        .map(|(_, c)| {
                            let definition = unqualify(c.get::<_, &str>(2));
                            CheckConstraint {
                                name: c.get(1),
                                expression: definition
                                    .strip_prefix("CHECK ")
                                    .unwrap_or(&definition)
                                    .to_string(),
                                definition,
                            }
                        })
                        .collect(),
                }
            }
            "c" => {
                let names: Vec<String> = row.get(8);
                let types: Vec<String> = row.get(9);
                UserTypeKind::Composite {
                    attributes: names
                        .into_iter()
                        .zip(types)
                        .map(|(name, t)| Attribute {
                            name,
                            definition: unqualify(&t),
                        })
                        .collect(),
                }
            }
            _ => {
                let options: Vec<String> = row.get(10);
                let options: Vec<String> = options.iter().map(|o| unqualify(o)).collect();
                UserTypeKind::Range {
                    subtype: options
                        .first()
                        .and_then(|o| o.strip_prefix("SUBTYPE = "))
                        .unwrap_or_default()
                        .to_string(),
                    options,
                }
            }
        };
        let mut t = UserType {
            name,
            spelled,
            kind,
            definition: String::new(),
        };
        let what = match t.kind {
            UserTypeKind::Domain { .. } => "DOMAIN",
            _ => "TYPE",
        };
        t.definition = comments::with_comment(
            create(&t),
            &format!("{what} {}", relation(&t.name)),
            row.get(12),
        );
        types.push(t);
    }
    types.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(types)
}

/// The statement that creates `t`.
fn create(t: &UserType) -> String {
    let name = relation(&t.name);
    match &t.kind {
        UserTypeKind::Enum { labels } => {
            let labels: Vec<String> = labels.iter().map(|l| quote_text(l.as_bytes())).collect();
            format!("CREATE TYPE {name} AS ENUM ({})", labels.join(", "))
        }
        UserTypeKind::Domain {
            base,
            default,
            not_null,
            checks,
        } => {
            let mut out = format!("CREATE DOMAIN {name} AS {base}");
            if let Some(default) = default {
                out.push_str(&format!(" DEFAULT {default}"));
            }
            if *not_null {
                out.push_str(" NOT NULL");
            }
            // A check not validated (`NOT VALID`) is one CREATE DOMAIN
            // cannot make: it is added after.
            let (later, now): (Vec<_>, Vec<_>) = checks
                .iter()
                .partition(|c| c.definition.ends_with(" NOT VALID"));
            for check in now {
                out.push_str(&format!(
                    " CONSTRAINT {} {}",
                    quote_ident(&check.name),
                    check.definition
                ));
            }
            for check in later {
                out.push_str(&format!(
                    ";\nALTER DOMAIN {name} ADD CONSTRAINT {} {}",
                    quote_ident(&check.name),
                    check.definition
                ));
            }
            out
        }
        UserTypeKind::Composite { attributes } => {
            let attributes: Vec<String> = attributes
                .iter()
                .map(|a| format!("{} {}", quote_ident(&a.name), a.definition))
                .collect();
            format!("CREATE TYPE {name} AS ({})", attributes.join(", "))
        }
        UserTypeKind::Range { options, .. } => {
            format!("CREATE TYPE {name} AS RANGE ({})", options.join(", "))
        }
    }
}

fn drop(t: &UserType) -> String {
    let what = match t.kind {
        UserTypeKind::Domain { .. } => "DOMAIN",
        _ => "TYPE",
    };
    format!("DROP {what} {}", relation(&t.name))
}

/// One type change as statements.
pub(super) fn render(change: &TypeChange) -> Vec<String> {
    match change {
        // From its kind: a step toward the source's type (a domain
        // without its unvalidated checks) keeps the source's definition.
        TypeChange::Create(t) => vec![match comments::split(&t.definition).1 {
            Some(comment) => format!("{}\n;\n{comment}", create(t)),
            None => create(t),
        }],
        TypeChange::Drop(t) => vec![drop(t)],
        TypeChange::Alter {
            current,
            desired,
            columns,
        } => {
            // Equal but for their comments: commented in place.
            let mut out = match current.kind == desired.kind {
                true => Vec::new(),
                false => alter(current, desired, columns),
            };
            out.extend(comments::changed(&current.definition, &desired.definition));
            out
        }
    }
}

fn alter(current: &UserType, desired: &UserType, columns: &[TypedColumn]) -> Vec<String> {
    use UserTypeKind::*;
    let name = relation(&desired.name);
    let cannot = |what: &str| {
        vec![refuse(&format!(
            "type `{}`: {what}, which PostgreSQL cannot change in place and lockstep does not rebuild; drop the type and its columns, or change the source",
            desired.name
        ))]
    };
    match (&current.kind, &desired.kind) {
        (Enum { labels: a }, Enum { labels: b }) => {
            if removed_labels(current, desired).is_empty() {
                if let Some(adds) = add_labels(&name, a, b) {
                    return adds;
                }
            }
            rebuild(current, desired, columns, |column, array| {
                format!("{column}::text{array}::{name}{array}")
            })
        }
        (
            Domain {
                base: base_a,
                default: default_a,
                not_null: nn_a,
                checks: checks_a,
            },
            Domain {
                base: base_b,
                default: default_b,
                not_null: nn_b,
                checks: checks_b,
            },
        ) => {
            if base_a != base_b {
                return cannot(&format!(
                    "the source's domain is over {base_b}, the target's over {base_a}"
                ));
            }
            let alter = |what: String| format!("ALTER DOMAIN {name} {what}");
            let mut out = Vec::new();
            for check in checks_a.iter().filter(|c| !checks_b.contains(c)) {
                out.push(alter(format!(
                    "DROP CONSTRAINT {}",
                    quote_ident(&check.name)
                )));
            }
            if default_a != default_b {
                out.push(alter(match default_b {
                    Some(d) => format!("SET DEFAULT {d}"),
                    None => "DROP DEFAULT".to_string(),
                }));
            }
            if nn_a != nn_b {
                out.push(alter(
                    if *nn_b {
                        "SET NOT NULL"
                    } else {
                        "DROP NOT NULL"
                    }
                    .to_string(),
                ));
            }
            for check in checks_b.iter().filter(|c| !checks_a.contains(c)) {
                out.push(alter(format!(
                    "ADD CONSTRAINT {} {}",
                    quote_ident(&check.name),
                    check.definition
                )));
            }
            out
        }
        (Composite { attributes: a }, Composite { attributes: b }) => {
            let kept: Vec<&Attribute> = a
                .iter()
                .filter(|x| b.iter().any(|y| y.name == x.name))
                .collect();
            let mut after: Vec<&str> = kept.iter().map(|x| x.name.as_str()).collect();
            after.extend(
                b.iter()
                    .filter(|y| !a.iter().any(|x| x.name == y.name))
                    .map(|y| y.name.as_str()),
            );
            let wanted: Vec<&str> = b.iter().map(|y| y.name.as_str()).collect();
            if after != wanted {
                return cannot("the source orders the attributes otherwise");
            }
            let retyped = a
                .iter()
                .any(|x| b.iter().any(|y| y.name == x.name && y != x));
            if retyped && !columns.is_empty() {
                // PostgreSQL refuses to retype an attribute a column
                // stores: the type is rebuilt, each value taken apart.
                return rebuild(current, desired, columns, |column, array| {
                    composite_value(column, array, a, b, &name)
                });
            }
            let alter = |what: String| format!("ALTER TYPE {name} {what}");
            let mut out: Vec<String> = a
                .iter()
                .filter(|x| !b.iter().any(|y| y.name == x.name))
                .map(|x| alter(format!("DROP ATTRIBUTE {}", quote_ident(&x.name))))
                .collect();
            for y in b {
                match a.iter().find(|x| x.name == y.name) {
                    Some(x) if x == y => {}
                    Some(_) => out.push(alter(format!(
                        "ALTER ATTRIBUTE {} TYPE {}",
                        quote_ident(&y.name),
                        y.definition
                    ))),
                    None => out.push(alter(format!(
                        "ADD ATTRIBUTE {} {}",
                        quote_ident(&y.name),
                        y.definition
                    ))),
                }
            }
            out
        }
        (Range { .. }, Range { .. }) => cannot(&format!(
            "the source's range type is `{}`",
            desired.definition
        )),
        _ => cannot(&format!(
            "the source's type of this name is another kind (`{}`)",
            desired.definition
        )),
    }
}

/// `ALTER TYPE ... ADD VALUE` for each label of `desired` that `current`
/// lacks, at its place among the labels before it; `None` when `current`
/// is not `desired` with labels taken out.
fn add_labels(name: &str, current: &[String], desired: &[String]) -> Option<Vec<String>> {
    let mut rest = desired.iter();
    if !current.iter().all(|x| rest.any(|y| y == x)) {
        return None;
    }
    let mut out = Vec::new();
    for (i, label) in desired.iter().enumerate() {
        if current.contains(label) {
            continue;
        }
        let place = match (i, current.first()) {
            (0, Some(first)) => format!(" BEFORE {}", quote_text(first.as_bytes())),
            (0, None) => String::new(),
            _ => format!(" AFTER {}", quote_text(desired[i - 1].as_bytes())),
        };
        out.push(format!(
            "ALTER TYPE {name} ADD VALUE {}{place}",
            quote_text(label.as_bytes())
        ));
    }
    Some(out)
}

/// A value of the composite type with attributes `a` as one with
/// attributes `b` (named `name`): each attribute both have cast to its new
/// type, a new one NULL, a NULL value NULL. An array goes through its
/// text, which takes only a change of attribute types.
fn composite_value(
    column: &str,
    array: &str,
    a: &[Attribute],
    b: &[Attribute],
    name: &str,
) -> String {
    if !array.is_empty() {
        return format!("{column}::text{array}::{name}{array}");
    }
    let fields: Vec<String> = b
        .iter()
        .map(|y| match a.iter().any(|x| x.name == y.name) {
            true => format!("({column}).{}::{}", quote_ident(&y.name), y.definition),
            false => format!("NULL::{}", y.definition),
        })
        .collect();
    format!(
        "CASE WHEN {column}::text IS NULL THEN NULL ELSE ROW({})::{name} END",
        fields.join(", ")
    )
}

/// The old type renamed away, the source's created, each column (and
/// array column) converted by `convert` (given the quoted column and
/// `[]` for an array column) with its default set again, the old type
/// dropped.
fn rebuild(
    current: &UserType,
    desired: &UserType,
    columns: &[TypedColumn],
    convert: impl Fn(&str, &str) -> String,
) -> Vec<String> {
    let name = relation(&desired.name);
    let old = format!("{}_lockstep_old", split(&current.name).1);
    let mut out = vec![
        format!("ALTER TYPE {name} RENAME TO {}", quote_ident(&old)),
        desired.definition.clone(),
    ];
    for typed in columns {
        let alter = |what: String| {
            format!(
                "ALTER TABLE {} ALTER COLUMN {} {what}",
                relation(&typed.table),
                quote_ident(&typed.column.name)
            )
        };
        let default = typed
            .column
            .default
            .as_ref()
            .and_then(|_| typed.column.definition.split_once(" DEFAULT "))
            .map(|(_, d)| d.trim_end_matches(" NOT NULL").to_string());
        if default.is_some() {
            out.push(alter("DROP DEFAULT".to_string()));
        }
        let array = if typed.array { "[]" } else { "" };
        out.push(alter(format!(
            "TYPE {name}{array} USING {}",
            convert(&quote_ident(&typed.column.name), array)
        )));
        if let Some(default) = default {
            out.push(alter(format!("SET DEFAULT {default}")));
        }
    }
    out.push(format!("DROP TYPE {}", beside(&current.name, &old)));
    out
}

/// At most this many rows are named per column.
const SHOWN: usize = 3;

/// What the target's rows would refuse of a type change: the rows that
/// hold a label an enum rebuild takes away, named by their text; the
/// column whose values a domain's new check or NOT NULL refuses. `None`
/// for a change other than a type's: not checked in advance.
pub(super) async fn rows_refusing(
    client: &Client,
    change: &SchemaChange,
) -> Result<Option<Vec<String>>> {
    let SchemaChange::Type(
        alter @ TypeChange::Alter {
            current,
            desired,
            columns,
        },
    ) = change
    else {
        return Ok(None);
    };
    if let (UserTypeKind::Domain { .. }, UserTypeKind::Domain { .. }) =
        (&current.kind, &desired.kind)
    {
        return Ok(Some(domain_refusals(client, alter, &desired.name).await));
    }
    let removed = removed_labels(current, desired);
    if removed.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let labels: Vec<String> = removed.iter().map(|l| quote_text(l.as_bytes())).collect();
    let labels = labels.join(", ");
    let mut findings = Vec::new();
    for typed in columns {
        let column = quote_ident(&typed.column.name);
        let holds = if typed.array {
            format!("r.{column}::text[] && ARRAY[{labels}]::text[]")
        } else {
            format!("r.{column}::text IN ({labels})")
        };
        let sql = format!(
            "SELECT r::text FROM {} AS r WHERE {holds} LIMIT {SHOWN}",
            relation(&typed.table)
        );
        let rows = client.query(sql.as_str(), &[]).await.map_err(|e| {
            Error::statement(
                format!(
                    "checking `{}` before rebuilding `{}`",
                    typed.table, desired.name
                ),
                &sql,
                error_text(&e),
            )
        })?;
        if !rows.is_empty() {
            let shown: Vec<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
            findings.push(format!(
                "enum `{}` loses the labels {} still held by `{}`.`{}` in rows {}",
                desired.name,
                shown_labels(&removed),
                typed.table,
                typed.column.name,
                shown.join("; ")
            ));
        }
    }
    Ok(Some(findings))
}

/// The server's refusal of a domain's change by the values its columns
/// hold (a new check they fail, NOT NULL meeting a NULL), found by making
/// the change in a transaction that is rolled back. Any other failure is
/// left to the run, which names it.
async fn domain_refusals(client: &Client, change: &TypeChange, name: &str) -> Vec<String> {
    let script = format!(
        "BEGIN READ WRITE; SET LOCAL lock_timeout = '5s'; {}",
        render(change).join("; ")
    );
    let answer = client.batch_execute(&script).await;
    // The transaction may have failed part way: end it either way.
    let _ = client.batch_execute("ROLLBACK").await;
    match answer {
        Err(e)
            if e.code() == Some(&SqlState::CHECK_VIOLATION)
                || e.code() == Some(&SqlState::NOT_NULL_VIOLATION) =>
        {
            vec![format!("domain `{name}`: {}", error_text(&e))]
        }
        _ => Vec::new(),
    }
}
