//! The benchmark's emulated network link: a loopback TCP relay placed in
//! front of one server. Every byte is delayed by half the round-trip time in
//! each direction, and each direction's bandwidth is capped by one token
//! bucket shared by all connections through the relay (as on one real link).
//! A new connection first waits 1.5 round trips, what the TCP handshake
//! costs before the server can answer (SYN, SYN-ACK, ACK).
//!
//! Standard library only: one thread per connection and direction for
//! reading, one for writing. Threads sleep with `nanosleep`, which on Linux
//! wakes within tens of microseconds; an async runtime's millisecond timer
//! would add up to a millisecond per hop, more than the 1 ms link it must
//! emulate.
//!
//! ```text
//! lockstep-bench-relay --listen 127.0.0.1:3317 --to 127.0.0.1:3307 --link 20ms/100mbit
//!                      [--stats 127.0.0.1:3318]
//! ```
//!
//! `--stats`: every connection to that address receives one line, the bytes
//! carried so far: `up <client-to-server bytes> down <server-to-client bytes>
//! connections <count>`.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Largest read, and so the largest unit the bucket charges at once.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight per connection and direction (the link's buffer).
const IN_FLIGHT: usize = 4096;

/// The link's parameters.
#[derive(Debug, Clone, Copy)]
struct Link {
    /// Half the round-trip time: the one-way delay.
    one_way: Duration,
    /// Bytes per second in each direction.
    bytes_per_sec: f64,
}

/// Parses `20ms/100mbit` (delay units us, ms, s; rate units kbit, mbit, gbit).
fn parse_link(text: &str) -> Result<Link, String> {
    let (rtt, rate) = text
        .split_once('/')
        .ok_or_else(|| format!("link `{text}`: expected RTT/BANDWIDTH, e.g. 20ms/100mbit"))?;
    let number = |s: &str, unit: &str| -> Result<f64, String> {
        s.strip_suffix(unit)
            .and_then(|n| n.parse::<f64>().ok())
            .filter(|n| *n >= 0.0)
            .ok_or_else(|| format!("link `{text}`: cannot read `{s}`"))
    };
    let rtt_secs = if rtt.ends_with("us") {
        number(rtt, "us")? / 1e6
    } else if rtt.ends_with("ms") {
        number(rtt, "ms")? / 1e3
    } else {
        number(rtt, "s")?
    };
    let lower = rate.to_ascii_lowercase();
    let bits = if lower.ends_with("gbit") {
        number(&lower, "gbit")? * 1e9
    } else if lower.ends_with("mbit") {
        number(&lower, "mbit")? * 1e6
    } else {
        number(&lower, "kbit")? * 1e3
    };
    if bits <= 0.0 {
        return Err(format!("link `{text}`: the bandwidth must be above zero"));
    }
    Ok(Link {
        one_way: Duration::from_secs_f64(rtt_secs / 2.0),
        bytes_per_sec: bits / 8.0,
    })
}

/// A token bucket in bytes; a taker may overdraw and then sleeps the debt
/// off, so large reads are charged whole and waiting is in arrival order.
struct Bucket {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    fn new(rate: f64) -> Bucket {
        Bucket {
            rate,
            // enough for the sleeps' jitter, small enough not to let a burst
            // pass faster than the line would
            burst: (rate / 1000.0).max(16.0 * 1024.0),
            state: Mutex::new((0.0, Instant::now())),
        }
    }

    /// Charges `bytes`; returns when the line would have carried them.
    fn take(&self, bytes: usize) {
        let wait = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let (tokens, last) = *state;
            let refilled =
                (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.burst);
            let left = refilled - bytes as f64;
            *state = (left, now);
            if left < 0.0 {
                -left / self.rate
            } else {
                0.0
            }
        };
        if wait > 0.0 {
            thread::sleep(Duration::from_secs_f64(wait));
        }
    }
}

/// What travels down one direction: bytes, or the end of the stream, each
/// with the instant it reaches the far side.
enum Piece {
    Data(Instant, Vec<u8>),
    End(Instant),
}

/// One direction's shared state: its bucket and its byte counter.
struct Direction {
    bucket: Bucket,
    bytes: AtomicU64,
}

fn sleep_until(due: Instant) {
    let now = Instant::now();
    if due > now {
        thread::sleep(due - now);
    }
}

/// Reads `from`, charges the bucket, stamps each chunk with its arrival time.
fn read_side(mut from: TcpStream, dir: Arc<Direction>, one_way: Duration, tx: SyncSender<Piece>) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => {
                let _ = tx.send(Piece::End(Instant::now() + one_way));
                return;
            }
            Ok(n) => {
                dir.bytes.fetch_add(n as u64, Ordering::Relaxed);
                dir.bucket.take(n);
                if tx
                    .send(Piece::Data(Instant::now() + one_way, buf[..n].to_vec()))
                    .is_err()
                {
                    let _ = from.shutdown(Shutdown::Read);
                    return;
                }
            }
        }
    }
}

/// Delivers each chunk to `to` when it is due; passes the end on as a
/// half-close; on a write error stops the reading side too.
fn write_side(mut to: TcpStream, from: TcpStream, rx: Receiver<Piece>) {
    for piece in rx {
        match piece {
            Piece::Data(due, data) => {
                sleep_until(due);
                if to.write_all(&data).is_err() {
                    let _ = from.shutdown(Shutdown::Both);
                    return;
                }
            }
            Piece::End(due) => {
                sleep_until(due);
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
        }
    }
}

/// Carries one direction between two sockets.
fn pipe(
    from: &TcpStream,
    to: &TcpStream,
    dir: &Arc<Direction>,
    one_way: Duration,
) -> std::io::Result<()> {
    let (tx, rx) = sync_channel(IN_FLIGHT);
    let (reader, reader_copy, writer) = (from.try_clone()?, from.try_clone()?, to.try_clone()?);
    let dir = Arc::clone(dir);
    thread::spawn(move || read_side(reader, dir, one_way, tx));
    thread::spawn(move || write_side(writer, reader_copy, rx));
    Ok(())
}

fn serve(client: TcpStream, to: &str, link: Link, up: &Arc<Direction>, down: &Arc<Direction>) {
    // the handshake: SYN, SYN-ACK, ACK reach the server 1.5 round trips later
    thread::sleep(link.one_way * 3);
    let server = match TcpStream::connect(to) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("relay: cannot connect to {to}: {e}");
            return;
        }
    };
    for s in [&client, &server] {
        let _ = s.set_nodelay(true);
    }
    if let Err(e) = pipe(&client, &server, up, link.one_way)
        .and_then(|()| pipe(&server, &client, down, link.one_way))
    {
        eprintln!("relay: cannot start a connection to {to}: {e}");
    }
}

fn stats(listen: &str, up: Arc<Direction>, down: Arc<Direction>, conns: Arc<AtomicU64>) {
    let listener = match TcpListener::bind(listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("relay: cannot listen for stats on {listen}: {e}");
            std::process::exit(2);
        }
    };
    for mut s in listener.incoming().flatten() {
        let _ = writeln!(
            s,
            "up {} down {} connections {}",
            up.bytes.load(Ordering::Relaxed),
            down.bytes.load(Ordering::Relaxed),
            conns.load(Ordering::Relaxed)
        );
    }
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "relay: {problem}\nusage: lockstep-bench-relay --listen ADDR --to ADDR --link RTT/BANDWIDTH [--stats ADDR]\n  e.g. --listen 127.0.0.1:3317 --to 127.0.0.1:3307 --link 20ms/100mbit"
    );
    std::process::exit(2);
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut listen, mut to, mut link, mut stats_at) = (None, None, None, None);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--listen" => listen = Some(value),
            "--to" => to = Some(value),
            "--link" => link = Some(parse_link(&value).unwrap_or_else(|e| usage(&e))),
            "--stats" => stats_at = Some(value),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let listen = listen.unwrap_or_else(|| usage("--listen is required"));
    let to = to.unwrap_or_else(|| usage("--to is required"));
    let link = link.unwrap_or_else(|| parse_link("20ms/100mbit").expect("the default parses"));
    let direction = || {
        Arc::new(Direction {
            bucket: Bucket::new(link.bytes_per_sec),
            bytes: AtomicU64::new(0),
        })
    };
    let (up, down) = (direction(), direction());
    let conns = Arc::new(AtomicU64::new(0));
    let listener = TcpListener::bind(&listen)
        .unwrap_or_else(|e| usage(&format!("cannot listen on {listen}: {e}")));
    if let Some(at) = stats_at {
        let (up, down, conns) = (Arc::clone(&up), Arc::clone(&down), Arc::clone(&conns));
        thread::spawn(move || stats(&at, up, down, conns));
    }
    eprintln!(
        "relay: {listen} -> {to}, one-way delay {:?}, {} Mbit/s each way",
        link.one_way,
        link.bytes_per_sec * 8.0 / 1e6
    );
    for client in listener.incoming() {
        let Ok(client) = client else { continue };
        conns.fetch_add(1, Ordering::Relaxed);
        let (to, up, down) = (to.clone(), Arc::clone(&up), Arc::clone(&down));
        thread::spawn(move || serve(client, &to, link, &up, &down));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_link_specs() {
        let l = parse_link("20ms/100mbit").unwrap();
        assert_eq!(l.one_way, Duration::from_millis(10));
        assert_eq!(l.bytes_per_sec, 12.5e6);
        let l = parse_link("1ms/1gbit").unwrap();
        assert_eq!(l.one_way, Duration::from_micros(500));
        assert_eq!(l.bytes_per_sec, 125e6);
        assert!(parse_link("20ms").is_err());
        assert!(parse_link("20/100mbit").is_err());
        assert!(parse_link("20ms/0mbit").is_err());
    }
}
