//! PostgreSQL's table, sequence, view, routine and schema privileges:
//! read from each table's, column's, sequence's, view's, routine's and
//! schema's ACL (every grantee but the owner, `PUBLIC` as role 0; a
//! routine's or schema's ACL never set as the one it was made with), the statements
//! that grant and revoke them, and the source's grants to roles this
//! target server lacks, taken out of the plan with a warning: roles
//! belong to the server, and lockstep never creates or drops one.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;

use super::introspect::query;
use super::names::{relation, user_schema, Namer};
use super::types::quote_ident;
use crate::catalog::grants::{changes, Grant, GrantedKind, GrantedObject, ObjectGrants};
use crate::catalog::model::{Catalog, Table};
use crate::error::Result;

/// Every privilege on a table, partitioned table, sequence, view or
/// materialized view, or on one of a table's columns, granted to another role than its owner, with
/// the relation's schema and name: the relation's own first, then its
/// columns' in their order, each in its ACL's order.
pub(super) const GRANTS: &str = concat!(
    "SELECT n.nspname, c.relname, \
     CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee)::text END, \
     a.privilege_type::text, a.is_grantable, acl.attname \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     CROSS JOIN LATERAL (SELECT NULL::text AS attname, 0 AS attnum, c.relacl AS acl \
        UNION ALL SELECT t.attname::text, t.attnum, t.attacl FROM pg_attribute t \
        WHERE t.attrelid = c.oid AND t.attnum > 0 AND NOT t.attisdropped \
        AND t.attacl IS NOT NULL) AS acl \
     CROSS JOIN LATERAL aclexplode(acl.acl) WITH ORDINALITY AS a \
     WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm') AND a.grantee <> c.relowner AND ",
    user_schema!(),
    " ORDER BY c.oid, acl.attnum, a.ordinality"
);

/// Every routine (as `ROUTINES` reads them) and schema with each privilege
/// on it granted to another role than its owner, one row a privilege (one
/// row of NULLs for none): `f` or `n`, the schema, the routine's name and
/// argument types (empty for a schema), grantee, privilege, grant option.
/// An ACL never set is the one the object was made with (`acldefault`).
pub(super) const OBJECT_GRANTS: &str = concat!(
    "SELECT 'f', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), \
     CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee)::text END, \
     a.privilege_type::text, a.is_grantable \
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
     LEFT JOIN LATERAL (SELECT * FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) \
        WITH ORDINALITY AS x WHERE x.grantee <> p.proowner) AS a ON true \
     WHERE p.prokind IN ('f', 'p', 'a') \
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass \
        AND d.objid = p.oid AND d.deptype IN ('e', 'i')) AND ",
    user_schema!(),
    " UNION ALL SELECT 'n', n.nspname, '', '', \
     CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee)::text END, \
     a.privilege_type::text, a.is_grantable \
     FROM pg_namespace n \
     LEFT JOIN LATERAL (SELECT * FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) \
        WITH ORDINALITY AS x WHERE x.grantee <> n.nspowner) AS a ON true \
     WHERE ",
    user_schema!(),
    " ORDER BY 1, 2, 3, 4"
);

/// The routines' and schemas' privileges out of [`OBJECT_GRANTS`]' rows;
/// a routine named by `namer`, its argument types by `unqualify`.
pub(super) fn granted_objects(
    rows: Vec<tokio_postgres::Row>,
    namer: &Namer,
    unqualify: &dyn Fn(&str) -> String,
) -> Result<Vec<GrantedObject>> {
    let mut out: Vec<GrantedObject> = Vec::new();
    for row in rows {
        let schema: &str = row.get(1);
        let (kind, name, arguments) = match row.get::<_, &str>(0) {
            "n" => (GrantedKind::Schema, schema.to_string(), None),
            _ => (
                GrantedKind::Function,
                namer.name(schema, row.get::<_, &str>(2))?,
                Some(unqualify(row.get::<_, &str>(3))),
            ),
        };
        let same = |o: &GrantedObject| o.kind == kind && o.name == name && o.arguments == arguments;
        if !out.last().is_some_and(same) {
            out.push(GrantedObject {
                kind,
                name: name.clone(),
                arguments: arguments.clone(),
                grants: Vec::new(),
            });
        }
        let privilege: Option<String> = row.get(5);
        if let (Some(privilege), Some(object)) = (privilege, out.last_mut()) {
            object.grants.push(Grant {
                grantee: row.get(4),
                privilege,
                grantable: row.get(6),
                column: None,
            });
        }
    }
    Ok(out)
}

/// The grants of every table, sequence and view out of [`GRANTS`]' rows, by
/// its model name, each in its ACL's order (granted in that order on
/// the target, its ACL reads the same).
pub(super) fn grants(
    rows: Vec<tokio_postgres::Row>,
    namer: &Namer,
) -> Result<BTreeMap<String, Vec<Grant>>> {
    let mut grants: BTreeMap<String, Vec<Grant>> = BTreeMap::new();
    for row in rows {
        let table = namer.name(row.get::<_, &str>(0), row.get::<_, &str>(1))?;
        grants.entry(table).or_default().push(Grant {
            grantee: row.get(2),
            privilege: row.get(3),
            grantable: row.get(4),
            column: row.get(5),
        });
    }
    Ok(grants)
}

/// The statements that turn `table`'s grants `from` into `to`: revokes
/// first, then grants. A column `table` no longer has took its grants
/// with it: nothing is revoked on it.
pub(super) fn change(table: &Table, from: &[Grant], to: &[Grant]) -> Vec<String> {
    let has_column = |c: &str| table.columns.iter().any(|k| k.name == c);
    statements(
        &format!("TABLE {}", relation(&table.name)),
        &has_column,
        from,
        to,
    )
}

/// The statements of a change of the privileges on a sequence or view.
pub(super) fn object_change(change: &ObjectGrants) -> Vec<String> {
    let on = match change.kind {
        GrantedKind::Sequence => format!("SEQUENCE {}", relation(&change.name)),
        GrantedKind::View => format!("TABLE {}", relation(&change.name)),
        GrantedKind::Function => format!(
            "ROUTINE {}({})",
            relation(&change.name),
            change.arguments.as_deref().unwrap_or_default()
        ),
        GrantedKind::Schema => format!("SCHEMA {}", quote_ident(&change.name)),
    };
    let mut out = Vec::new();
    // A schema the source has holds nothing yet on the target, which
    // made none for it: it comes with its privileges.
    if change.kind == GrantedKind::Schema && !changes(&change.from, &change.to).granted.is_empty() {
        out.push(format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            quote_ident(&change.name)
        ));
    }
    out.extend(statements(&on, &|_| false, &change.from, &change.to));
    out
}

/// The statements that turn the grants `from` on `on` (`TABLE "t"`,
/// `SEQUENCE "s"`) into `to`, for the columns `has_column` says it has.
fn statements(
    on: &str,
    has_column: &dyn Fn(&str) -> bool,
    from: &[Grant],
    to: &[Grant],
) -> Vec<String> {
    let grantee = |g: &Grant| match &g.grantee {
        Some(role) => quote_ident(role),
        None => "PUBLIC".to_string(),
    };
    let what = |g: &Grant| match &g.column {
        Some(column) => format!("{} ({})", g.privilege, quote_ident(column)),
        None => g.privilege.clone(),
    };
    let kept = |g: &&&Grant| g.column.as_deref().is_none_or(has_column);
    let wanted = changes(from, to);
    let revokes = wanted
        .revoked
        .iter()
        .filter(kept)
        .map(|g| format!("REVOKE {} ON {on} FROM {}", what(g), grantee(g)));
    let options = wanted.option_revoked.iter().filter(kept).map(|g| {
        format!(
            "REVOKE GRANT OPTION FOR {} ON {on} FROM {}",
            what(g),
            grantee(g)
        )
    });
    // A privilege revoked on the table is revoked on its columns too:
    // the column grants `to` keeps of it are made again.
    let table_wide: Vec<&Grant> = wanted
        .revoked
        .iter()
        .chain(&wanted.option_revoked)
        .filter(|g| g.column.is_none())
        .copied()
        .collect();
    let again = to.iter().filter(|g| {
        g.column.is_some()
            && !wanted.granted.contains(g)
            && table_wide
                .iter()
                .any(|t| t.grantee == g.grantee && t.privilege == g.privilege)
    });
    let grants = wanted.granted.iter().copied().chain(again).map(|g| {
        let option = if g.grantable {
            " WITH GRANT OPTION"
        } else {
            ""
        };
        format!("GRANT {} ON {on} TO {}{option}", what(g), grantee(g))
    });
    revokes.chain(options).chain(grants).collect()
}

/// Takes out of `source` every grant to a role this server lacks, with
/// one warning per table, sequence or view and role naming what to do.
pub(super) async fn unplaceable(client: &Client, source: &mut Catalog) -> Result<Vec<String>> {
    let to_roles = |grants: &[Grant]| grants.iter().any(|g| g.grantee.is_some());
    if !source.tables.iter().any(|t| to_roles(&t.options.grants))
        && !source.sequences.iter().any(|s| to_roles(&s.grants))
        && !source.views.iter().any(|v| to_roles(&v.grants))
        && !source.granted.iter().any(|o| to_roles(&o.grants))
    {
        return Ok(Vec::new());
    }
    let rows = query(client, "roles", "SELECT rolname::text FROM pg_roles").await?;
    let roles: BTreeSet<String> = rows.iter().map(|r| r.get(0)).collect();
    let mut warnings = Vec::new();
    for table in &mut source.tables {
        let what = format!("table `{}`", table.name);
        warnings.extend(placeable_only(&what, &mut table.options.grants, &roles));
    }
    for sequence in &mut source.sequences {
        let what = format!("sequence `{}`", sequence.name);
        warnings.extend(placeable_only(&what, &mut sequence.grants, &roles));
    }
    for view in &mut source.views {
        let what = format!("view `{}`", view.name);
        warnings.extend(placeable_only(&what, &mut view.grants, &roles));
    }
    for object in &mut source.granted {
        let what = format!("{} `{}`", object.kind.as_str(), object.name);
        warnings.extend(placeable_only(&what, &mut object.grants, &roles));
    }
    Ok(warnings)
}

/// Keeps of `grants` (on `what`) those to `roles` or `PUBLIC`; a warning
/// per role left out.
fn placeable_only(what: &str, grants: &mut Vec<Grant>, roles: &BTreeSet<String>) -> Vec<String> {
    let mut skipped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    grants.retain(|g| match &g.grantee {
        Some(role) if !roles.contains(role) => {
            skipped.entry(role.clone()).or_default().push(g.what());
            false
        }
        _ => true,
    });
    skipped
        .into_iter()
        .map(|(role, privileges)| {
            format!(
                "{what}: the source grants {} to role `{role}`, which the target server does not have: not granted; create the role on the target (CREATE ROLE {}) and run again to grant it",
                privileges.join(", "),
                quote_ident(&role)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testing::grant;

    #[test]
    fn revokes_go_before_grants_and_names_are_quoted() {
        let from = vec![
            grant(Some("Old App"), "DELETE", false),
            grant(Some("app"), "SELECT", true),
        ];
        let to = vec![
            grant(Some("app"), "SELECT", false),
            grant(None, "SELECT", false),
            grant(Some("ro"), "UPDATE", true),
        ];
        let mut to = to;
        to.push(Grant {
            column: Some("Price".into()),
            ..grant(Some("ro"), "SELECT", false)
        });
        let mut from = from;
        from.push(Grant {
            column: Some("gone".into()),
            ..grant(Some("ro"), "SELECT", false)
        });
        use crate::catalog::testing::{mysql, table};
        let items = mysql()
            .table(table("shop.items").col("Price", "int"))
            .build()
            .tables
            .remove(0);
        assert_eq!(
            change(&items, &from, &to),
            [
                r#"REVOKE DELETE ON TABLE "shop"."items" FROM "Old App""#,
                r#"REVOKE GRANT OPTION FOR SELECT ON TABLE "shop"."items" FROM "app""#,
                r#"GRANT SELECT ON TABLE "shop"."items" TO PUBLIC"#,
                r#"GRANT UPDATE ON TABLE "shop"."items" TO "ro" WITH GRANT OPTION"#,
                r#"GRANT SELECT ("Price") ON TABLE "shop"."items" TO "ro""#,
            ]
        );
    }
}
