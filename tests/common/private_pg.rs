//! A PostgreSQL server of a test's own: a fresh cluster made by
//! `initdb` (as the `postgres` system user when run as root, which
//! initdb refuses), started by `pg_ctl` on a free port of 127.0.0.1 with
//! trust authentication, stopped and removed on drop. For what the
//! shared server cannot show: its roles are the whole server's, so a
//! role the target lacks needs another server.

use std::path::PathBuf;
use std::process::Command;

pub struct PrivatePg {
    pub port: u16,
    dir: PathBuf,
}

/// The directory of the server's programs (`initdb`, `pg_ctl`), newest
/// version first.
fn bin_dir() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server programs under /usr/lib/postgresql (package postgresql)")
        .filter_map(|e| Some(e.ok()?.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop().expect("initdb under /usr/lib/postgresql/*/bin")
}

/// `program` with `args`, as the `postgres` system user when this
/// process is root.
fn as_server_user(program: PathBuf, args: &[&str]) -> std::process::Output {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n");
    let mut command = match root {
        Ok(true) => {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        }
        _ => Command::new(program),
    };
    command
        .args(args)
        .output()
        .expect("run a PostgreSQL server program")
}

impl PrivatePg {
    pub fn start(prefix: &str) -> PrivatePg {
        let dir = std::env::temp_dir().join(super::unique_name(prefix));
        std::fs::create_dir_all(&dir).unwrap();
        // The server user must own its directory.
        let _ = Command::new("chown")
            .args(["postgres:postgres", dir.to_str().unwrap()])
            .output();
        let data = dir.join("data");
        let data = data.to_str().unwrap();
        let init = as_server_user(
            bin_dir().join("initdb"),
            &["-D", data, "-U", "postgres", "--auth=trust", "--no-sync"],
        );
        assert!(
            init.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            dir.display()
        );
        let log = dir.join("server.log");
        let start = as_server_user(
            bin_dir().join("pg_ctl"),
            &[
                "-D",
                data,
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        assert!(
            start.status.success(),
            "pg_ctl start failed: {} (see {})",
            String::from_utf8_lossy(&start.stderr),
            log.display()
        );
        PrivatePg { port, dir }
    }

    /// `postgres://` URL of database `postgres` on this server.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs `sql` with psql; panics with psql's error when it fails.
    pub fn exec(&self, sql: &str) {
        let out = Command::new("psql")
            .args([
                "-q",
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.url(),
                "-c",
                sql,
            ])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The rows of `sql`, each a line of `|`-separated fields.
    pub fn query(&self, sql: &str) -> Vec<String> {
        let out = Command::new("psql")
            .args(["-X", "-A", "-t", "-d", &self.url(), "-c", sql])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = as_server_user(
            bin_dir().join("pg_ctl"),
            &["-D", data.to_str().unwrap(), "-m", "immediate", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
