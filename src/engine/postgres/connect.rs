//! Opening a PostgreSQL session: the URL's parameters (`sslmode` and
//! `sslrootcert`, as libpq reads them: see `tls`), the connect timeout, the session settings every value is read and written in, a
//! read-only session unless the role writes, the server's version, and
//! the round trip to it (measured on the first session to a server).

use futures_util::TryStreamExt;
use std::path::PathBuf;
use tokio_postgres::error::SqlState;

use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Config, NoTls, SimpleQueryMessage, Socket};

use super::tls::{self, SslMode};

use crate::catalog::model::Flavor;
use crate::engine::{ConnectOptions, Link, Role};
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
    // A table's policies never filter what lockstep reads or writes
    // unseen: where they would apply (the account neither owns the table
    // nor bypasses row-level security, or the table forces it), the
    // statement fails and says so.
    "SET row_security = off",
];

/// The URL's TLS settings.
struct TlsParams {
    mode: SslMode,
    root_cert: Option<PathBuf>,
}

/// Reads the URL's parameters; unknown ones are refused so a typo never
/// silently weakens a setting. Without `sslmode`, TLS is preferred, as
/// libpq does.
fn check_params(server: &ServerUrl) -> Result<TlsParams> {
    let bad = |message: String| Error::Url {
        url: format!("postgres://{server}"),
        message,
    };
    let mut params = TlsParams {
        mode: SslMode::Prefer,
        root_cert: None,
    };
    for (key, value) in &server.params {
        match key.as_str() {
            "sslmode" => {
                params.mode = SslMode::parse(value).ok_or_else(|| {
                    bad(format!(
                        "unknown sslmode `{value}`; use disable, allow, prefer, require, verify-ca or verify-full"
                    ))
                })?
            }
            "sslrootcert" if !value.is_empty() => params.root_cert = Some(PathBuf::from(value)),
            "sslrootcert" => return Err(bad("sslrootcert needs a file path".to_string())),
            other => {
                return Err(bad(format!(
                    "unknown parameter `{other}`; PostgreSQL URLs take sslmode and sslrootcert"
                )))
            }
        }
    }
    Ok(params)
}

/// Opens the session over `tls` and starts the task that does its I/O
/// (it ends when the client is dropped).
async fn open<T>(config: &Config, tls: T) -> std::result::Result<Client, tokio_postgres::Error>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Connects, sets the session up and reads the server's version; times
/// the round trip unless `known` (the first session's link) is given.
pub(super) async fn connect(
    server: &ServerUrl,
    options: &ConnectOptions,
    role: Role,
    known: Option<Link>,
) -> Result<(Client, Flavor, Link)> {
    let tls = check_params(server)?;
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
        .connect_timeout(options.connect_timeout)
        .ssl_mode(tls.mode.wire());
    if let Some(password) = &server.password {
        config.password(password);
    }
    let opened = async {
        match tls.mode {
            SslMode::Disable => Ok(open(&config, NoTls).await),
            mode => match tls::connector(mode, tls.root_cert.as_deref()) {
                Ok(connector) => Ok(open(&config, connector).await),
                Err(message) => Err(message),
            },
        }
    };
    let client = match tokio::time::timeout(options.connect_timeout, opened).await {
        Err(_) => return Err(fail(options.no_answer(), server.unreachable_hint())),
        Ok(Err(message)) => {
            let hint = "fix sslrootcert, or connect with sslmode=require or prefer".to_string();
            return Err(fail(message, hint));
        }
        Ok(Ok(Err(e))) => {
            let hint = connect_hint(&e, server, tls.mode);
            return Err(fail(error_text(&e), hint));
        }
        Ok(Ok(Ok(client))) => client,
    };
    let flavor = setup_session(&client, role).await.map_err(|e| {
        fail(
            e.to_string(),
            "check that the account may set session parameters".to_string(),
        )
    })?;
    let link = match known {
        Some(link) => link,
        None => {
            // An empty query is one round trip with nothing to parse.
            let rtt = Link::smallest_round_trip(async || client.simple_query("").await.map(drop));
            let rtt = rtt.await.map_err(|e| {
                fail(
                    error_text(&e),
                    "the server stopped answering right after the login; check the network"
                        .to_string(),
                )
            })?;
            let bytes_per_sec = match rtt >= Link::PROBE_THROUGHPUT_FROM {
                true => Some(throughput(&client).await.map_err(|e| {
                    fail(
                        error_text(&e),
                        "the server stopped answering while the link's throughput was timed; check the network"
                            .to_string(),
                    )
                })?),
                false => None,
            };
            Link {
                rtt,
                compressed: false,
                hashes_compressed: false,
                bytes_per_sec,
            }
        }
    };
    Ok((client, flavor, link))
}

/// The throughput probe: 512 rows of 1 KiB (PostgreSQL's protocol does
/// not compress, so any bytes will do and the server makes these for
/// nothing).
const PROBE_SQL: &str = "SELECT repeat('x', 1024) FROM generate_series(1, 512)";

/// The rate, in bytes a second, at which the probe's answer arrives,
/// timed from its first row to its last.
async fn throughput(client: &Client) -> std::result::Result<u64, tokio_postgres::Error> {
    let answer = client
        .query_raw(PROBE_SQL, std::iter::empty::<i32>())
        .await?;
    futures_util::pin_mut!(answer);
    let mut bytes = 0usize;
    let mut first = None;
    while let Some(row) = answer.try_next().await? {
        match first {
            None => first = Some(std::time::Instant::now()),
            Some(_) => bytes += row.get::<_, &str>(0).len(),
        }
    }
    Ok(Link::rate_since(first, bytes))
}

/// [`SESSION_SETTINGS`], JIT off, read-only transactions unless the role writes;
/// reads the server's version.
async fn setup_session(client: &Client, role: Role) -> Result<Flavor> {
    // One round trip: the settings and the version in one simple query.
    let mut statements: Vec<&str> = SESSION_SETTINGS.to_vec();
    // No JIT compiling: the planner overestimates the catalog queries
    // (compiling the one for indexes takes ten times as long as running
    // it), and the output functions that a scan's hashing spends its time
    // in are not compiled anyway.
    statements.push("SET jit = off");
    if !role.writes() {
        statements.push("SET default_transaction_read_only = on");
    }
    statements.push("SHOW server_version");
    let sql = statements.join("; ");
    let answer = client
        .simple_query(&sql)
        .await
        .map_err(|e| Error::statement("setting up the session", &sql, error_text(&e)))?;
    let full = answer
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(row) => row.get(0),
            _ => None,
        })
        .unwrap_or_default();
    let version = full
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    Ok(Flavor::Postgres { version })
}

/// A client error with every cause under it (a TLS failure's reason is
/// two levels down).
fn error_chain(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// The server's message with its SQLSTATE and detail (and what to do,
/// where a row-level security policy stopped the statement), or the
/// client's with its causes.
pub fn error_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!("; {detail}"));
            }
            // `row_security = off`: a policy would have filtered the rows.
            if db
                .message()
                .starts_with("query would be affected by row-level security policy")
            {
                text.push_str(
                    "; lockstep reads and writes every row: connect as a role that bypasses \
                     row-level security (a superuser, or one WITH BYPASSRLS), or as the table's \
                     owner where the table does not FORCE ROW LEVEL SECURITY",
                );
            }
            text
        }
        None => error_chain(e),
    }
}

/// What the user can do about a failed connection, by error kind.
fn connect_hint(error: &tokio_postgres::Error, server: &ServerUrl, mode: SslMode) -> String {
    let Some(db) = error.as_db_error() else {
        let text = error_chain(error);
        if text.contains("does not support TLS") {
            return format!(
                "the server does not offer TLS, which sslmode={} requires: enable ssl on the server, or connect with sslmode=prefer or disable",
                mode.as_str()
            );
        }
        if text.contains("certificate") || text.contains("TLS") || text.contains("tls") {
            let name = match mode {
                SslMode::VerifyFull => format!(
                    " (verify-full also needs the certificate to name `{}`: connect by that name, or use verify-ca)",
                    server.host
                ),
                _ => String::new(),
            };
            return format!(
                "the TLS handshake failed: check sslrootcert (the CA that signed the server's certificate) and sslmode={}{name}",
                mode.as_str()
            );
        }
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
