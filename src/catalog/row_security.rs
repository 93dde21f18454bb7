//! Row-level security (PostgreSQL): whether a table's rows are filtered
//! by policies (`ENABLE`, and `FORCE` for its owner too) and the
//! policies themselves. Kept with the table's options; the diff plans
//! them after the rows (a policy may call a routine or read a view
//! created later in the plan, and a forced one would filter the rows
//! being written), and a policy only the target has is dropped only
//! where drops are allowed (destructive: it may be what keeps rows from
//! an application's users).

use serde::Serialize;

/// A table's row-level security. The default: off, no policies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RowSecurity {
    /// `ENABLE ROW LEVEL SECURITY`: its policies filter other roles' rows.
    pub enabled: bool,
    /// `FORCE ROW LEVEL SECURITY`: the table's owner too.
    pub forced: bool,
    /// Its policies, by name.
    pub policies: Vec<Policy>,
}

impl RowSecurity {
    pub fn policy(&self, name: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.name == name)
    }

    /// The policies this table has and `desired` does not.
    pub fn dropped<'a>(&'a self, desired: &'a RowSecurity) -> impl Iterator<Item = &'a Policy> {
        self.policies
            .iter()
            .filter(|p| desired.policy(&p.name).is_none())
    }

    /// `desired` but keeping the policies it would drop: every change of
    /// row security that is not a drop.
    pub fn without_drops(&self, desired: &RowSecurity) -> RowSecurity {
        let mut kept = desired.clone();
        kept.policies.extend(self.dropped(desired).cloned());
        kept
    }
}

/// One policy (`CREATE POLICY`), its expressions in the engine's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub name: String,
    /// `AS PERMISSIVE` (else `RESTRICTIVE`).
    pub permissive: bool,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: String,
    /// The roles it applies to, unquoted; empty: every role (`PUBLIC`).
    pub roles: Vec<String>,
    /// `USING`: which existing rows the roles see.
    pub using: Option<String>,
    /// `WITH CHECK`: which new rows they may write.
    pub check: Option<String>,
    pub comment: String,
}

impl Policy {
    /// Whether `ALTER POLICY` turns this policy into `desired`: it can
    /// change the roles and the expressions, but neither the command nor
    /// permissive/restrictive, and it cannot take an expression away.
    pub fn alters_into(&self, desired: &Policy) -> bool {
        self.permissive == desired.permissive
            && self.command == desired.command
            && (desired.using.is_some() || self.using.is_none())
            && (desired.check.is_some() || self.check.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(name: &str, using: Option<&str>, check: Option<&str>) -> Policy {
        Policy {
            name: name.into(),
            permissive: true,
            command: "ALL".into(),
            roles: Vec::new(),
            using: using.map(str::to_string),
            check: check.map(str::to_string),
            comment: String::new(),
        }
    }

    #[test]
    fn alter_policy_cannot_take_an_expression_away_nor_change_the_command() {
        let both = policy("p", Some("(a = 1)"), Some("(a = 2)"));
        let using_only = policy("p", Some("(a = 3)"), None);
        assert!(using_only.alters_into(&both));
        assert!(!both.alters_into(&using_only));
        let mut select = both.clone();
        select.command = "SELECT".into();
        assert!(!both.alters_into(&select));
        let mut restrictive = both.clone();
        restrictive.permissive = false;
        assert!(!both.alters_into(&restrictive));
        let mut other_roles = both.clone();
        other_roles.roles = vec!["app".into()];
        assert!(both.alters_into(&other_roles));
    }

    #[test]
    fn without_drops_keeps_what_only_the_current_has() {
        let current = RowSecurity {
            enabled: false,
            forced: false,
            policies: vec![policy("a", None, None), policy("gone", None, None)],
        };
        let desired = RowSecurity {
            enabled: true,
            forced: false,
            policies: vec![policy("a", Some("true"), None)],
        };
        let dropped: Vec<&str> = current.dropped(&desired).map(|p| p.name.as_str()).collect();
        assert_eq!(dropped, ["gone"]);
        let kept = current.without_drops(&desired);
        assert!(kept.enabled);
        assert_eq!(kept.policies.len(), 2);
        assert_eq!(kept.policy("a"), desired.policy("a"));
        assert_eq!(current.dropped(&kept).count(), 0);
    }
}
