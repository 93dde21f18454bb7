//! Triggers, stored procedures and functions, and events: read with
//! `SHOW CREATE TRIGGER|PROCEDURE|FUNCTION|EVENT` (the exact source text,
//! DEFINER included, and the session it was created in), and created
//! again inside that same session context so `SHOW CREATE …` on the target
//! reads the same.
//!
//! An account without the privileges that show every object of a kind
//! (TRIGGER, EVENT, SHOW_ROUTINE / SELECT on mysql.proc) sees some or none
//! of them and cannot tell: such a kind is recorded as unreadable, never
//! as empty.

use mysql_async::prelude::Queryable;
use mysql_async::Row;

use super::batch::{self, name_literal, Statement};
use super::ddl::{quote_ident, quote_string};
use super::lexer;
use crate::catalog::model::{ObjectContext, ObjectKind, SchemaObject, Unreadable};
use crate::error::Result;

/// The account's privileges and the names of the database's triggers,
/// routines and events: read together with the tables (`statements`,
/// then `from_answers`), their texts in a second batch (`show_statements`,
/// then `shown`).
pub(super) struct Listing {
    global: Vec<String>,
    on_database: Vec<String>,
    routines: Vec<(String, ObjectKind)>,
    /// Per table, in firing order within each timing and event: created
    /// again in this order, they fire in it.
    triggers: Vec<(String, String, u32)>,
    events: Vec<String>,
}

/// Statements of the first batch, in the order `from_answers` takes them.
pub(super) fn statements(database: &str) -> Vec<Statement> {
    let db = name_literal(database);
    let grantee = "CONCAT(\"'\", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), \"'@'\", \
         SUBSTRING_INDEX(CURRENT_USER(), '@', -1), \"'\")";
    vec![
        Statement::new(
            "reading the account's privileges",
            format!(
                "SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES \
                 WHERE GRANTEE = {grantee}"
            ),
        ),
        Statement::new(
            "reading the account's privileges",
            format!(
                "SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES \
                 WHERE GRANTEE = {grantee} AND {db} LIKE TABLE_SCHEMA"
            ),
        ),
        Statement::new(
            format!("listing the routines of `{database}`"),
            format!(
                "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES \
                 WHERE ROUTINE_SCHEMA = {db} AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') \
                 ORDER BY ROUTINE_TYPE DESC, ROUTINE_NAME"
            ),
        ),
        Statement::new(
            format!("listing the triggers of `{database}`"),
            format!(
                "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_ORDER FROM information_schema.TRIGGERS \
                 WHERE TRIGGER_SCHEMA = {db} \
                 ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER"
            ),
        ),
        Statement::new(
            format!("listing the events of `{database}`"),
            format!(
                "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = {db} \
                 ORDER BY EVENT_NAME"
            ),
        ),
    ]
}

impl Listing {
    /// The answers to `statements`, in their order.
    pub fn from_answers(answers: impl IntoIterator<Item = Vec<Row>>) -> Result<Self> {
        let mut answers = answers.into_iter();
        let mut next = || answers.next().unwrap_or_default();
        let global = batch::typed(next(), "reading the account's privileges")?;
        let on_database = batch::typed(next(), "reading the account's privileges")?;
        let routines = batch::typed::<(String, String)>(next(), "listing the routines")?
            .into_iter()
            .map(|(name, kind)| {
                let kind = match kind.as_str() {
                    "FUNCTION" => ObjectKind::Function,
                    _ => ObjectKind::Procedure,
                };
                (name, kind)
            })
            .collect();
        let triggers = batch::typed(next(), "listing the triggers")?;
        let events = batch::typed(next(), "listing the events")?;
        Ok(Listing {
            global,
            on_database,
            routines,
            triggers,
            events,
        })
    }

    fn has(&self, privilege: &str) -> bool {
        held(&self.global, privilege) || held(&self.on_database, privilege)
    }

    /// The kinds the account cannot see completely. SELECT on the
    /// database does not show routines; on everything it does. EXECUTE or
    /// ALTER ROUTINE on them lists every one (the texts may still be
    /// hidden: `shown` tells one by one). Reading MariaDB's `mysql.proc`
    /// is tried (a round trip) only when no privilege settles it.
    pub async fn unreadable_kinds(
        &self,
        conn: &mut mysql_async::Conn,
        database: &str,
    ) -> Vec<Unreadable> {
        let mut unreadable = Vec::new();
        let mut cannot = |kinds: &[ObjectKind], reason: &str| {
            for &kind in kinds {
                unreadable.push(Unreadable {
                    kind,
                    reason: reason.to_string(),
                });
            }
        };
        let routines_visible = held(&self.global, "SELECT")
            || self.has("EXECUTE")
            || self.has("ALTER ROUTINE")
            || self.has("SHOW_ROUTINE")
            || self.has("SHOW CREATE ROUTINE")
            || reads_mysql_proc(conn, database).await;
        if !routines_visible {
            cannot(
                &[ObjectKind::Procedure, ObjectKind::Function],
                "the account may not see every stored procedure and function \
                 (it needs EXECUTE on the database, and SHOW_ROUTINE, SHOW CREATE ROUTINE \
                 or SELECT on mysql.proc to read their text)",
            );
        }
        if !self.has("TRIGGER") {
            cannot(
                &[ObjectKind::Trigger],
                "the account may not see the triggers (it needs the TRIGGER privilege on the database)",
            );
        }
        if !self.has("EVENT") {
            cannot(
                &[ObjectKind::Event],
                "the account may not see the events (it needs the EVENT privilege on the database)",
            );
        }
        unreadable
    }

    /// The objects whose text is read, in order: routines, triggers,
    /// events (those only with the EVENT privilege).
    fn listed(&self) -> Vec<(ObjectKind, &str, Option<&str>)> {
        let routines = self.routines.iter().map(|(n, k)| (*k, n.as_str(), None));
        let triggers = self
            .triggers
            .iter()
            .map(|(n, t, _)| (ObjectKind::Trigger, n.as_str(), Some(t.as_str())));
        let events = self
            .events
            .iter()
            .filter(|_| self.has("EVENT"))
            .map(|n| (ObjectKind::Event, n.as_str(), None));
        routines.chain(triggers).chain(events).collect()
    }

    /// `SHOW CREATE …` of every listed object, for the second batch.
    pub fn show_statements(&self) -> Vec<Statement> {
        self.listed()
            .into_iter()
            .map(|(kind, name, _)| {
                Statement::new(
                    format!("reading {kind} `{name}`"),
                    format!("SHOW CREATE {} {}", keyword(kind), quote_ident(name)),
                )
            })
            .collect()
    }

    /// The objects out of the answers to `show_statements`; an object
    /// whose text the server hides is added to `unreadable`.
    pub fn shown(
        &self,
        database: &str,
        answers: impl IntoIterator<Item = Vec<Row>>,
        unreadable: &mut Vec<Unreadable>,
    ) -> Vec<SchemaObject> {
        let mut objects = Vec::new();
        let mut orders = self.triggers.iter().map(|(_, _, order)| *order);
        for ((kind, name, table), rows) in self.listed().into_iter().zip(answers) {
            let order = (kind == ObjectKind::Trigger)
                .then(|| orders.next())
                .flatten();
            match object(kind, name, table, rows.into_iter().next(), database) {
                Some(mut object) => {
                    object.context.action_order = order;
                    objects.push(object);
                }
                None => hidden(unreadable, kind, name),
            }
        }
        objects
    }
}

fn held(list: &[String], privilege: &str) -> bool {
    list.iter().any(|q| q.eq_ignore_ascii_case(privilege))
}

/// An object listed but whose text the account may not read.
fn hidden(unreadable: &mut Vec<Unreadable>, kind: ObjectKind, name: &str) {
    let needs = match kind {
        ObjectKind::Procedure | ObjectKind::Function => {
            " (it needs SHOW_ROUTINE, SHOW CREATE ROUTINE or SELECT on mysql.proc, \
             or to be its definer)"
        }
        ObjectKind::Trigger | ObjectKind::Event => "",
    };
    if !unreadable.iter().any(|u| u.kind == kind) {
        unreadable.push(Unreadable {
            kind,
            reason: format!("the account may not read the text of {kind} `{name}`{needs}"),
        });
    }
}

/// Whether the account reads MariaDB's `mysql.proc` (then it sees every
/// routine's text).
async fn reads_mysql_proc(conn: &mut mysql_async::Conn, database: &str) -> bool {
    conn.exec_drop("SELECT 1 FROM mysql.proc WHERE db = ? LIMIT 1", (database,))
        .await
        .is_ok()
}

/// The object out of the row `SHOW CREATE <kind>` answered, or `None`
/// when the server hides its text from this account.
fn object(
    kind: ObjectKind,
    name: &str,
    table: Option<&str>,
    row: Option<Row>,
    database: &str,
) -> Option<SchemaObject> {
    let row = row?;
    let text = |column: &str| -> Option<String> {
        let i = row
            .columns_ref()
            .iter()
            .position(|c| c.name_str().eq_ignore_ascii_case(column))?;
        match row.as_ref(i)? {
            mysql_async::Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    };
    let definition = match kind {
        ObjectKind::Trigger => text("SQL Original Statement"),
        ObjectKind::Procedure => text("Create Procedure"),
        ObjectKind::Function => text("Create Function"),
        ObjectKind::Event => text("Create Event"),
    }?;
    let definition = without_database(&definition, database);
    Some(SchemaObject {
        kind,
        name: name.to_string(),
        table: table.map(str::to_string),
        context: ObjectContext {
            definer: definer(&definition),
            sql_mode: text("sql_mode"),
            time_zone: text("time_zone"),
            character_set_client: text("character_set_client"),
            collation_connection: text("collation_connection"),
            database_collation: text("Database Collation"),
            action_order: None,
        },
        definition,
    })
}

/// `definition` without the database's own name where it qualifies the
/// object's name (`CREATE TRIGGER shop.t … ON shop.orders`, as the user
/// typed it, is what the server keeps): run as it is on a target, it
/// would create the object in the source's database (on one server, the
/// source itself), and it would never compare equal to the target's.
fn without_database(definition: &str, database: &str) -> String {
    let tokens = lexer::tokens(definition);
    let Some(kind_at) = tokens.iter().position(|t| {
        ["TRIGGER", "PROCEDURE", "FUNCTION", "EVENT"]
            .iter()
            .any(|k| t.is(k))
    }) else {
        return definition.to_string();
    };
    let mut name_at = kind_at + 1;
    if tokens.get(name_at).is_some_and(|t| t.is("IF")) {
        name_at += 3; // IF NOT EXISTS
    }
    let mut qualified = vec![name_at];
    if tokens[kind_at].is("TRIGGER") {
        if let Some(on) = tokens.iter().skip(name_at).position(|t| t.is("ON")) {
            qualified.push(name_at + on + 1);
        }
    }
    let mut out = definition.to_string();
    for &at in qualified.iter().rev() {
        let Some(token) = tokens.get(at) else {
            continue;
        };
        if let Some(prefix) = database_prefix(token.text, database) {
            out.replace_range(token.start..token.start + prefix, "");
        }
    }
    out
}

/// The length of `database.` at the start of `name` (either part quoted
/// or not), if it starts so.
fn database_prefix(name: &str, database: &str) -> Option<usize> {
    let first_end = if name.starts_with('`') {
        lexer::skip_quoted(name, 0)?
    } else {
        name.find('.')?
    };
    let first = &name[..first_end];
    let unquoted = match lexer::read_ident(first) {
        Some((ident, _)) => ident,
        None => first.to_string(),
    };
    (unquoted == database && name[first_end..].starts_with('.')).then_some(first_end + 1)
}

fn keyword(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Procedure => "PROCEDURE",
        ObjectKind::Function => "FUNCTION",
        ObjectKind::Trigger => "TRIGGER",
        ObjectKind::Event => "EVENT",
    }
}

/// `user@host` out of `CREATE DEFINER=`user`@`host` …` (either quote).
fn definer(definition: &str) -> Option<String> {
    let rest = &definition[definition.find("DEFINER=")? + "DEFINER=".len()..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let unquote = |part: &str| {
        for q in ['`', '"'] {
            if let Some(inner) = part.strip_prefix(q).and_then(|p| p.strip_suffix(q)) {
                return inner.replace(&format!("{q}{q}"), &q.to_string());
            }
        }
        part.to_string()
    };
    let (user, host) = rest[..end].rsplit_once('@')?;
    Some(format!("{}@{}", unquote(user), unquote(host)))
}

/// The statements that create `object` in the session it was created in:
/// the session's settings saved, the object's set, the CREATE (with its
/// DEFINER), the session's settings back.
pub fn create(object: &SchemaObject) -> Vec<String> {
    let context = &object.context;
    let settings: Vec<(&str, &Option<String>)> = vec![
        ("sql_mode", &context.sql_mode),
        ("character_set_client", &context.character_set_client),
        ("collation_connection", &context.collation_connection),
        ("time_zone", &context.time_zone),
    ];
    let settings: Vec<(&str, &String)> = settings
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| (name, v)))
        .collect();
    if settings.is_empty() {
        return vec![object.definition.clone()];
    }
    let saved = |name: &str| format!("@lockstep_saved_{name}");
    let list = |f: &dyn Fn(&str, &String) -> String| {
        settings
            .iter()
            .map(|(name, value)| f(name, value))
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        format!(
            "SET {}",
            list(&|name, _| format!("{} = @@SESSION.{name}", saved(name)))
        ),
        format!(
            "SET SESSION {}",
            list(&|name, value| format!("{name} = {}", quote_string(value)))
        ),
        object.definition.clone(),
        format!(
            "SET SESSION {}",
            list(&|name, _| format!("{name} = {}", saved(name)))
        ),
    ]
}

/// `DROP TRIGGER|PROCEDURE|FUNCTION|EVENT name`.
pub fn drop(object: &SchemaObject) -> String {
    format!(
        "DROP {} {}",
        keyword(object.kind),
        quote_ident(&object.name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_database_is_taken_out_of_an_object_s_names() {
        assert_eq!(
            without_database(
                "CREATE DEFINER=`root`@`%` TRIGGER shop.t BEFORE INSERT ON `shop`.`orders` \
                 FOR EACH ROW SET NEW.v = shop.f(1)",
                "shop"
            ),
            "CREATE DEFINER=`root`@`%` TRIGGER t BEFORE INSERT ON `orders` \
             FOR EACH ROW SET NEW.v = shop.f(1)"
        );
        assert_eq!(
            without_database("CREATE PROCEDURE `shop`.`p`() SELECT 1", "shop"),
            "CREATE PROCEDURE `p`() SELECT 1"
        );
        // another database, a name with a dot inside its quotes: kept
        for kept in [
            "CREATE PROCEDURE other.p() SELECT 1",
            "CREATE EVENT `shop.e` ON SCHEDULE EVERY 1 DAY DO SELECT 1",
            "CREATE TRIGGER t BEFORE INSERT ON orders FOR EACH ROW SET NEW.v = 1",
        ] {
            assert_eq!(without_database(kept, "shop"), kept);
        }
    }

    #[test]
    fn the_definer_is_read_in_either_quoting() {
        assert_eq!(
            definer("CREATE DEFINER=`root`@`localhost` PROCEDURE `p`()").as_deref(),
            Some("root@localhost")
        );
        assert_eq!(
            definer("CREATE DEFINER=\"a`b\"@\"%\" TRIGGER t").as_deref(),
            Some("a`b@%")
        );
        assert_eq!(definer("CREATE TRIGGER t"), None);
    }

    #[test]
    fn an_object_is_created_inside_its_own_session_context() {
        let object = SchemaObject {
            kind: ObjectKind::Trigger,
            name: "t_ins".into(),
            table: Some("t".into()),
            definition: "CREATE DEFINER=`root`@`localhost` TRIGGER t_ins BEFORE INSERT ON t FOR EACH ROW SET NEW.v = 1".into(),
            context: ObjectContext {
                sql_mode: Some("ANSI_QUOTES".into()),
                character_set_client: Some("utf8mb4".into()),
                collation_connection: Some("utf8mb4_general_ci".into()),
                ..ObjectContext::default()
            },
        };
        let statements = create(&object);
        assert_eq!(
            statements,
            [
                "SET @lockstep_saved_sql_mode = @@SESSION.sql_mode, \
                 @lockstep_saved_character_set_client = @@SESSION.character_set_client, \
                 @lockstep_saved_collation_connection = @@SESSION.collation_connection",
                "SET SESSION sql_mode = 'ANSI_QUOTES', character_set_client = 'utf8mb4', \
                 collation_connection = 'utf8mb4_general_ci'",
                object.definition.as_str(),
                "SET SESSION sql_mode = @lockstep_saved_sql_mode, \
                 character_set_client = @lockstep_saved_character_set_client, \
                 collation_connection = @lockstep_saved_collation_connection",
            ]
        );
    }
}
