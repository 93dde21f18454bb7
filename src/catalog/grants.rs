//! Privileges granted on a table or its columns (PostgreSQL's `GRANT ...
//! ON TABLE`, `GRANT SELECT (c) ON TABLE`), a sequence, a view, a routine
//! or a schema to roles other than its owner, `PUBLIC` among them. Kept
//! with the table's options (a sequence's and a view's with them, a
//! routine's and a schema's in the catalog's `granted`, changed by
//! `ObjectGrants` steps); the diff plans them after the rows, the grants the
//! target lacks first (safe: they give access, take none), then the
//! revokes, a step of their own (destructive: they take access away
//! from whoever uses the target). Roles are the server's, not the
//! database's: a grant to a role the target server lacks is never
//! planned (the engine takes it out of the source's catalog, with a
//! warning).

use serde::Serialize;

/// One privilege held by one grantee.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Grant {
    /// The role, unquoted; `None`: `PUBLIC`, every role.
    pub grantee: Option<String>,
    /// `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`, `REFERENCES`,
    /// `TRIGGER`, ... as the engine names it.
    pub privilege: String,
    /// `WITH GRANT OPTION`: the grantee may grant it on.
    pub grantable: bool,
    /// The column it is granted on (`SELECT (c)`), unquoted; `None`: the
    /// whole table.
    pub column: Option<String>,
}

impl Grant {
    /// Whether `other` is the same privilege of the same grantee, with
    /// or without the grant option.
    pub fn same(&self, other: &Grant) -> bool {
        self.grantee == other.grantee
            && self.privilege == other.privilege
            && self.column == other.column
    }

    /// The privilege as the report names it: `SELECT`, `SELECT (c)`.
    pub fn what(&self) -> String {
        match &self.column {
            Some(column) => format!("{} ({column})", self.privilege),
            None => self.privilege.clone(),
        }
    }

    /// The grantee as a statement names it: the role, or `PUBLIC`.
    pub fn grantee_name(&self) -> &str {
        self.grantee.as_deref().unwrap_or("PUBLIC")
    }
}

/// What kind of object other than a table privileges are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GrantedKind {
    Sequence,
    /// A view or materialized view.
    View,
    /// A function, procedure or aggregate.
    Function,
    Schema,
}

impl GrantedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantedKind::Sequence => "sequence",
            GrantedKind::View => "view",
            GrantedKind::Function => "function",
            GrantedKind::Schema => "schema",
        }
    }

    /// What an object of this kind grants when it is made: a routine
    /// `EXECUTE` to `PUBLIC` (not a difference while both sides keep it),
    /// the others nothing.
    pub fn made_with(self) -> Vec<Grant> {
        match self {
            GrantedKind::Function => vec![Grant {
                grantee: None,
                privilege: "EXECUTE".into(),
                grantable: false,
                column: None,
            }],
            GrantedKind::Sequence | GrantedKind::View | GrantedKind::Schema => Vec::new(),
        }
    }
}

/// The privileges on a routine or a schema (PostgreSQL), every grantee's
/// but the owner's; a routine's `EXECUTE` to `PUBLIC` that it is made
/// with among them while it keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantedObject {
    pub kind: GrantedKind,
    /// The routine's or schema's model name.
    pub name: String,
    /// A routine's argument types, as a statement names it (`integer, text`).
    pub arguments: Option<String>,
    pub grants: Vec<Grant>,
}

/// The privilege steps for each routine and schema the source has (and
/// `selected` accepts, for routines) from the target's grants on it, or,
/// if the target lacks it, those it is made with.
pub fn granted_object_steps(
    source: &[GrantedObject],
    target: &[GrantedObject],
    selected: &dyn Fn(&str) -> bool,
) -> Vec<ObjectGrants> {
    let mut steps = Vec::new();
    for wanted in source {
        if wanted.kind == GrantedKind::Function && !selected(&wanted.name) {
            continue;
        }
        let had = target
            .iter()
            .find(|t| {
                t.kind == wanted.kind && t.name == wanted.name && t.arguments == wanted.arguments
            })
            .map_or_else(|| wanted.kind.made_with(), |t| t.grants.clone());
        steps.extend(object_grant_steps(
            wanted.kind,
            &wanted.name,
            wanted.arguments.as_deref(),
            &had,
            &wanted.grants,
        ));
    }
    steps
}

/// A change of the privileges on a sequence, view, routine or schema: grants only (safe),
/// or revokes only (destructive), after the rows as a table's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectGrants {
    pub kind: GrantedKind,
    pub name: String,
    /// A routine's argument types (`integer, text`).
    pub arguments: Option<String>,
    pub from: Vec<Grant>,
    pub to: Vec<Grant>,
}

/// The steps that turn the grants `from` on an object into `to`: what
/// takes no access away first, then the revokes, each a step when needed.
pub fn object_grant_steps(
    kind: GrantedKind,
    name: &str,
    arguments: Option<&str>,
    from: &[Grant],
    to: &[Grant],
) -> Vec<ObjectGrants> {
    let kept = without_revokes(from, to);
    [(from, &kept[..]), (&kept[..], to)]
        .into_iter()
        .filter(|(a, b)| !same(a, b))
        .map(|(a, b)| ObjectGrants {
            kind,
            name: name.to_string(),
            arguments: arguments.map(str::to_string),
            from: a.to_vec(),
            to: b.to_vec(),
        })
        .collect()
}

/// What it takes to turn the grants `from` into `to`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GrantChanges<'a> {
    /// Granted, with the grant option where `to` has it.
    pub granted: Vec<&'a Grant>,
    /// Revoked altogether.
    pub revoked: Vec<&'a Grant>,
    /// Keeping the privilege, losing its grant option.
    pub option_revoked: Vec<&'a Grant>,
}

impl GrantChanges<'_> {
    /// Whether any access is taken away.
    pub fn takes_away(&self) -> bool {
        !self.revoked.is_empty() || !self.option_revoked.is_empty()
    }
}

/// The grants and revokes that turn `from` into `to`.
pub fn changes<'a>(from: &'a [Grant], to: &'a [Grant]) -> GrantChanges<'a> {
    let find = |list: &'a [Grant], g: &Grant| list.iter().find(|o| o.same(g));
    let mut out = GrantChanges::default();
    for wanted in to {
        match find(from, wanted) {
            Some(had) if had.grantable || !wanted.grantable => {}
            _ => out.granted.push(wanted),
        }
    }
    for had in from {
        match find(to, had) {
            None => out.revoked.push(had),
            Some(wanted) if had.grantable && !wanted.grantable => out.option_revoked.push(wanted),
            Some(_) => {}
        }
    }
    out
}

/// Whether `a` and `b` grant the same, in whatever order (the order of
/// a table's ACL is the order of its grants, and says nothing more).
pub fn same(a: &[Grant], b: &[Grant]) -> bool {
    let c = changes(a, b);
    c.granted.is_empty() && !c.takes_away()
}

/// `to` with everything `from` has beyond it kept, after it: every
/// change from `from` to `to` that takes no access away.
pub fn without_revokes(from: &[Grant], to: &[Grant]) -> Vec<Grant> {
    let mut kept: Vec<Grant> = to
        .iter()
        .map(|g| Grant {
            grantable: g.grantable || from.iter().any(|h| h.same(g) && h.grantable),
            ..g.clone()
        })
        .collect();
    kept.extend(
        from.iter()
            .filter(|h| !to.iter().any(|g| g.same(h)))
            .cloned(),
    );
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testing::grant;

    #[test]
    fn grants_what_is_missing_and_revokes_what_is_extra_or_too_much() {
        let from = vec![
            grant(Some("app"), "SELECT", true),
            grant(Some("app"), "DELETE", false),
            grant(None, "SELECT", false),
        ];
        let to = vec![
            grant(Some("app"), "SELECT", false),
            grant(Some("app"), "INSERT", false),
            grant(None, "SELECT", false),
            grant(Some("ro"), "SELECT", true),
        ];
        let c = changes(&from, &to);
        assert_eq!(c.granted, [&to[1], &to[3]]);
        assert_eq!(c.revoked, [&from[1]]);
        assert_eq!(c.option_revoked, [&to[0]]);
        assert!(c.takes_away());
        assert_eq!(changes(&to, &to), GrantChanges::default());
        let mut reordered = to.clone();
        reordered.reverse();
        assert!(same(&to, &reordered));
        assert!(!same(&from, &to));
        let column = Grant {
            column: Some("c".into()),
            ..to[1].clone()
        };
        assert_eq!(
            changes(&to, std::slice::from_ref(&column)).granted,
            [&column]
        );
    }

    #[test]
    fn without_revokes_leaves_only_revokes_to_do() {
        let from = vec![
            grant(Some("app"), "SELECT", true),
            grant(Some("app"), "DELETE", false),
        ];
        let to = vec![
            grant(Some("app"), "SELECT", false),
            grant(Some("ro"), "SELECT", false),
        ];
        let kept = without_revokes(&from, &to);
        assert!(changes(&from, &kept).revoked.is_empty());
        assert!(!changes(&from, &kept).takes_away());
        let rest = changes(&kept, &to);
        assert!(rest.granted.is_empty());
        assert_eq!(rest.revoked.len(), 1);
        assert_eq!(rest.option_revoked.len(), 1);
    }
}
