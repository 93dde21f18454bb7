//! SSH tunnels: a database server reached through an SSH host
//! (`ssh = "user@bastion:22"`). Engine-free: a tunnel maps a host and
//! port, as the SSH host sees them, to a port on this machine's loopback,
//! and whatever engine connects there.
//!
//! The tunnel is the system `ssh` client (`ssh -N -L ...`), not an SSH
//! library: that is what honours the user's own setup without lockstep
//! re-implementing it — `~/.ssh/config` (Host aliases, ProxyJump,
//! IdentityFile), the agent, known_hosts, hardware keys. It runs in batch
//! mode (never a prompt) with strict host key checking (an unknown or
//! changed host key is refused, never accepted), in its own process group
//! (a Ctrl-C at the terminal reaches lockstep, which stops cleanly, and
//! not the tunnel under it), killed when the [`Tunnel`] is dropped, and on
//! Linux also when lockstep itself dies.

use std::fmt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// Where an SSH tunnel starts: `[user@]host[:port]`, and optionally an
/// ssh config file read instead of the user's own (`ssh -F`).
#[derive(Clone, PartialEq, Eq)]
pub struct SshHop {
    pub user: Option<String>,
    /// A host name, an address, or a `Host` alias of the ssh config.
    pub host: String,
    /// None: the ssh config's port for the host (22 by default).
    pub port: Option<u16>,
    pub config: Option<PathBuf>,
}

impl SshHop {
    /// Parses `[user@]host[:port]` (`[::1]:22` for an IPv6 address). The
    /// error says what is wrong, for the caller to place.
    pub fn parse(text: &str) -> Result<SshHop, String> {
        let (user, hostport) = match text.rsplit_once('@') {
            Some((user, rest)) if !user.is_empty() => (Some(user.to_string()), rest),
            Some(_) => return Err(format!("`{text}` has an empty user name before `@`")),
            None => (None, text),
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            match v6.split_once(']') {
                Some((host, "")) => (host, None),
                Some((host, after)) => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(format!("unexpected text after `]` in `{text}`")),
                },
                None => return Err(format!("unclosed `[` in `{text}`")),
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(format!(
                "`{text}` names no SSH host; write user@host or user@host:port"
            ));
        }
        // A leading `-` would be read by ssh as an option.
        if host.starts_with('-') || user.as_deref().is_some_and(|u| u.starts_with('-')) {
            return Err(format!("`{text}`: a host or user may not start with `-`"));
        }
        if text.chars().any(char::is_whitespace) {
            return Err(format!("`{text}` contains a blank"));
        }
        let port = match port {
            None => None,
            Some(p) => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| format!("SSH port `{p}` is not a number from 1 to 65535"))?,
            ),
        };
        Ok(SshHop {
            user,
            host: host.to_string(),
            port,
            config: None,
        })
    }

    /// How to trust this host's key, for the hint of a refused one.
    fn trust_hint(&self) -> String {
        let port = self.port.map(|p| format!(" -p {p}")).unwrap_or_default();
        let config = match &self.config {
            Some(path) => format!(" -F {}", path.display()),
            None => String::new(),
        };
        let dest = match &self.user {
            Some(user) => format!("{user}@{}", self.host),
            None => self.host.clone(),
        };
        format!(
            "lockstep never accepts an unknown host key: check the key's fingerprint with the host's admin, then connect once with `ssh{config}{port} {dest}` and answer yes (or add the verified key to known_hosts)"
        )
    }
}

impl fmt::Display for SshHop {
    /// `user@host:port` as given (no port if none was given).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        match (self.host.contains(':'), self.port) {
            (true, Some(port)) => write!(f, "[{}]:{port}", self.host),
            (false, Some(port)) => write!(f, "{}:{port}", self.host),
            (_, None) => write!(f, "{}", self.host),
        }
    }
}

impl fmt::Debug for SshHop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a tunnel could not be opened or carried a connection: what failed
/// (naming the SSH host), and what the user can do.
#[derive(Debug)]
pub struct TunnelError {
    pub message: String,
    pub hint: String,
}

/// An open `ssh -N -L` forwarding; the process ends when this is dropped.
pub struct Tunnel {
    child: Child,
    hop: SshHop,
    /// The database's host and port, as the SSH host sees them.
    remote: (String, u16),
    local_port: u16,
    /// What ssh wrote to stderr so far.
    log: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

/// How long a failed connection waits for ssh's reason (see
/// `Tunnel::failure`); only a connection that failed waits.
const REASON_WAIT: Duration = Duration::from_millis(500);

/// Attempts at a free local port: another process may take the one picked
/// between its pick and ssh's bind (ssh then exits, and a new one is tried).
const PORT_ATTEMPTS: usize = 3;

impl Tunnel {
    /// Starts ssh forwarding a free loopback port to `host:port` as seen
    /// from `hop`, and waits (up to `timeout`) until the port accepts.
    pub async fn open(
        hop: &SshHop,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<Tunnel, TunnelError> {
        let mut attempt = 1;
        loop {
            match Self::try_open(hop, host, port, timeout).await {
                Err(Failure::LocalPortTaken(_)) if attempt < PORT_ATTEMPTS => attempt += 1,
                Err(Failure::LocalPortTaken(e)) | Err(Failure::Other(e)) => return Err(e),
                Ok(tunnel) => return Ok(tunnel),
            }
        }
    }

    /// The port on 127.0.0.1 that reaches the database.
    pub fn local_port(&self) -> u16 {
        self.local_port
    }

    /// The database's `host:port`, as the SSH host sees it.
    pub fn remote(&self) -> String {
        format!("{}:{}", self.remote.0, self.remote.1)
    }

    async fn try_open(
        hop: &SshHop,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<Tunnel, Failure> {
        let local_port = free_local_port().map_err(|e| {
            Failure::Other(TunnelError {
                message: format!("cannot find a free local port for the SSH tunnel: {e}"),
                hint: "check that this machine has a loopback interface (127.0.0.1)".to_string(),
            })
        })?;
        let mut command = ssh_command(hop, host, port, local_port, timeout);
        let mut child = command.spawn().map_err(|e| {
            Failure::Other(TunnelError {
                message: format!("cannot run the ssh client for the SSH host {hop}: {e}"),
                hint: "install OpenSSH's client (`ssh` on the PATH); lockstep tunnels through it"
                    .to_string(),
            })
        })?;
        let log = Arc::new(Mutex::new(String::new()));
        let reader = child.stderr.take().map(|mut stderr| {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n @ 1..) = stderr.read(&mut buf).await {
                    let text = String::from_utf8_lossy(&buf[..n]);
                    log.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push_str(&text);
                }
            })
        });
        let mut tunnel = Tunnel {
            child,
            hop: hop.clone(),
            remote: (host.to_string(), port),
            local_port,
            log,
            reader,
        };
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = tunnel.child.try_wait() {
                return Err(tunnel.exited(status).await);
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", local_port))
                .await
                .is_ok()
            {
                return Ok(tunnel);
            }
            if Instant::now() >= deadline {
                return Err(Failure::Other(TunnelError {
                    message: format!(
                        "the SSH host {hop} did not open the tunnel within {} s{}",
                        timeout.as_secs(),
                        tunnel.log_tail()
                    ),
                    hint: format!(
                        "check that `ssh {hop}` logs in without a prompt, or raise connection_timeout"
                    ),
                }));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Why ssh ended before its tunnel was up, from what it wrote.
    async fn exited(&mut self, status: ExitStatus) -> Failure {
        if let Some(reader) = self.reader.take() {
            let _ = reader.await;
        }
        let log = self.log_text();
        let hop = &self.hop;
        let said = |text: &str| log.contains(text);
        let detail = last_lines(&log);
        if said("Host key verification failed")
            || said("host key is known")
            || said("HOST IDENTIFICATION HAS CHANGED")
        {
            return Failure::Other(TunnelError {
                message: format!(
                    "the SSH host {hop} is not trusted: its host key is not in known_hosts, or differs from the one there ({detail})"
                ),
                hint: hop.trust_hint(),
            });
        }
        if said("Permission denied") || said("Too many authentication failures") {
            return Failure::Other(TunnelError {
                message: format!("the SSH host {hop} refused the login ({detail})"),
                hint: "lockstep runs ssh without prompts: load the key into your agent (`ssh-add`) or name it with IdentityFile in ~/.ssh/config, and check the user name".to_string(),
            });
        }
        if said("Could not resolve hostname")
            || said("Connection refused")
            || said("timed out")
            || said("No route to host")
            || said("Network is unreachable")
            || said("Connection closed by")
            || said("Connection reset")
        {
            return Failure::Other(TunnelError {
                message: format!("cannot reach the SSH host {hop} ({detail})"),
                hint: format!("check the SSH host and port ({hop}), and that its SSH server runs"),
            });
        }
        let error = TunnelError {
            message: format!(
                "the SSH tunnel through {hop} to {}:{} failed ({})",
                self.remote.0,
                self.remote.1,
                if detail.is_empty() {
                    format!("ssh ended with {status}")
                } else {
                    detail
                }
            ),
            hint: format!(
                "try `ssh -N -L 127.0.0.1:13306:{}:{} {hop}` to see what ssh says",
                self.remote.0, self.remote.1
            ),
        };
        if said("cannot listen") || said("Address already in use") {
            Failure::LocalPortTaken(error)
        } else {
            Failure::Other(error)
        }
    }

    /// After a database connection through the tunnel failed: the SSH
    /// side's reason, if it has one (the SSH host could not reach the
    /// database, or the tunnel ended). ssh may close the forwarded
    /// connection before its reason reaches its stderr, so a tunnel still
    /// running is given up to `REASON_WAIT` to say it.
    pub async fn failure(&mut self) -> Option<TunnelError> {
        let said = |log: &str| log.contains("open failed");
        let waited = tokio::time::Instant::now();
        while !said(&self.log_text())
            && matches!(self.child.try_wait(), Ok(None))
            && waited.elapsed() < REASON_WAIT
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let log = self.log_text();
        let (host, port) = &self.remote;
        let hop = &self.hop;
        if let Some(line) = log.lines().rev().find(|l| l.contains("open failed")) {
            let reason = line.split("open failed:").nth(1).unwrap_or(line).trim();
            return Some(TunnelError {
                message: format!(
                    "the SSH host {hop} could not open a connection to {host}:{port} ({reason})"
                ),
                hint: format!(
                    "the database's host and port are as {} sees them: check that the database runs there and that the SSH server allows forwarding (AllowTcpForwarding)",
                    hop.host
                ),
            });
        }
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(TunnelError {
                message: format!(
                    "the SSH tunnel through {hop} ended ({status}){}",
                    self.log_tail()
                ),
                hint: format!("check the connection to {}", hop.host),
            });
        }
        None
    }

    fn log_text(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn log_tail(&self) -> String {
        match last_lines(&self.log_text()) {
            tail if tail.is_empty() => tail,
            tail => format!(": {tail}"),
        }
    }
}

/// Why an attempt to open a tunnel failed: the local port picked was taken
/// (worth another port), or anything else.
enum Failure {
    LocalPortTaken(TunnelError),
    Other(TunnelError),
}

/// The ssh command line of a tunnel. Options given here win over the ssh
/// config; everything else is the user's.
fn ssh_command(hop: &SshHop, host: &str, port: u16, local_port: u16, timeout: Duration) -> Command {
    let remote_host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let mut command = Command::new("ssh");
    command.args(["-N", "-T"]);
    for option in [
        "BatchMode=yes".to_string(),
        "StrictHostKeyChecking=yes".to_string(),
        "ExitOnForwardFailure=yes".to_string(),
        format!("ConnectTimeout={}", timeout.as_secs().max(1)),
        "ServerAliveInterval=15".to_string(),
        "ServerAliveCountMax=4".to_string(),
    ] {
        command.arg("-o").arg(option);
    }
    if let Some(config) = &hop.config {
        command.arg("-F").arg(config);
    }
    if let Some(port) = hop.port {
        command.arg("-p").arg(port.to_string());
    }
    if let Some(user) = &hop.user {
        command.arg("-l").arg(user);
    }
    command
        .arg("-L")
        .arg(format!("127.0.0.1:{local_port}:{remote_host}:{port}"))
        .arg("--")
        .arg(&hop.host)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    die_with_parent(&mut command);
    command
}

/// On Linux, the kernel ends ssh when lockstep ends, however it ends (a
/// second Ctrl-C exits at once, without dropping the tunnel). The signal
/// is tied to the thread that spawns: tunnels are opened by the run's own
/// task, whose threads live as long as the process.
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    // SAFETY: prctl is async-signal-safe, as code between fork and exec
    // must be; it touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

/// A loopback port nothing listens on now.
fn free_local_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// The last few lines ssh wrote, on one line (its errors are at the end).
fn last_lines(log: &str) -> String {
    let lines: Vec<&str> = log
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added"))
        .collect();
    lines[lines.len().saturating_sub(3)..].join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hops() {
        let hop = SshHop::parse("deploy@bastion.example:2222").unwrap();
        assert_eq!(hop.user.as_deref(), Some("deploy"));
        assert_eq!(hop.host, "bastion.example");
        assert_eq!(hop.port, Some(2222));
        assert_eq!(hop.to_string(), "deploy@bastion.example:2222");
        let alias = SshHop::parse("prod-bastion").unwrap();
        assert_eq!((alias.user, alias.port), (None, None));
        assert_eq!(SshHop::parse("u@[::1]:22").unwrap().host, "::1");
        assert_eq!(
            SshHop::parse("u@[::1]:22").unwrap().to_string(),
            "u@[::1]:22"
        );
        for bad in [
            "",
            "@h",
            "u@",
            "u@h:0",
            "u@h:x",
            "-oProxyCommand=x",
            "u@h h",
            "u@[::1",
        ] {
            assert!(SshHop::parse(bad).is_err(), "{bad}");
        }
    }
}
