//! A TCP proxy in front of the test MySQL/MariaDB (or PostgreSQL) server that cuts one
//! connection once a set number of bytes has gone through it in one
//! direction (counted over every connection it carries): the connection
//! that carries byte N is shut on both ends, as a network failure would,
//! and every connection after that is carried whole. Or, as a slow link,
//! one that cuts nothing and holds every chunk it reads (up to 16 KiB,
//! or 1 MiB for a wide one) for a while before passing it on, each way: a
//! round trip of at least twice that, and a throughput of at most a chunk
//! per hold.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Which test server the proxy forwards to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    MySql,
    Postgres,
}

impl Upstream {
    /// The server's URL and the parsed endpoint of a database on it.
    fn server(self) -> (String, lockstep::url::ServerUrl) {
        let server = match self {
            Upstream::MySql => super::mysql_server_url(),
            Upstream::Postgres => super::postgres_server_url(),
        };
        let parsed =
            lockstep::url::DatabaseUrl::parse(&format!("{}/x", server.trim_end_matches('/')))
                .unwrap();
        match (self, parsed) {
            (Upstream::MySql, lockstep::url::DatabaseUrl::MySql(s))
            | (Upstream::Postgres, lockstep::url::DatabaseUrl::Postgres(s)) => (server, s),
            _ => panic!("{server}: not a {self:?} URL"),
        }
    }
}

/// Which way the counted bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From lockstep to the server (statements, rows written).
    ToServer,
    /// From the server to lockstep (rows read).
    ToClient,
}

/// The most bytes a chunk of a narrow proxy holds.
const SMALL_CHUNK: usize = 16 * 1024;

/// State shared by the proxy's threads.
struct Cut {
    direction: Direction,
    after_bytes: u64,
    seen: AtomicU64,
    /// Not cut yet.
    armed: AtomicBool,
    /// Connections cut (0 or 1).
    cuts: AtomicU64,
    /// How long each chunk is held before it is passed on.
    hold: std::time::Duration,
    /// The most bytes one chunk holds.
    chunk: usize,
}

pub struct Proxy {
    pub port: u16,
    upstream: Upstream,
    cut: Arc<Cut>,
    closing: Arc<AtomicBool>,
}

impl Proxy {
    /// Listens on a free port of 127.0.0.1 and forwards to the test
    /// server; cuts once after `after_bytes` bytes going `direction`.
    pub fn cutting(direction: Direction, after_bytes: u64) -> Proxy {
        Proxy::cutting_to(Upstream::MySql, direction, after_bytes)
    }

    /// `cutting`, in front of the given test server.
    pub fn cutting_to(upstream: Upstream, direction: Direction, after_bytes: u64) -> Proxy {
        Proxy::start(
            upstream,
            direction,
            after_bytes,
            std::time::Duration::ZERO,
            SMALL_CHUNK,
        )
    }

    /// A slow link to the test server: nothing cut, every chunk held for
    /// `hold` each way.
    pub fn slow(hold: std::time::Duration) -> Proxy {
        Proxy::start(
            Upstream::MySql,
            Direction::ToClient,
            u64::MAX,
            hold,
            SMALL_CHUNK,
        )
    }

    /// A slow link with a wide pipe: chunks of up to 1 MiB held for
    /// `hold` each way (tens of MB/s).
    pub fn slow_wide(hold: std::time::Duration) -> Proxy {
        Proxy::start(
            Upstream::MySql,
            Direction::ToClient,
            u64::MAX,
            hold,
            1 << 20,
        )
    }

    fn start(
        upstream: Upstream,
        direction: Direction,
        after_bytes: u64,
        hold: std::time::Duration,
        chunk: usize,
    ) -> Proxy {
        let (_, server) = upstream.server();
        let (host, port) = (server.host, server.port);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let cut = Arc::new(Cut {
            direction,
            after_bytes,
            seen: AtomicU64::new(0),
            armed: AtomicBool::new(true),
            cuts: AtomicU64::new(0),
            hold,
            chunk,
        });
        let closing = Arc::new(AtomicBool::new(false));
        let proxy = Proxy {
            port: listener.local_addr().unwrap().port(),
            upstream,
            cut: cut.clone(),
            closing: closing.clone(),
        };
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if closing.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect((host.as_str(), port)) else {
                    continue;
                };
                carry(client, server, &cut);
            }
        });
        proxy
    }

    /// The URL of database `name` through this proxy.
    pub fn url(&self, name: &str) -> String {
        let (server, s) = self.upstream.server();
        let scheme = server
            .split_once("://")
            .map_or("mysql", |(scheme, _)| scheme);
        let password = s.password.map(|p| format!(":{p}")).unwrap_or_default();
        format!(
            "{scheme}://{}{password}@127.0.0.1:{}/{name}",
            s.user, self.port
        )
    }

    /// How many connections it has cut so far.
    pub fn cuts(&self) -> u64 {
        self.cut.cuts.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.closing.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so it sees `closing`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Forwards both ways between `client` and `server`, each way on a
/// thread of its own.
fn carry(client: TcpStream, server: TcpStream, cut: &Arc<Cut>) {
    let ends = [client.try_clone().unwrap(), server.try_clone().unwrap()];
    let ways = [
        (
            client.try_clone().unwrap(),
            server.try_clone().unwrap(),
            Direction::ToServer,
        ),
        (server, client, Direction::ToClient),
    ];
    for (mut from, mut to, direction) in ways {
        let cut = cut.clone();
        let ends = [ends[0].try_clone().unwrap(), ends[1].try_clone().unwrap()];
        std::thread::spawn(move || {
            let mut buffer = vec![0u8; cut.chunk];
            loop {
                let n = match from.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if direction == cut.direction && cut.armed.load(Ordering::SeqCst) {
                    let seen = cut.seen.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
                    if seen >= cut.after_bytes && cut.armed.swap(false, Ordering::SeqCst) {
                        cut.cuts.fetch_add(1, Ordering::SeqCst);
                        for end in &ends {
                            let _ = end.shutdown(Shutdown::Both);
                        }
                        return;
                    }
                }
                std::thread::sleep(cut.hold);
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
            // One side closed: close the other's sending half too.
            let _ = to.shutdown(Shutdown::Write);
        });
    }
}
