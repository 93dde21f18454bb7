//! What the session's account may do, from `SHOW GRANTS`, which (unlike
//! information_schema's privilege tables) also lists what the current
//! role grants: global, database (with `_` and `%` wildcards) and table
//! grants. Only a lack that is certain counts: a line of another shape
//! (a proxy or routine grant) is skipped, and a column grant counts as the
//! privilege on its table, so a doubt never refuses a run.

use super::ddl::quote_ident;
use super::lexer;
use crate::catalog::change::{AlterClause, SchemaChange};
use crate::catalog::model::{Flavor, ForeignKey, ObjectKind};
use crate::engine::{MissingPrivilege, PlannedAccess, Reads};

/// Where a grant applies.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    /// `*.*`
    Global,
    /// `` `db`.* ``, the name a pattern (`_` and `%` wildcards, `\` escapes).
    Database(String),
    /// `` `db`.`table` ``
    Table(String, String),
}

/// One `GRANT <privileges> ON <scope> TO ...` line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    /// Upper case, single spaces (`SHOW VIEW`); `ALL PRIVILEGES` is `ALL`.
    privileges: Vec<String>,
    scope: Scope,
}

/// The account's grants.
#[derive(Debug, Default)]
pub(super) struct Grants(Vec<Grant>);

impl Grants {
    /// Reads the lines of `SHOW GRANTS`; lines it does not understand
    /// grant nothing.
    pub fn parse<S: AsRef<str>>(lines: &[S]) -> Grants {
        Grants(lines.iter().filter_map(|l| grant(l.as_ref())).collect())
    }

    /// Whether `privilege` is held on every table of `database` (globally or
    /// for the database), so also on tables the account cannot see.
    pub fn on_database(&self, privilege: &str, database: &str) -> bool {
        self.holds(privilege, database, None)
    }

    /// Whether `privilege` is held on `table` of `database`.
    pub fn on_table(&self, privilege: &str, database: &str, table: &str) -> bool {
        self.holds(privilege, database, Some(table))
    }

    fn holds(&self, privilege: &str, database: &str, table: Option<&str>) -> bool {
        self.0.iter().any(|grant| {
            grant
                .privileges
                .iter()
                .any(|p| p == privilege || p == "ALL")
                && match &grant.scope {
                    Scope::Global => true,
                    Scope::Database(pattern) => like(pattern, database),
                    Scope::Table(db, name) => {
                        table.is_some_and(|t| t.eq_ignore_ascii_case(name))
                            && db.eq_ignore_ascii_case(database)
                    }
                }
        })
    }
}

/// The privileges `grants` lack for `access` to `database`. Schema changes
/// need what the server checks for their statements: CREATE, ALTER, DROP
/// on the table, CREATE VIEW, and on MySQL (not MariaDB, which does not
/// check it) REFERENCES on the parent of a new foreign key.
pub(super) fn missing(
    grants: &Grants,
    database: &str,
    flavor: &Flavor,
    access: &PlannedAccess<'_>,
) -> Vec<MissingPrivilege> {
    let mut out: Vec<MissingPrivilege> = Vec::new();
    let mut need = |privilege: &str, table: Option<&str>, purpose: &str| {
        let (held, on) = match table {
            Some(t) => (
                grants.on_table(privilege, database, t),
                format!("{}.{}", quote_ident(database), quote_ident(t)),
            ),
            None => (
                grants.on_database(privilege, database),
                format!("{}.*", quote_ident(database)),
            ),
        };
        let lack = MissingPrivilege {
            privilege: privilege.to_string(),
            on,
            purpose: purpose.to_string(),
        };
        if !held && !out.contains(&lack) {
            out.push(lack);
        }
    };
    match access.reads {
        Reads::Nothing => {}
        Reads::Tables(tables) => {
            for table in tables {
                need("SELECT", Some(table), "to read rows");
            }
        }
        Reads::Everything => need(
            "SELECT",
            None,
            "to read every table and view: granted on some tables only, the others are invisible and would pass for tables the source lacks (and be dropped from the target)",
        ),
    }
    let checks_references = matches!(flavor, Flavor::MySql { .. });
    for change in access.changes {
        let (privilege, name, purpose, new_keys): (_, _, _, Vec<&ForeignKey>) = match change {
            SchemaChange::CreateTable(t) => (
                "CREATE",
                &t.name,
                "to create tables",
                t.foreign_keys.iter().collect(),
            ),
            SchemaChange::DropTable(t) => ("DROP", &t.name, "to drop tables", Vec::new()),
            SchemaChange::AlterTable {
                desired, clauses, ..
            } => (
                "ALTER",
                &desired.name,
                "to alter tables",
                clauses
                    .iter()
                    .filter_map(|c| match c {
                        AlterClause::AddForeignKey(key) => Some(key),
                        _ => None,
                    })
                    .collect(),
            ),
            SchemaChange::CreateView(v) => ("CREATE VIEW", &v.name, "to create views", Vec::new()),
            SchemaChange::DropView(v) => ("DROP", &v.name, "to drop views", Vec::new()),
            SchemaChange::CreateObject { object, .. }
            | SchemaChange::DropObject { object, .. }
            | SchemaChange::ReplaceObject {
                desired: object, ..
            } => {
                let (privilege, purpose) = match object.kind {
                    ObjectKind::Trigger => ("TRIGGER", "to create and drop triggers"),
                    ObjectKind::Procedure | ObjectKind::Function => {
                        ("ALTER ROUTINE", "to replace and drop routines")
                    }
                    ObjectKind::Event => ("EVENT", "to create and drop events"),
                };
                // Routines and events belong to the database, triggers to
                // their table.
                match &object.table {
                    Some(table) => need(privilege, Some(table), purpose),
                    None => need(privilege, None, purpose),
                }
                if matches!(change, SchemaChange::CreateObject { .. })
                    && matches!(object.kind, ObjectKind::Procedure | ObjectKind::Function)
                {
                    need("CREATE ROUTINE", None, "to create routines");
                }
                continue;
            }
            // MySQL has no user-defined types, extensions, sequences or
            // schemas in a database, and no view privileges are read: a
            // MySQL catalog holds none.
            SchemaChange::Type(_)
            | SchemaChange::Extension(_)
            | SchemaChange::Sequence(_)
            | SchemaChange::DropSchema(_)
            | SchemaChange::Grants(_) => continue,
        };
        need(privilege, Some(name), purpose);
        if checks_references {
            for key in new_keys {
                need(
                    "REFERENCES",
                    Some(&key.referenced_table),
                    "to add foreign keys that reference it",
                );
            }
        }
    }
    for table in access.row_writes {
        for privilege in ["INSERT", "UPDATE", "DELETE"] {
            need(privilege, Some(table), "to write rows");
        }
    }
    out
}

/// One line of `SHOW GRANTS`, if it grants privileges on tables.
fn grant(line: &str) -> Option<Grant> {
    let tokens = lexer::tokens(line);
    if !tokens.first()?.is("GRANT") {
        return None;
    }
    let on = tokens.iter().position(|t| t.is("ON"))?;
    let listed = line.get(tokens.get(1)?.start..tokens[on].start)?;
    let privileges = lexer::split_commas(listed)
        .into_iter()
        .map(|item| {
            // `SELECT (`a`, `b`)`: a column grant, taken as the privilege.
            let name = item.split('(').next().unwrap_or(item);
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            match name.to_ascii_uppercase().as_str() {
                "ALL PRIVILEGES" => "ALL".to_string(),
                other => other.to_string(),
            }
        })
        .collect();
    Some(Grant {
        privileges,
        scope: scope(tokens.get(on + 1)?.text)?,
    })
}

/// `*.*`, `` `db`.* `` or `` `db`.`table` `` (unquoted names too);
/// `None` for routines, proxies and anything else.
fn scope(text: &str) -> Option<Scope> {
    if text == "*.*" {
        return Some(Scope::Global);
    }
    let (database, rest) = name(text)?;
    let rest = rest.strip_prefix('.')?;
    if rest == "*" {
        return Some(Scope::Database(database));
    }
    match name(rest)? {
        (table, "") => Some(Scope::Table(database, table)),
        _ => None,
    }
}

/// A backquoted or plain name at the start of `text`, and what follows.
fn name(text: &str) -> Option<(String, &str)> {
    if text.starts_with('`') {
        return lexer::read_ident(text);
    }
    let end = text.find('.').unwrap_or(text.len());
    let plain = &text[..end];
    let valid = !plain.is_empty()
        && plain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    valid.then(|| (plain.to_string(), &text[end..]))
}

/// SQL `LIKE` with `\` escapes, ignoring case (a doubt counts as a match).
fn like(pattern: &str, name: &str) -> bool {
    fn matches(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('%', rest)) => (0..=n.len()).any(|skip| matches(rest, &n[skip..])),
            Some(('_', rest)) => !n.is_empty() && matches(rest, &n[1..]),
            Some(('\\', rest)) if !rest.is_empty() => {
                n.first().is_some_and(|c| c.eq_ignore_ascii_case(&rest[0]))
                    && matches(&rest[1..], &n[1..])
            }
            Some((c, rest)) => {
                n.first().is_some_and(|m| m.eq_ignore_ascii_case(c)) && matches(rest, &n[1..])
            }
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    matches(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines as MariaDB 10.11 and MySQL 8 print them.
    const LINES: &[&str] = &[
        "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*D821809F681A40A6E379B50D0463EFAE20BDD122'",
        "GRANT `reporting` TO `app`@`%`",
        "GRANT SELECT, SHOW VIEW ON `shop\\_%`.* TO `app`@`%`",
        "GRANT SELECT (`id`, `v`), INSERT (`v`) ON `crm`.`t` TO `app`@`%`",
        "GRANT INSERT, UPDATE ON `crm`.`orders` TO `app`@`%` WITH GRANT OPTION",
        "GRANT EXECUTE ON PROCEDURE `crm`.`p` TO `app`@`%`",
        "GRANT PROXY ON ''@'%' TO 'app'@'%'",
        "SET DEFAULT ROLE `reporting` FOR `app`@`%`",
    ];

    #[test]
    fn grants_apply_by_scope() {
        let g = Grants::parse(LINES);
        assert_eq!(g.0.len(), 4, "{:#?}", g.0);
        // Database grants, with wildcards: every table, seen or not.
        assert!(g.on_database("SELECT", "shop_eu"));
        assert!(g.on_table("SHOW VIEW", "shop_eu", "any"));
        assert!(!g.on_database("SELECT", "shopx"), "`\\_` is a literal _");
        assert!(!g.on_database("INSERT", "shop_eu"));
        // Table grants: that table only, never the whole database.
        assert!(g.on_table("INSERT", "crm", "orders"));
        assert!(g.on_table("UPDATE", "CRM", "Orders"));
        assert!(!g.on_table("DELETE", "crm", "orders"));
        assert!(!g.on_database("INSERT", "crm"));
        // A column grant counts for its table.
        assert!(g.on_table("SELECT", "crm", "t"));
        assert!(!g.on_table("SELECT", "crm", "u"));
        assert!(!g.on_database("SELECT", "crm"));
    }

    #[test]
    fn all_privileges_on_everything() {
        let g = Grants::parse(&[
            "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket WITH GRANT OPTION",
        ]);
        for p in ["SELECT", "DELETE", "DROP", "CREATE VIEW", "REFERENCES"] {
            assert!(g.on_database(p, "any"), "{p}");
        }
        let g = Grants::parse(&["GRANT ALL PRIVILEGES ON `app`.* TO `u`@`%`"]);
        assert!(g.on_table("DROP", "app", "t") && !g.on_table("DROP", "other", "t"));
    }

    #[test]
    fn like_patterns() {
        assert!(like("a%", "abc") && like("a_c", "abc") && like("%", ""));
        assert!(!like("a_c", "ac") && !like("a\\_c", "abc") && like("a\\_c", "a_c"));
        assert!(like("App", "app"));
    }
}
