//! A TCP proxy in front of the test MySQL/MariaDB server that cuts one
//! connection once a set number of bytes has gone through it in one
//! direction (counted over every connection it carries): the connection
//! that carries byte N is shut on both ends, as a network failure would,
//! and every connection after that is carried whole. Or, as a slow link,
//! one that cuts nothing and holds every chunk it reads (up to 16 KiB)
//! for a while before passing it on, each way: a round trip of at least
//! twice that, and a throughput of at most 16 KiB per hold.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Which way the counted bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From lockstep to the server (statements, rows written).
    ToServer,
    /// From the server to lockstep (rows read).
    ToClient,
}

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
}

pub struct Proxy {
    pub port: u16,
    cut: Arc<Cut>,
    closing: Arc<AtomicBool>,
}

impl Proxy {
    /// Listens on a free port of 127.0.0.1 and forwards to the test
    /// server; cuts once after `after_bytes` bytes going `direction`.
    pub fn cutting(direction: Direction, after_bytes: u64) -> Proxy {
        Proxy::start(direction, after_bytes, std::time::Duration::ZERO)
    }

    /// A slow link to the test server: nothing cut, every chunk held for
    /// `hold` each way.
    pub fn slow(hold: std::time::Duration) -> Proxy {
        Proxy::start(Direction::ToClient, u64::MAX, hold)
    }

    fn start(direction: Direction, after_bytes: u64, hold: std::time::Duration) -> Proxy {
        let (host, port) = upstream();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let cut = Arc::new(Cut {
            direction,
            after_bytes,
            seen: AtomicU64::new(0),
            armed: AtomicBool::new(true),
            cuts: AtomicU64::new(0),
            hold,
        });
        let closing = Arc::new(AtomicBool::new(false));
        let proxy = Proxy {
            port: listener.local_addr().unwrap().port(),
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
        let server = super::mysql_server_url();
        let lockstep::url::DatabaseUrl::MySql(s) =
            lockstep::url::DatabaseUrl::parse(&format!("{server}/x")).unwrap()
        else {
            panic!("LOCKSTEP_TEST_MYSQL_URL must be mysql://")
        };
        let password = s.password.map(|p| format!(":{p}")).unwrap_or_default();
        format!(
            "mysql://{}{password}@127.0.0.1:{}/{name}",
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

/// The test server's host and port.
fn upstream() -> (String, u16) {
    let server = super::mysql_server_url();
    match lockstep::url::DatabaseUrl::parse(&format!("{server}/x")).unwrap() {
        lockstep::url::DatabaseUrl::MySql(s) => (s.host, s.port),
        _ => panic!("LOCKSTEP_TEST_MYSQL_URL must be mysql://"),
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
            let mut buffer = [0u8; 16 * 1024];
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
