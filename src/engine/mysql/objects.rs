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

use super::ddl::{quote_ident, quote_string};
use crate::catalog::model::{ObjectContext, ObjectKind, SchemaObject, Unreadable};
use crate::error::{Error, Result};

/// Every trigger, routine and event of `database`, and the kinds the
/// account cannot read completely.
pub async fn read(
    conn: &mut mysql_async::Conn,
    database: &str,
) -> Result<(Vec<SchemaObject>, Vec<Unreadable>)> {
    let (global, on_database) = privileges(conn, database).await?;
    let held = |list: &[String], p: &str| list.iter().any(|q| q.eq_ignore_ascii_case(p));
    let has = |p: &str| held(&global, p) || held(&on_database, p);
    let mut unreadable = Vec::new();
    let mut cannot = |kinds: &[ObjectKind], reason: &str| {
        for &kind in kinds {
            unreadable.push(Unreadable {
                kind,
                reason: reason.to_string(),
            });
        }
    };
    // SELECT on the database does not show routines; on everything it
    // does. EXECUTE or ALTER ROUTINE on them lists every one (the texts
    // may still be hidden: checked one by one below).
    let routines_visible = held(&global, "SELECT")
        || has("EXECUTE")
        || has("ALTER ROUTINE")
        || has("SHOW_ROUTINE")
        || has("SHOW CREATE ROUTINE")
        || reads_mysql_proc(conn, database).await;
    if !routines_visible {
        cannot(
            &[ObjectKind::Procedure, ObjectKind::Function],
            "the account may not see every stored procedure and function \
             (it needs EXECUTE on the database, and SHOW_ROUTINE, SHOW CREATE ROUTINE \
             or SELECT on mysql.proc to read their text)",
        );
    }
    if !has("TRIGGER") {
        cannot(
            &[ObjectKind::Trigger],
            "the account may not see the triggers (it needs the TRIGGER privilege on the database)",
        );
    }
    if !has("EVENT") {
        cannot(
            &[ObjectKind::Event],
            "the account may not see the events (it needs the EVENT privilege on the database)",
        );
    }

    let mut objects = Vec::new();
    let routines: Vec<(String, String)> = conn
        .exec(
            "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES \
             WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') \
             ORDER BY ROUTINE_TYPE DESC, ROUTINE_NAME",
            (database,),
        )
        .await
        .map_err(|e| Error::database(format!("listing the routines of `{database}`"), e))?;
    for (name, kind) in routines {
        let kind = match kind.as_str() {
            "FUNCTION" => ObjectKind::Function,
            _ => ObjectKind::Procedure,
        };
        match show_create(conn, kind, &name, None).await? {
            Some(object) => objects.push(object),
            None => hidden(&mut unreadable, kind, &name),
        }
    }
    // Per table, in firing order within each timing and event: created
    // again in this order, they fire in it.
    let triggers: Vec<(String, String, u32)> = conn
        .exec(
            "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_ORDER FROM information_schema.TRIGGERS \
             WHERE TRIGGER_SCHEMA = ? \
             ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER",
            (database,),
        )
        .await
        .map_err(|e| Error::database(format!("listing the triggers of `{database}`"), e))?;
    for (name, table, order) in triggers {
        match show_create(conn, ObjectKind::Trigger, &name, Some(&table)).await? {
            Some(mut object) => {
                object.context.action_order = Some(order);
                objects.push(object);
            }
            None => hidden(&mut unreadable, ObjectKind::Trigger, &name),
        }
    }
    if has("EVENT") {
        let events: Vec<String> = conn
            .exec(
                "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? \
                 ORDER BY EVENT_NAME",
                (database,),
            )
            .await
            .map_err(|e| Error::database(format!("listing the events of `{database}`"), e))?;
        for name in events {
            match show_create(conn, ObjectKind::Event, &name, None).await? {
                Some(object) => objects.push(object),
                None => hidden(&mut unreadable, ObjectKind::Event, &name),
            }
        }
    }
    Ok((objects, unreadable))
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

/// The privileges the account holds globally, and on `database`.
async fn privileges(
    conn: &mut mysql_async::Conn,
    database: &str,
) -> Result<(Vec<String>, Vec<String>)> {
    const GLOBAL: &str = "SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES \
         WHERE GRANTEE = @lockstep_grantee";
    const SCHEMA: &str = "SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES \
         WHERE GRANTEE = @lockstep_grantee AND ? LIKE TABLE_SCHEMA";
    const GRANTEE: &str = "SET @lockstep_grantee = CONCAT(\"'\", \
         SUBSTRING_INDEX(CURRENT_USER(), '@', 1), \"'@'\", \
         SUBSTRING_INDEX(CURRENT_USER(), '@', -1), \"'\")";
    let failed = |sql: &'static str| {
        move |e: mysql_async::Error| Error::statement("reading the account's privileges", sql, e)
    };
    conn.query_drop(GRANTEE).await.map_err(failed(GRANTEE))?;
    let global = conn.query(GLOBAL).await.map_err(failed(GLOBAL))?;
    let on_database = conn
        .exec(SCHEMA, (database,))
        .await
        .map_err(failed(SCHEMA))?;
    Ok((global, on_database))
}

/// Whether the account reads MariaDB's `mysql.proc` (then it sees every
/// routine's text).
async fn reads_mysql_proc(conn: &mut mysql_async::Conn, database: &str) -> bool {
    conn.exec_drop("SELECT 1 FROM mysql.proc WHERE db = ? LIMIT 1", (database,))
        .await
        .is_ok()
}

/// `SHOW CREATE <kind>`: the object, or `None` when the server hides its
/// text from this account.
async fn show_create(
    conn: &mut mysql_async::Conn,
    kind: ObjectKind,
    name: &str,
    table: Option<&str>,
) -> Result<Option<SchemaObject>> {
    let sql = format!("SHOW CREATE {} {}", keyword(kind), quote_ident(name));
    let row: Option<mysql_async::Row> = conn
        .query_first(&sql)
        .await
        .map_err(|e| Error::statement(format!("reading {kind} `{name}`"), &sql, e))?;
    let Some(row) = row else {
        return Ok(None);
    };
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
    };
    let Some(definition) = definition else {
        return Ok(None);
    };
    Ok(Some(SchemaObject {
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
    }))
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
