//! PostgreSQL's row-level security: each table's policies (read with
//! the catalog's other queries, the flags with the table), and the
//! statements that enable, force, create, alter and drop them. A policy changes in place
//! (`ALTER POLICY`) where PostgreSQL can (roles, expressions), and is
//! dropped and created again otherwise. A policy naming a role the
//! target server lacks stops the run with the policy's and the role's
//! names before the server's own error.

use std::collections::BTreeMap;

use super::names::{relation, user_schema, Namer};
use super::types::{quote_ident, quote_text};
use crate::catalog::row_security::{Policy, RowSecurity};
use crate::error::Result;

/// Every policy with its table's schema and name, its expressions as
/// the server prints them; roles by name, none for `PUBLIC` (role 0).
pub(super) const POLICIES: &str = concat!(
    "SELECT n.nspname, c.relname, p.polname::text, p.polpermissive, \
     CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' \
        WHEN 'd' THEN 'DELETE' ELSE 'ALL' END, \
     ARRAY(SELECT pg_get_userbyid(r)::text FROM unnest(p.polroles) AS r WHERE r <> 0 \
        ORDER BY pg_get_userbyid(r)::text COLLATE \"C\"), \
     pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid), \
     coalesce(obj_description(p.oid, 'pg_policy'), '') \
     FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ",
    user_schema!(),
    " ORDER BY p.polname COLLATE \"C\""
);

/// The policies of every table out of [`POLICIES`]' rows, by the
/// table's model name, each in name order.
pub(super) fn policies(
    rows: Vec<tokio_postgres::Row>,
    namer: &Namer,
    unqualify: &dyn Fn(&str) -> String,
) -> Result<BTreeMap<String, Vec<Policy>>> {
    let mut policies: BTreeMap<String, Vec<Policy>> = BTreeMap::new();
    for row in rows {
        let table = namer.name(row.get::<_, &str>(0), row.get::<_, &str>(1))?;
        policies.entry(table).or_default().push(Policy {
            name: row.get(2),
            permissive: row.get(3),
            command: row.get(4),
            roles: row.get(5),
            using: row.get::<_, Option<&str>>(6).map(unqualify),
            check: row.get::<_, Option<&str>>(7).map(unqualify),
            comment: row.get(8),
        });
    }
    Ok(policies)
}

/// The statements that give `table` the row security `to` from `from`:
/// drops first (a policy created again under its name goes after them).
pub(super) fn change(table: &str, from: &RowSecurity, to: &RowSecurity) -> Vec<String> {
    let alter = |what: &str| format!("ALTER TABLE {} {what}", relation(table));
    let mut out = Vec::new();
    for gone in from.dropped(to) {
        out.push(drop(table, gone));
    }
    if from.enabled != to.enabled {
        out.push(alter(if to.enabled {
            "ENABLE ROW LEVEL SECURITY"
        } else {
            "DISABLE ROW LEVEL SECURITY"
        }));
    }
    if from.forced != to.forced {
        out.push(alter(if to.forced {
            "FORCE ROW LEVEL SECURITY"
        } else {
            "NO FORCE ROW LEVEL SECURITY"
        }));
    }
    for wanted in &to.policies {
        match from.policy(&wanted.name) {
            None => out.extend(create(table, wanted)),
            Some(current) if current == wanted => {}
            Some(current) if current.alters_into(wanted) => {
                let comment_apart = Policy {
                    comment: wanted.comment.clone(),
                    ..current.clone()
                };
                if comment_apart != *wanted {
                    out.extend(roles_exist(table, wanted));
                    out.push(format!(
                        "ALTER POLICY {} ON {}{}",
                        quote_ident(&wanted.name),
                        relation(table),
                        clauses(wanted)
                    ));
                }
                if current.comment != wanted.comment {
                    out.push(comment(table, wanted));
                }
            }
            Some(current) => {
                out.push(drop(table, current));
                out.extend(create(table, wanted));
            }
        }
    }
    out
}

/// `CREATE POLICY`, after the check that its roles exist, and its comment.
fn create(table: &str, policy: &Policy) -> Vec<String> {
    let mut out = roles_exist(table, policy);
    out.push(format!(
        "CREATE POLICY {} ON {} AS {} FOR {}{}",
        quote_ident(&policy.name),
        relation(table),
        if policy.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        policy.command,
        clauses(policy)
    ));
    if !policy.comment.is_empty() {
        out.push(comment(table, policy));
    }
    out
}

fn drop(table: &str, policy: &Policy) -> String {
    format!(
        "DROP POLICY {} ON {}",
        quote_ident(&policy.name),
        relation(table)
    )
}

fn comment(table: &str, policy: &Policy) -> String {
    super::comments::comment_on(
        &format!(
            "POLICY {} ON {}",
            quote_ident(&policy.name),
            relation(table)
        ),
        &policy.comment,
    )
}

/// ` TO roles USING (...) WITH CHECK (...)`, as both `CREATE POLICY` and
/// `ALTER POLICY` take them.
fn clauses(policy: &Policy) -> String {
    let roles = if policy.roles.is_empty() {
        "PUBLIC".to_string()
    } else {
        policy
            .roles
            .iter()
            .map(|r| quote_ident(r))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(" TO {roles}");
    if let Some(using) = &policy.using {
        out.push_str(&format!(" USING ({using})"));
    }
    if let Some(check) = &policy.check {
        out.push_str(&format!(" WITH CHECK ({check})"));
    }
    out
}

/// A statement that stops the run, naming the policy and the roles, when
/// a role the policy applies to does not exist on the server (roles are
/// the server's, not the database's: lockstep does not create them).
fn roles_exist(table: &str, policy: &Policy) -> Vec<String> {
    if policy.roles.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = policy
        .roles
        .iter()
        .map(|r| quote_text(r.as_bytes()))
        .collect();
    // `%` is RAISE's placeholder: the names' own are doubled.
    let message = format!(
        "policy `{}` on `{}` applies to role(s) %, which this server does not have: \
         create them (CREATE ROLE ...) and run again, or drop the policy from the source",
        policy.name.replace('%', "%%"),
        table.replace('%', "%%")
    );
    vec![format!(
        "DO $lockstep$ DECLARE missing text; BEGIN \
         SELECT string_agg(r, ', ') INTO missing FROM unnest(ARRAY[{}]::text[]) AS r \
         WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r); \
         IF missing IS NOT NULL THEN RAISE EXCEPTION {}, missing; END IF; END $lockstep$",
        names.join(", "),
        quote_text(message.as_bytes())
    )]
}
