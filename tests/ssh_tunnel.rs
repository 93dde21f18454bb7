//! Sources and targets behind an SSH host (`ssh = "..."`), through a real
//! OpenSSH server: each test starts its own `sshd` on a loopback port of
//! its own, with a generated host key and client key, and hands lockstep
//! an ssh config of its own (`ssh_config`), so nothing of the machine's
//! SSH setup is used or changed.

mod common;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_untouched, lockstep, output_text, target_with_data, MyDb};
use lockstep::config::{Overrides, Settings};

/// The Host alias the tests' ssh config gives their sshd.
const HOP: &str = "lst-bastion";

/// An sshd of one test, on a port of its own; stopped and its files
/// removed when dropped.
struct Sshd {
    dir: PathBuf,
    port: u16,
    child: Child,
}

impl Sshd {
    /// Starts sshd accepting the client key `client_key` (whose public half
    /// is in `authorized`), and waits until it listens.
    fn start(name: &str) -> Sshd {
        let dir = std::env::temp_dir().join(format!("lst_ssh_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // sshd refuses to start without its privilege separation directory.
        std::fs::create_dir_all("/run/sshd").unwrap();
        for key in ["host_key", "client_key", "other_key"] {
            keygen(&dir.join(key));
        }
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let d = dir.display();
        std::fs::write(
            dir.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile none\n\
                 AuthorizedKeysFile {d}/authorized_keys\nPermitRootLogin prohibit-password\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
                 StrictModes no\nAllowTcpForwarding yes\nLogLevel VERBOSE\n"
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("sshd.log")).unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(dir.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("/usr/sbin/sshd must be installed (Debian openssh-server; scripts/test installs it)");
        let sshd = Sshd { dir, port, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not listen: {}",
                sshd.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        sshd.client_config(true, "client_key");
        sshd
    }

    /// Writes the client's ssh config: the Host alias, the key to log in
    /// with, and a known_hosts that holds the host key if `trusted`.
    fn client_config(&self, trusted: bool, key: &str) {
        let d = self.dir.display();
        let known = match trusted {
            true => {
                let public = std::fs::read_to_string(self.dir.join("host_key.pub")).unwrap();
                let mut fields = public.split_whitespace();
                let (kind, key) = (fields.next().unwrap(), fields.next().unwrap());
                format!("[127.0.0.1]:{} {kind} {key}\n", self.port)
            }
            false => String::new(),
        };
        std::fs::write(self.dir.join("known_hosts"), known).unwrap();
        std::fs::write(
            self.config(),
            format!(
                "Host {HOP}\n  HostName 127.0.0.1\n  Port {}\n  User root\n  IdentityFile {d}/{key}\n\
                 IdentitiesOnly yes\n  IdentityAgent none\n  UserKnownHostsFile {d}/known_hosts\n\
                 GlobalKnownHostsFile /dev/null\n",
                self.port
            ),
        )
        .unwrap();
    }

    fn config(&self) -> PathBuf {
        self.dir.join("ssh_config")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }

    /// A lockstep config from `source` to `target` (URLs), each through
    /// this sshd if asked.
    fn lockstep_config(&self, source: (&str, bool), target: (&str, bool)) -> PathBuf {
        let side = |name: &str, (url, ssh): (&str, bool)| {
            let mut text = format!("[{name}]\nurl = \"{url}\"\n");
            if ssh {
                text.push_str(&format!(
                    "ssh = \"{HOP}\"\nssh_config = \"{}\"\n",
                    self.config().display()
                ));
            }
            text
        };
        let path = self.dir.join("lockstep.toml");
        std::fs::write(
            &path,
            format!("{}{}", side("source", source), side("target", target)),
        )
        .unwrap();
        path
    }

    /// `lockstep sync` with this config; the exit code and the output.
    fn sync(&self, config: &Path) -> (i32, String) {
        let config = config.display().to_string();
        let out = lockstep(&["sync", "--yes", "--no-color", "-v", "-c", &config]);
        (out.status.code().unwrap_or(-1), output_text(&out))
    }

    /// The ssh clients still running with this test's ssh config.
    fn tunnels(&self) -> Vec<String> {
        let config = self.config().display().to_string();
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            // A process that has ended (a zombie) has an empty command line.
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            let args: Vec<String> = cmdline
                .split(|&b| b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            if args.first().is_some_and(|a| a.ends_with("ssh")) && args.contains(&config) {
                found.push(args.join(" "));
            }
        }
        found
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen must be installed (Debian openssh-client)");
    assert!(status.success());
}

#[test]
fn sync_through_ssh_tunnels_ends_identical_and_closes_them() {
    let sshd = Sshd::start("sync");
    let source = MyDb::new("ssh_src");
    source.exec(
        "CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40), qty INT);
         INSERT INTO item VALUES (1, 'bolt', 10), (2, 'nut', 20), (3, 'gear', NULL)",
    );
    let target = MyDb::new("ssh_dst");
    target.exec(
        "CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40), qty INT);
         INSERT INTO item VALUES (1, 'bolt', 11), (4, 'stale', 0)",
    );
    let config = sshd.lockstep_config((&source.url(), true), (&target.url(), true));
    let (code, out) = sshd.sync(&config);
    assert_eq!(code, 0, "{out}");
    source.assert_same_data(&target);
    assert!(out.contains(&format!("via ssh {HOP}")), "{out}");
    // Both sides went through the SSH server, each on a login of its own.
    let logins = sshd.log().matches("Accepted publickey for root").count();
    assert!(logins >= 2, "{}", sshd.log());
    assert_eq!(sshd.tunnels(), Vec::<String>::new());
}

#[test]
fn an_unknown_host_key_is_refused_naming_the_host_and_how_to_trust_it() {
    let sshd = Sshd::start("hostkey");
    sshd.client_config(false, "client_key");
    let source = MyDb::new("ssh_hk_src");
    source.exec("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1)");
    let target = target_with_data("ssh_hk_dst");
    let config = sshd.lockstep_config((&source.url(), true), (&target.url(), false));
    let (code, out) = sshd.sync(&config);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!("the SSH host {HOP} is not trusted")),
        "{out}"
    );
    assert!(out.contains("never accepts an unknown host key"), "{out}");
    assert!(
        out.contains(&format!("ssh -F {}", sshd.config().display())),
        "{out}"
    );
    assert_untouched(&target);
    // Nothing was added to known_hosts behind the user's back.
    let known = std::fs::read_to_string(sshd.dir.join("known_hosts")).unwrap();
    assert_eq!(known, "");
    assert_eq!(sshd.tunnels(), Vec::<String>::new());
}

#[test]
fn a_refused_login_names_the_ssh_host() {
    let sshd = Sshd::start("auth");
    sshd.client_config(true, "other_key");
    let source = MyDb::new("ssh_au_src");
    let target = target_with_data("ssh_au_dst");
    let config = sshd.lockstep_config((&source.url(), true), (&target.url(), false));
    let (code, out) = sshd.sync(&config);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!("the SSH host {HOP} refused the login")),
        "{out}"
    );
    assert!(out.contains("ssh-add"), "{out}");
    assert_untouched(&target);
}

#[test]
fn a_database_the_ssh_host_cannot_reach_is_told_apart_from_the_ssh_host() {
    let sshd = Sshd::start("forward");
    let target = target_with_data("ssh_fw_dst");
    // Nothing listens on port 1 of the SSH host.
    let config = sshd.lockstep_config(
        ("mysql://root@127.0.0.1:1/nowhere", true),
        (&target.url(), false),
    );
    let (code, out) = sshd.sync(&config);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!(
            "the SSH host {HOP} could not open a connection to 127.0.0.1:1"
        )),
        "{out}"
    );
    assert!(out.contains("via ssh lst-bastion"), "{out}");
    assert_untouched(&target);
    assert_eq!(sshd.tunnels(), Vec::<String>::new());
}

#[test]
fn ssh_settings_are_checked_where_they_are_written() {
    let parse = |text: &str| Settings::from_toml_str(text, "t.toml", &Overrides::default());
    let s = parse(
        "[source]\nurl = \"mysql://u@db:3306/app\"\nssh = \"deploy@bastion:2222\"\n\
         [target]\nurl = \"mysql://u@127.0.0.1/app\"\n",
    )
    .unwrap();
    assert_eq!(
        s.shown_source(),
        "mysql://u@db:3306/app via ssh deploy@bastion:2222"
    );
    assert_eq!(s.shown_target(), "mysql://u@127.0.0.1:3306/app");
    let err = parse(
        "[source]\nurl = \"mysql://u@db/app\"\nssh = \"deploy@bastion:ssh\"\n\
         [target]\nurl = \"mysql://u@h/b\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("t.toml:3:7: invalid source.ssh"), "{err}");
    let err = parse(
        "[source]\nurl = \"mysql://u@db/app\"\nssh_config = \"x\"\n[target]\nurl = \"mysql://u@h/b\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("ssh_config is only read with ssh"), "{err}");
    let err =
        parse("[source]\nurl = \"sqlite:a.db\"\nssh = \"b\"\n[target]\nurl = \"sqlite:b.db\"\n")
            .unwrap_err()
            .to_string();
    assert!(err.contains("applies only to a database server"), "{err}");
    let overrides = Overrides {
        source: Some("mysql://u@db/app".into()),
        source_ssh: Some("-oProxyCommand=x".into()),
        ..Overrides::default()
    };
    let err = Settings::from_toml_str("[target]\nurl = \"mysql://u@h/b\"\n", "t.toml", &overrides)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--source-ssh:"), "{err}");
}

/// A source of 2^16 rows and a target holding each with another value:
/// a sync through the tunnel that runs long enough to be interrupted.
fn long_sync(sshd: &Sshd) -> (MyDb, MyDb, Child) {
    let source = MyDb::new("ssh_long_src");
    let target = MyDb::new("ssh_long_dst");
    for (db, value) in [(&source, "'source'"), (&target, "'target'")] {
        db.exec(&format!(
            "CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(20), pad VARCHAR(100));
             INSERT INTO big SELECT seq, {value}, REPEAT('p', 100) FROM seq_1_to_65536"
        ));
    }
    let config = sshd.lockstep_config((&source.url(), true), (&target.url(), false));
    let child = Command::new(common::lockstep_bin())
        .args([
            "sync",
            "--yes",
            "--no-color",
            "--diff-algorithm",
            "stream",
            "-c",
        ])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, as a command started at a terminal is.
        .process_group(0)
        .spawn()
        .unwrap();
    let started = Instant::now();
    while target.query("SELECT COUNT(*) FROM big WHERE v = 'source'")[0][0].as_deref() == Some("0")
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no row written"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        sshd.tunnels().len(),
        1,
        "the tunnel is up while rows are written"
    );
    (source, target, child)
}

/// Sends `signal` to the process group led by `child`.
fn signal_group(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn ctrl_c_at_the_terminal_stops_the_run_cleanly_through_the_tunnel_and_closes_it() {
    let sshd = Sshd::start("ctrlc");
    let (source, target, child) = long_sync(&sshd);
    // A Ctrl-C at a terminal signals the whole foreground process group:
    // the tunnel must outlive it until lockstep has stopped cleanly.
    signal_group(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(130), "{text}");
    assert!(text.contains("stopped on request"), "{text}");
    assert_eq!(sshd.tunnels(), Vec::<String>::new());
    // What was written is whole: a rerun makes the target identical.
    let config = sshd.lockstep_config((&source.url(), true), (&target.url(), false));
    let (code, rerun) = sshd.sync(&config);
    assert_eq!(code, 0, "{rerun}");
    source.assert_same_data(&target);
}

#[test]
fn the_tunnel_ends_when_lockstep_is_killed() {
    let sshd = Sshd::start("killed");
    let (_source, _target, mut child) = long_sync(&sshd);
    // Killed alone (out of memory, say), it drops nothing: the kernel
    // must end the tunnel.
    child.kill().unwrap();
    let _ = child.wait();
    let killed = Instant::now();
    while !sshd.tunnels().is_empty() {
        assert!(
            killed.elapsed() < Duration::from_secs(5),
            "ssh outlived lockstep: {:?}",
            sshd.tunnels()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
