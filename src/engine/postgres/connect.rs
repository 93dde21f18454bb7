//! Opening a PostgreSQL session: the URL's parameters (no TLS in this
//! engine yet, so a URL that asks for it is refused), the connect
//! timeout, the session settings every value is read and written in, a
//! read-only session unless the role writes, and the server's version.

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls};

use crate::catalog::model::Flavor;
use crate::engine::{ConnectOptions, Role};
use crate::error::{Error, Result};
use crate::url::ServerUrl;

/// Session settings under which values travel as exact, unambiguous
/// text, for lockstep's own sessions and `--sql-out` scripts alike: ISO
/// dates, timestamps with time zone in UTC, intervals in PostgreSQL's own
/// style, floats with every digit (`extra_float_digits = 3`: the shortest
/// text that reads back to the same bits), bytea in hex. Function bodies
/// are not checked when a function is created (as pg_dump restores):
/// routines are created in name order, and one may call another that
/// comes after it.
pub const SESSION_SETTINGS: &[&str] = &[
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    "SET TimeZone = 'UTC'",
    "SET extra_float_digits = 3",
    "SET bytea_output = 'hex'",
    "SET standard_conforming_strings = on",
    "SET check_function_bodies = off",
];

/// Reads the URL's parameters; unknown ones are refused so a typo never
/// silently weakens a setting.
fn check_params(server: &ServerUrl) -> Result<()> {
    let bad = |message: String| Error::Url {
        url: format!("postgres://{server}"),
        message,
    };
    for (key, value) in &server.params {
        match (key.as_str(), value.as_str()) {
            ("sslmode", "disable" | "allow" | "prefer") => {}
            ("sslmode", other) => {
                return Err(bad(format!(
                    "sslmode={other} asks for TLS, which lockstep's PostgreSQL engine does not have yet; connect over a trusted network or an SSH tunnel with sslmode=disable"
                )))
            }
            (other, _) => {
                return Err(bad(format!(
                    "unknown parameter `{other}`; PostgreSQL URLs take sslmode (disable, allow or prefer)"
                )))
            }
        }
    }
    Ok(())
}

/// Connects, sets the session up and reads the server's version.
pub(super) async fn connect(
    server: &ServerUrl,
    options: &ConnectOptions,
    role: Role,
) -> Result<(Client, Flavor)> {
    check_params(server)?;
    let fail = |message: String, hint: String| Error::Connect {
        role: role.as_str(),
        endpoint: format!("postgres://{server}"),
        message: server.scrub(&message),
        hint,
    };
    let mut config = Config::new();
    config
        .host(&server.host)
        .port(server.port)
        .user(&server.user)
        .dbname(&server.database)
        .application_name("lockstep")
        .connect_timeout(options.connect_timeout);
    if let Some(password) = &server.password {
        config.password(password);
    }
    let (client, connection) =
        match tokio::time::timeout(options.connect_timeout, config.connect(NoTls)).await {
            Err(_) => return Err(fail(options.no_answer(), server.unreachable_hint())),
            Ok(Err(e)) => {
                let hint = connect_hint(&e, server);
                return Err(fail(error_text(&e), hint));
            }
            Ok(Ok(pair)) => pair,
        };
    // The connection object does the socket I/O; it ends when the client
    // is dropped.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let flavor = setup_session(&client, role).await.map_err(|e| {
        fail(
            e.to_string(),
            "check that the account may set session parameters".to_string(),
        )
    })?;
    Ok((client, flavor))
}

/// [`SESSION_SETTINGS`], read-only transactions unless the role writes;
/// reads the server's version.
async fn setup_session(client: &Client, role: Role) -> Result<Flavor> {
    let mut statements: Vec<&str> = SESSION_SETTINGS.to_vec();
    if !role.writes() {
        statements.push("SET default_transaction_read_only = on");
    }
    for sql in statements {
        client
            .batch_execute(sql)
            .await
            .map_err(|e| Error::statement("setting up the session", sql, error_text(&e)))?;
    }
    let sql = "SHOW server_version";
    let row = client
        .query_one(sql, &[])
        .await
        .map_err(|e| Error::statement("reading the server version", sql, error_text(&e)))?;
    let full: String = row.get(0);
    let version = full
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    Ok(Flavor::Postgres { version })
}

/// The server's message with its SQLSTATE and detail, or the client's.
pub fn error_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!("; {detail}"));
            }
            text
        }
        None => e.to_string(),
    }
}

/// What the user can do about a failed connection, by error kind.
fn connect_hint(error: &tokio_postgres::Error, server: &ServerUrl) -> String {
    let Some(db) = error.as_db_error() else {
        return server.unreachable_hint();
    };
    let code = db.code();
    if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
    {
        format!(
            "check the user `{}` and its password, and the server's pg_hba.conf",
            server.user
        )
    } else if *code == SqlState::INVALID_CATALOG_NAME {
        format!(
            "database `{}` does not exist: create it or fix the database name",
            server.database
        )
    } else if *code == SqlState::TOO_MANY_CONNECTIONS {
        "the server has no free connection; lower parallelism or raise max_connections".to_string()
    } else {
        "check the URL and the server's log".to_string()
    }
}
