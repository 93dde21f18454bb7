//! A MariaDB server of a test's own: a fresh data directory made by
//! `mariadb-install-db`, `mariadbd` on a free port of 127.0.0.1 with the
//! options the test gives (a global setting the shared server must keep,
//! say), shut down and removed on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;

pub struct PrivateServer {
    pub port: u16,
    dir: std::path::PathBuf,
    server: Child,
}

impl PrivateServer {
    /// Installs and starts a server with `options` (`--name=value`).
    pub fn start(prefix: &str, options: &[&str]) -> PrivateServer {
        let dir = std::env::temp_dir().join(super::unique_name(prefix));
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        let install = Command::new("mariadb-install-db")
            .args([
                "--no-defaults",
                "--user=root",
                "--skip-test-db",
                "--skip-name-resolve",
            ])
            .arg("--auth-root-authentication-method=normal")
            .arg(format!("--datadir={}", data.display()))
            // Passed on to the bootstrap server: see `--tmpdir` below.
            .arg(format!("--tmpdir={}", dir.display()))
            .output()
            .expect("run mariadb-install-db (package mariadb-server)");
        assert!(
            install.status.success(),
            "mariadb-install-db failed: {}",
            String::from_utf8_lossy(&install.stderr)
        );
        // A free port: the system picks one, the server takes it over.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = Command::new(mariadbd())
            .args(["--no-defaults", "--user=root", "--bind-address=127.0.0.1"])
            .args(["--skip-name-resolve", "--skip-log-bin", "--local-infile=1"])
            .args(["--innodb-buffer-pool-size=64M"])
            .arg(format!("--datadir={}", data.display()))
            // Its own temporary files too: a server sweeps stray `#sql`
            // files from its tmpdir, which must not be the shared one's.
            .arg(format!("--tmpdir={}", dir.display()))
            .arg(format!("--port={port}"))
            .arg(format!("--socket={}", dir.join("server.sock").display()))
            .arg(format!("--pid-file={}", dir.join("server.pid").display()))
            .arg(format!("--log-error={}", dir.join("server.err").display()))
            .args(options)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mariadbd");
        let started = PrivateServer { port, dir, server };
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = started.url();
        while !super::run_blocking({
            let url = url.clone();
            async move { mysql_async::Conn::from_url(url).await.is_ok() }
        }) {
            assert!(
                Instant::now() < deadline,
                "the private server did not start on port {port}: see {}",
                started.dir.join("server.err").display()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        started
    }

    /// The server's URL, without a database.
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}", self.port)
    }
}

/// `mariadbd`, which Debian keeps in /usr/sbin (not always on PATH).
fn mariadbd() -> &'static str {
    match std::path::Path::new("/usr/sbin/mariadbd").exists() {
        true => "/usr/sbin/mariadbd",
        false => "mariadbd",
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let url = self.url();
        super::run_blocking(async move {
            if let Ok(mut c) = mysql_async::Conn::from_url(url).await {
                let _ = c.query_drop("SHUTDOWN").await;
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while matches!(self.server.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
