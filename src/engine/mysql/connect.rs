//! Opening a MySQL/MariaDB session: TLS chosen by the URL's `ssl-mode` /
//! `ssl-ca`, the compressed protocol by `compress` (and, for `auto`, by the
//! round trip measured on the first session), the configured network
//! timeouts, a utf8mb4 session (read-only unless it serves a target that is
//! written), the server's flavor, and errors that say what to do without
//! ever showing the password.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Compression, DriverError, OptsBuilder, SslOpts};

use super::batch::{self, Statement};
use crate::catalog::model::Flavor;
use crate::engine::{ConnectOptions, Link, Role};
use crate::error::{Error, Result};
use crate::url::ServerUrl;

/// TLS choice from `ssl-mode`, with the MySQL client's meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    Disabled,
    /// TLS when the server offers it, plain otherwise (the default).
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

/// `compress`: MySQL's compressed protocol (zlib over every packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compress {
    /// Compressed when the first session's round trip is at least
    /// `AUTO_COMPRESS_RTT` (the default).
    Auto,
    On,
    Off,
}

/// `compress = auto` compresses from this round trip on. Measured over the
/// benchmark's emulated links (bench/README.md, "Compression"): compression
/// pays on 20 ms / 100 Mbit/s and 50 ms / 20 Mbit/s, not on 1 ms / 1 Gbit/s
/// or loopback, where zlib on the server costs more than the bytes it saves.
const AUTO_COMPRESS_RTT: Duration = Duration::from_millis(5);

/// Under `compress = auto`, streams of keys and row hashes go over an
/// uncompressed session of their own (`Link::hashes_compressed`) from
/// this throughput on, in bytes a second (40 Mbit/s). Measured on the
/// benchmark's `job_orders` (590,000 rows, MariaDB 10.11): the key-and-hash
/// stream cost the server 0.75-0.86 s of CPU uncompressed and 1.42-1.50 s
/// compressed, about 1.1 µs a row of zlib, in series with the hashing; the
/// random hashes let zlib save only about 5 of a row's 18 bytes, which
/// take longer than that to cross only below about 40 Mbit/s.
const PLAIN_HASHES_FROM: u64 = 5_000_000;

/// The throughput probe: 512 rows of 1 KiB of random bytes (512 KiB,
/// about 42 ms at 100 Mbit/s), made by the server's fast `RANDOM_BYTES`
/// (MySQL 5.6, MariaDB 10.10 on). A recursive CTE of 512 rows stays
/// under MySQL's `cte_max_recursion_depth` (1000).
const PROBE_SQL: [&str; 2] = [
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 512) \
     SELECT RANDOM_BYTES(1024) FROM n",
    // Without RANDOM_BYTES: SHA-512 of random numbers, 16 to a row
    // (four MD5s a row made the server, not the link, set the pace).
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 512) \
     SELECT CONCAT(UNHEX(SHA2(RAND(), 512)), UNHEX(SHA2(RAND(), 512)), UNHEX(SHA2(RAND(), 512)), \
     UNHEX(SHA2(RAND(), 512)), UNHEX(SHA2(RAND(), 512)), UNHEX(SHA2(RAND(), 512)), \
     UNHEX(SHA2(RAND(), 512)), UNHEX(SHA2(RAND(), 512)), UNHEX(SHA2(RAND(), 512)), \
     UNHEX(SHA2(RAND(), 512)), UNHEX(SHA2(RAND(), 512)), UNHEX(SHA2(RAND(), 512)), \
     UNHEX(SHA2(RAND(), 512)), UNHEX(SHA2(RAND(), 512)), UNHEX(SHA2(RAND(), 512)), \
     UNHEX(SHA2(RAND(), 512))) FROM n",
];

/// The URL's query parameters.
struct Params {
    ssl: SslMode,
    ca: Option<PathBuf>,
    compress: Compress,
}

/// Reads the URL's query parameters; unknown ones are refused so a typo
/// never silently weakens TLS.
fn url_params(server: &ServerUrl) -> Result<Params> {
    let bad = |message: String| Error::Url {
        url: format!("mysql://{server}"),
        message,
    };
    let mut mode = SslMode::Preferred;
    let mut ca = None;
    let mut compress = Compress::Auto;
    for (key, value) in &server.params {
        match key.as_str() {
            "ssl-mode" => {
                mode = match value.to_ascii_lowercase().as_str() {
                    "disabled" => SslMode::Disabled,
                    "preferred" => SslMode::Preferred,
                    "required" => SslMode::Required,
                    "verify_ca" => SslMode::VerifyCa,
                    "verify_identity" => SslMode::VerifyIdentity,
                    other => {
                        return Err(bad(format!(
                            "unknown ssl-mode `{other}`; use disabled, preferred, required, verify_ca or verify_identity"
                        )))
                    }
                }
            }
            "ssl-ca" if !value.is_empty() => ca = Some(PathBuf::from(value)),
            "ssl-ca" => return Err(bad("ssl-ca needs a file path".to_string())),
            "compress" => {
                compress = match value.to_ascii_lowercase().as_str() {
                    "auto" => Compress::Auto,
                    "true" => Compress::On,
                    "false" => Compress::Off,
                    other => {
                        return Err(bad(format!(
                            "unknown compress `{other}`; use auto, true or false"
                        )))
                    }
                }
            }
            other => {
                return Err(bad(format!(
                    "unknown parameter `{other}`; MySQL URLs take ssl-mode, ssl-ca and compress"
                )))
            }
        }
    }
    Ok(Params {
        ssl: mode,
        ca,
        compress,
    })
}

fn ssl_opts(mode: SslMode, ca: Option<&PathBuf>) -> Option<SslOpts> {
    let base =
        SslOpts::default().with_root_certs(ca.map(|p| vec![p.clone().into()]).unwrap_or_default());
    match mode {
        SslMode::Disabled => None,
        SslMode::Preferred | SslMode::Required => Some(
            base.with_danger_accept_invalid_certs(true)
                .with_danger_skip_domain_validation(true),
        ),
        SslMode::VerifyCa => Some(base.with_danger_skip_domain_validation(true)),
        SslMode::VerifyIdentity => Some(base),
    }
}

/// Connects and sets the session up; returns the connection, the server's
/// flavor and the link. `known`: the link as the first session to this
/// server measured it; `None` measures it (and, for `compress = auto`,
/// opens the session again compressed when the round trip says so).
pub(super) async fn connect(
    server: &ServerUrl,
    options: &ConnectOptions,
    role: Role,
    known: Option<Link>,
) -> Result<(mysql_async::Conn, Flavor, Link)> {
    let params = url_params(server)?;
    let compress_now = match (params.compress, known) {
        (Compress::On, _) => true,
        (Compress::Off, _) => false,
        (Compress::Auto, Some(link)) => link.compressed,
        (Compress::Auto, None) => false,
    };
    let mut conn = open(server, options, role, &params, compress_now).await?;
    let link = match known {
        Some(link) => link,
        None => {
            let rtt = Link::smallest_round_trip(async || conn.ping().await);
            let rtt = rtt.await.map_err(|e| Error::Connect {
                role: role.as_str(),
                endpoint: server.to_string(),
                message: server.scrub(&e.to_string()),
                hint: "the server stopped answering right after the login; check the network"
                    .to_string(),
            })?;
            let compressed = match params.compress {
                Compress::Auto => rtt >= AUTO_COMPRESS_RTT,
                other => other == Compress::On,
            };
            if compressed != compress_now {
                // best effort: a session that fails to say goodbye is closed all the same
                let _ = conn.disconnect().await;
                conn = open(server, options, role, &params, compressed).await?;
            }
            let bytes_per_sec = match rtt >= Link::PROBE_THROUGHPUT_FROM {
                true => Some(throughput(&mut conn).await.map_err(|e| Error::Connect {
                    role: role.as_str(),
                    endpoint: server.to_string(),
                    message: server.scrub(&e.to_string()),
                    hint: "the server stopped answering while the link's throughput was timed; check the network"
                        .to_string(),
                })?),
                false => None,
            };
            let hashes_compressed = compressed
                && (params.compress == Compress::On
                    || bytes_per_sec.is_none_or(|rate| rate < PLAIN_HASHES_FROM));
            Link {
                rtt,
                compressed,
                hashes_compressed,
                bytes_per_sec,
            }
        }
    };
    let flavor = setup_session(&mut conn, options, role)
        .await
        .map_err(|e| Error::Connect {
            role: role.as_str(),
            endpoint: server.to_string(),
            message: server.scrub(&e.to_string()),
            hint: "check that the account may set session variables".to_string(),
        })?;
    Ok((conn, flavor, link))
}

/// The rate, in bytes a second, at which one answer of 512 KiB of
/// random bytes (incompressible, so a compressed session carries them
/// whole) arrives, timed from its first row to its last: the round trip
/// before the first row is not part of it.
async fn throughput(conn: &mut mysql_async::Conn) -> std::result::Result<u64, mysql_async::Error> {
    let mut answer = match conn.query_iter(PROBE_SQL[0]).await {
        Ok(answer) => answer,
        // A server without RANDOM_BYTES says so; the other probe works anywhere.
        Err(mysql_async::Error::Server(_)) => conn.query_iter(PROBE_SQL[1]).await?,
        Err(e) => return Err(e),
    };
    let mut bytes = 0usize;
    let mut first: Option<Instant> = None;
    while let Some(row) = answer.next().await? {
        let row: mysql_async::Row = row;
        match first {
            None => first = Some(Instant::now()),
            Some(_) => bytes += row.get::<Vec<u8>, _>(0).map_or(0, |b| b.len()),
        }
    }
    Ok(Link::rate_since(first, bytes))
}

/// Opens one session: TLS as `ssl-mode` says, compressed or not.
async fn open(
    server: &ServerUrl,
    options: &ConnectOptions,
    role: Role,
    params: &Params,
    compressed: bool,
) -> Result<mysql_async::Conn> {
    let (mode, ca) = (params.ssl, params.ca.as_ref());
    let fail = |message: String, hint: String| Error::Connect {
        role: role.as_str(),
        endpoint: server.to_string(),
        message: server.scrub(&message),
        hint,
    };
    let builder = OptsBuilder::default()
        .ip_or_hostname(server.host.clone())
        .tcp_port(server.port)
        .user(Some(server.user.clone()))
        .pass(server.password.clone())
        .db_name(Some(server.database.clone()))
        .prefer_socket(false)
        // The server sends a row bigger than its own max_allowed_packet
        // (each value is smaller): take packets up to the protocol's
        // largest, 1 GiB, rather than the server's limit for statements.
        .max_allowed_packet(Some(1 << 30))
        // The driver would ask the server for wait_timeout (a round trip
        // per session) only to expire idle pooled connections: lockstep
        // has no pool.
        .wait_timeout(Some(28_800))
        // zlib's fastest level for what lockstep sends; the server
        // compresses what it sends at a level of its own
        .compression(compressed.then(Compression::fast));
    let attempt = |ssl: Option<SslOpts>| {
        let opts = builder.clone().ssl_opts(ssl);
        async move { tokio::time::timeout(options.connect_timeout, mysql_async::Conn::new(opts)).await }
    };
    let mut outcome = attempt(ssl_opts(mode, ca)).await;
    if mode == SslMode::Preferred {
        if let Ok(Err(mysql_async::Error::Driver(DriverError::NoClientSslFlagFromServer))) = outcome
        {
            outcome = attempt(None).await;
        }
    }
    match outcome {
        Err(_) => Err(fail(options.no_answer(), server.unreachable_hint())),
        Ok(Err(e)) => {
            let hint = connect_hint(&e, server);
            Err(fail(e.to_string(), hint))
        }
        Ok(Ok(conn)) => Ok(conn),
    }
}

/// utf8mb4, the network timeouts, read-only unless the role writes; reads the
/// server's version. One round trip.
async fn setup_session(
    conn: &mut mysql_async::Conn,
    options: &ConnectOptions,
    role: Role,
) -> Result<Flavor> {
    let what = "setting up the session";
    let mut statements = vec![
        Statement::new(what, "SET NAMES utf8mb4"),
        Statement::new(
            what,
            format!(
                "SET SESSION net_read_timeout = {}, net_write_timeout = {}",
                options.read_timeout.as_secs().max(1),
                options.write_timeout.as_secs().max(1)
            ),
        ),
    ];
    if !role.writes() {
        statements.push(Statement::new(what, "SET SESSION TRANSACTION READ ONLY"));
    }
    statements.push(Statement::new(
        "reading the server version",
        "SELECT VERSION()",
    ));
    let answers = batch::query_all(conn, &statements, batch::schema_error).await?;
    let version: String = answers
        .into_iter()
        .last()
        .and_then(|rows| batch::first_value(rows, 0))
        .unwrap_or_default();
    Ok(if version.to_ascii_lowercase().contains("mariadb") {
        Flavor::MariaDb { version }
    } else {
        Flavor::MySql { version }
    })
}

/// What the user can do about a failed connection, by error kind.
fn connect_hint(error: &mysql_async::Error, server: &ServerUrl) -> String {
    match error {
        mysql_async::Error::Server(e) => match e.code {
            1045 | 1044 | 1698 => "check user and password".to_string(),
            1049 => format!(
                "database `{}` does not exist: create it or fix the database name",
                server.database
            ),
            1130 => format!(
                "the server refuses connections from this host for user `{}`; grant access or connect from an allowed host",
                server.user
            ),
            _ => "see the server's message above".to_string(),
        },
        mysql_async::Error::Driver(DriverError::NoClientSslFlagFromServer) => {
            "the server does not offer TLS; use ssl-mode=preferred or disabled, or enable TLS on the server".to_string()
        }
        mysql_async::Error::Io(mysql_async::IoError::Tls(_)) => {
            "the TLS handshake failed; check ssl-ca and ssl-mode against the server's certificate".to_string()
        }
        mysql_async::Error::Io(_) | mysql_async::Error::Driver(_) => server.unreachable_hint(),
        _ => "check the connection settings".to_string(),
    }
}
