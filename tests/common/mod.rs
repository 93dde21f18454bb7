//! Test support: throwaway databases on the real servers. Every test makes
//! its own uniquely named databases and drops them when it ends (also when
//! it fails), so tests run in parallel and never assume they are alone.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use mysql_async::prelude::Queryable;

pub mod pg_corpus;
pub mod private_pg;
pub mod private_server;
pub mod proxy;
pub mod retries;
pub mod sqldef;
pub mod tally;

/// Server URL without a database, from `LOCKSTEP_TEST_MYSQL_URL`.
pub fn mysql_server_url() -> String {
    std::env::var("LOCKSTEP_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("lst_{prefix}_{}_{n}_{nanos:x}", std::process::id())
}

/// Runs `f` to its end on a runtime of its own, in a thread of its own,
/// so this works from sync code and from inside a tokio test alike.
pub fn run_blocking<F: std::future::Future<Output = T> + Send + 'static, T: Send + 'static>(
    f: F,
) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    })
    .join()
    .unwrap()
}

/// A MariaDB/MySQL database that exists for the life of the value.
pub struct MyDb {
    pub name: String,
    /// The server's URL, without a database.
    server: String,
}

impl MyDb {
    /// A database on the test server.
    pub fn new(prefix: &str) -> MyDb {
        MyDb::on_server(&mysql_server_url(), prefix)
    }

    /// A database on the server at `server` (a URL without a database).
    pub fn on_server(server: &str, prefix: &str) -> MyDb {
        let name = unique_name(prefix);
        let sql = format!("CREATE DATABASE `{name}`");
        let server = server.trim_end_matches('/').to_string();
        let url = server.clone();
        run_blocking(async move {
            let mut c = mysql_async::Conn::from_url(url).await.unwrap();
            c.query_drop(sql).await.unwrap();
            c.disconnect().await.unwrap();
        });
        MyDb { name, server }
    }

    /// `mysql://...` URL of this database, as lockstep takes it.
    pub fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }

    /// Runs SQL (several statements allowed) in this database.
    pub fn exec(&self, sql: &str) {
        let url = self.url();
        let sql = sql.to_string();
        run_blocking(async move {
            let mut c = mysql_async::Conn::from_url(url).await.unwrap();
            c.query_drop(&sql)
                .await
                .unwrap_or_else(|e| panic!("{e}\n{sql}"));
            c.disconnect().await.unwrap();
        });
    }

    /// Like `exec` but returns the server's error instead of panicking.
    pub fn try_exec(&self, sql: &str) -> Result<(), String> {
        let url = self.url();
        let sql = sql.to_string();
        run_blocking(async move {
            let mut c = mysql_async::Conn::from_url(url).await.unwrap();
            let r = c.query_drop(&sql).await.map_err(|e| e.to_string());
            c.disconnect().await.unwrap();
            r
        })
    }

    /// Rows of a query, every value as text (NULL as None).
    pub fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let url = self.url();
        let sql = sql.to_string();
        run_blocking(async move {
            let mut c = mysql_async::Conn::from_url(url).await.unwrap();
            let rows: Vec<mysql_async::Row> =
                c.query(&sql).await.unwrap_or_else(|e| panic!("{e}\n{sql}"));
            c.disconnect().await.unwrap();
            rows.into_iter()
                .map(|r| {
                    r.unwrap()
                        .into_iter()
                        .map(|v| match v {
                            mysql_async::Value::NULL => None,
                            mysql_async::Value::Bytes(b) => {
                                Some(String::from_utf8_lossy(&b).into_owned())
                            }
                            other => Some(other.as_sql(true)),
                        })
                        .collect()
                })
                .collect()
        })
    }

    /// Every row of a table, read with the binary protocol (exact floats,
    /// dates as components), sorted: for comparing two databases.
    pub fn rows(&self, table: &str) -> Vec<Vec<mysql_async::Value>> {
        let url = self.url();
        let sql = format!("SELECT * FROM `{table}`");
        run_blocking(async move {
            let mut c = mysql_async::Conn::from_url(url).await.unwrap();
            let rows: Vec<mysql_async::Row> = c
                .exec(&sql, ())
                .await
                .unwrap_or_else(|e| panic!("{e}\n{sql}"));
            c.disconnect().await.unwrap();
            let mut rows: Vec<Vec<mysql_async::Value>> =
                rows.into_iter().map(|r| r.unwrap()).collect();
            rows.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
            rows
        })
    }

    /// Names of the base tables.
    pub fn table_names(&self) -> Vec<String> {
        self.query(&format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='{}' AND table_type='BASE TABLE' ORDER BY 1",
            self.name
        ))
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect()
    }

    /// Asserts both databases hold the same tables with the same rows.
    pub fn assert_same_data(&self, other: &MyDb) {
        let tables = self.table_names();
        assert_eq!(tables, other.table_names(), "table lists differ");
        for t in tables {
            assert_eq!(self.rows(&t), other.rows(&t), "rows of `{t}` differ");
        }
    }

    /// Loads a SQL file with the `mariadb` client (handles DELIMITER).
    pub fn load_file(&self, path: &std::path::Path) {
        let status = std::process::Command::new("mariadb")
            .args(mysql_client_args())
            .arg(&self.name)
            .stdin(std::fs::File::open(path).unwrap())
            .status()
            .expect("run the mariadb client");
        assert!(status.success(), "loading {}", path.display());
    }

    /// Loads a corpus SQL file that creates and `USE`s a database of its
    /// own, into this database instead: statements naming that database
    /// are taken out (or, for qualified names, unqualified).
    pub fn load_corpus_file(&self, path: &std::path::Path, own_db: &str) {
        let mut text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (from, to) in [
            (
                format!("DROP DATABASE IF EXISTS `{own_db}`;"),
                String::new(),
            ),
            (format!("DROP DATABASE IF EXISTS {own_db};"), String::new()),
            (format!("CREATE DATABASE `{own_db}`;"), String::new()),
            (
                format!("CREATE DATABASE IF NOT EXISTS {own_db};"),
                String::new(),
            ),
            (format!("DROP SCHEMA IF EXISTS {own_db};"), String::new()),
            (format!("CREATE SCHEMA {own_db};"), String::new()),
            (format!("USE `{own_db}`;"), String::new()),
            (format!("USE {own_db};"), String::new()),
            (format!("{own_db}."), String::new()),
        ] {
            text = text.replace(&from, &to);
        }
        let copy = std::env::temp_dir().join(format!(
            "{}_{}.sql",
            self.name,
            path.file_stem().unwrap().to_string_lossy()
        ));
        std::fs::write(&copy, text).unwrap();
        self.load_file(&copy);
        let _ = std::fs::remove_file(copy);
    }

    /// Each base table's AUTO_INCREMENT counter as `SHOW CREATE TABLE`
    /// shows it (None where it shows none: no counter, or one that never
    /// moved), by table name.
    pub fn auto_increment_counters(&self) -> Vec<(String, Option<u64>)> {
        self.table_names()
            .into_iter()
            .map(|t| {
                let create = self.query(&format!("SHOW CREATE TABLE `{t}`"))[0][1]
                    .clone()
                    .unwrap();
                let counter = create.split_once(" AUTO_INCREMENT=").map(|(_, rest)| {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    digits.parse().unwrap()
                });
                (t, counter)
            })
            .collect()
    }

    /// `SHOW CREATE TABLE` of every table, AUTO_INCREMENT counter removed,
    /// by table name.
    pub fn show_create_tables(&self) -> std::collections::BTreeMap<String, String> {
        let tables = self.query(&format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='{}' AND table_type='BASE TABLE'",
            self.name
        ));
        tables
            .into_iter()
            .map(|r| {
                let t = r[0].clone().unwrap();
                let create = self.query(&format!("SHOW CREATE TABLE `{t}`"))[0][1]
                    .clone()
                    .unwrap();
                (t, strip_auto_increment(&create))
            })
            .collect()
    }
}

/// A database with one table, `keepme`, and one row: a target in which
/// `assert_untouched` finds any change.
pub fn target_with_data(prefix: &str) -> MyDb {
    let db = MyDb::new(prefix);
    db.exec("CREATE TABLE keepme (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO keepme VALUES (1, 'x')");
    db
}

/// Asserts that a `target_with_data` database is as it was made.
pub fn assert_untouched(db: &MyDb) {
    let tables = db.show_create_tables();
    assert_eq!(tables.len(), 1, "{tables:?}");
    assert!(tables["keepme"].contains("`v` varchar(10)"));
    let rows: Vec<Vec<Option<String>>> = db.query("SELECT id, v FROM keepme");
    assert_eq!(rows, [[Some("1".to_string()), Some("x".to_string())]]);
}

/// Runs statements on the test server as its admin account.
pub fn admin_exec(sql: &str) {
    let sql = sql.to_string();
    run_blocking(async move {
        let mut c = mysql_async::Conn::from_url(mysql_server_url())
            .await
            .unwrap();
        c.query_drop(&sql)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{sql}"));
        c.disconnect().await.unwrap();
    });
}

/// A MariaDB/MySQL account (and its roles) that exists for the life of the
/// value; it starts with no privilege.
pub struct MyUser {
    pub name: String,
    password: String,
    roles: Vec<String>,
}

impl MyUser {
    pub fn new(prefix: &str) -> MyUser {
        let name = unique_name(prefix);
        let password = format!("pw_{name}");
        admin_exec(&format!(
            "CREATE USER '{name}'@'%' IDENTIFIED BY '{password}'"
        ));
        MyUser {
            name,
            password,
            roles: Vec::new(),
        }
    }

    /// `GRANT <what> TO` this account, e.g. `grant("SELECT ON `db`.*")`.
    pub fn grant(&self, what: &str) -> &Self {
        admin_exec(&format!("GRANT {what} TO '{}'@'%'", self.name));
        self
    }

    /// Grants `what` through a new role, made this account's default role.
    pub fn grant_by_role(&mut self, what: &str) -> &Self {
        let role = format!("{}_role", self.name);
        admin_exec(&format!(
            "CREATE ROLE `{role}`; GRANT {what} TO `{role}`; GRANT `{role}` TO '{name}'@'%'; SET DEFAULT ROLE `{role}` FOR '{name}'@'%'",
            name = self.name
        ));
        self.roles.push(role);
        self
    }

    /// `mysql://` URL of `db` as this account.
    pub fn url(&self, db: &MyDb) -> String {
        let url = lockstep::url::DatabaseUrl::parse(&format!("{}/x", mysql_server_url())).unwrap();
        let lockstep::url::DatabaseUrl::MySql(s) = url else {
            panic!("LOCKSTEP_TEST_MYSQL_URL must be mysql://")
        };
        format!(
            "mysql://{}:{}@{}:{}/{}",
            self.name, self.password, s.host, s.port, db.name
        )
    }
}

impl Drop for MyUser {
    fn drop(&mut self) {
        let mut sql = format!("DROP USER IF EXISTS '{}'@'%'", self.name);
        for role in &self.roles {
            sql.push_str(&format!("; DROP ROLE IF EXISTS `{role}`"));
        }
        run_blocking(async move {
            if let Ok(mut c) = mysql_async::Conn::from_url(mysql_server_url()).await {
                let _ = c.query_drop(sql).await;
                let _ = c.disconnect().await;
            }
        });
    }
}

impl MyDb {
    /// `SHOW CREATE TRIGGER|PROCEDURE|FUNCTION|EVENT` of every such
    /// object (definer, sql_mode and character sets included; a trigger's
    /// creation time left out), by kind and name.
    pub fn show_create_objects(&self) -> std::collections::BTreeMap<String, Vec<Option<String>>> {
        let db = &self.name;
        let listed = self.query(&format!(
            "SELECT 'TRIGGER', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{db}' \
             UNION ALL SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '{db}' \
             UNION ALL SELECT 'EVENT', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '{db}'"
        ));
        listed
            .into_iter()
            .map(|r| {
                let (kind, name) = (r[0].clone().unwrap(), r[1].clone().unwrap());
                let mut row = self
                    .query(&format!("SHOW CREATE {kind} `{name}`"))
                    .remove(0);
                if kind == "TRIGGER" {
                    row.pop();
                }
                (format!("{kind} {name}"), row)
            })
            .collect()
    }
}

pub use lockstep::engine::mysql::strip_auto_increment;

/// Arguments that point the `mariadb` client at the test server.
pub fn mysql_client_args() -> Vec<String> {
    let url = lockstep::url::DatabaseUrl::parse(&format!("{}/x", mysql_server_url())).unwrap();
    let lockstep::url::DatabaseUrl::MySql(s) = url else {
        panic!("LOCKSTEP_TEST_MYSQL_URL must be mysql://")
    };
    let mut args = vec![
        format!("--host={}", s.host),
        format!("--port={}", s.port),
        format!("--user={}", s.user),
        "--protocol=tcp".to_string(),
    ];
    if let Some(p) = s.password {
        args.push(format!("--password={p}"));
    }
    args
}

impl Drop for MyDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS `{}`", self.name);
        let server = self.server.clone();
        run_blocking(async move {
            if let Ok(mut c) = mysql_async::Conn::from_url(server).await {
                // A test that failed with a transaction still open would
                // hold the drop (and so its own failure report) forever:
                // give up after a while and leave the database behind.
                let _ = c.query_drop("SET SESSION lock_wait_timeout = 20").await;
                let _ = c.query_drop(sql).await;
                let _ = c.disconnect().await;
            }
        });
    }
}

/// Server URL without a database, from `LOCKSTEP_TEST_POSTGRES_URL`.
pub fn postgres_server_url() -> String {
    std::env::var("LOCKSTEP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A client of the PostgreSQL test server, in database `db`.
pub async fn pg_client(db: &str) -> tokio_postgres::Client {
    let url = format!("{}/{db}", postgres_server_url().trim_end_matches('/'));
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Runs `sql` on the PostgreSQL test server as its admin; panics with the
/// statement when it fails.
fn pg_admin_exec(sql: String) {
    run_blocking(async move {
        pg_client("postgres")
            .await
            .batch_execute(&sql)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{sql}"));
    });
}

/// A PostgreSQL database that exists for the life of the value.
pub struct PgDb {
    pub name: String,
}

impl PgDb {
    pub fn new(prefix: &str) -> PgDb {
        let name = unique_name(prefix).to_lowercase();
        pg_admin_exec(format!("CREATE DATABASE \"{name}\""));
        PgDb { name }
    }

    /// `postgres://...` URL of this database, as lockstep takes it.
    pub fn url(&self) -> String {
        format!(
            "{}/{}",
            postgres_server_url().trim_end_matches('/'),
            self.name
        )
    }

    /// Runs SQL (several statements allowed) in this database.
    pub fn exec(&self, sql: &str) {
        if let Err(e) = self.try_exec(sql) {
            panic!("{e}\n{sql}");
        }
    }

    /// Like `exec` but returns the server's error instead of panicking.
    pub fn try_exec(&self, sql: &str) -> Result<(), String> {
        let (db, sql) = (self.name.clone(), sql.to_string());
        run_blocking(async move {
            pg_client(&db)
                .await
                .batch_execute(&sql)
                .await
                .map_err(|e| match e.as_db_error() {
                    Some(db) => db.message().to_string(),
                    None => e.to_string(),
                })
        })
    }

    /// Rows of a query, every value as text (NULL as None).
    pub fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let (db, sql) = (self.name.clone(), sql.to_string());
        run_blocking(async move {
            let messages = pg_client(&db)
                .await
                .simple_query(&sql)
                .await
                .unwrap_or_else(|e| panic!("{e:?}\n{sql}"));
            messages
                .into_iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => {
                        Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                    }
                    _ => None,
                })
                .collect()
        })
    }
}

impl PgDb {
    /// Loads a corpus SQL file that creates and `\c`onnects to a database
    /// of its own, into this database instead (those lines taken out), with
    /// `psql`, stopping at the first error.
    pub fn load_corpus_file(&self, path: &std::path::Path, own_db: &str) {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let own: Vec<String> = [
            format!("DROP DATABASE IF EXISTS {own_db};"),
            format!("CREATE DATABASE {own_db};"),
            format!("\\c {own_db};"),
        ]
        .into();
        let kept: String = text
            .lines()
            .filter(|l| !own.iter().any(|o| l.trim() == o))
            .map(|l| format!("{l}\n"))
            .collect();
        if let Err(e) = self.psql(&kept) {
            panic!("loading {}: {e}", path.display());
        }
    }

    /// Runs a script with `psql -v ON_ERROR_STOP=1` (so backslash
    /// commands and COPY FROM stdin work); the error text if it stops.
    pub fn psql(&self, script: &str) -> Result<(), String> {
        let mut psql = std::process::Command::new("psql")
            .args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", &self.url()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run psql");
        use std::io::Write;
        let mut stdin = psql.stdin.take().unwrap();
        let script = script.to_string();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(script.as_bytes());
        });
        let out = psql.wait_with_output().unwrap();
        writer.join().unwrap();
        match out.status.success() {
            true => Ok(()),
            false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        }
    }

    /// Empties the database for its next use, cheaper than a new one:
    /// drops every schema (with all in it, extensions too) and makes
    /// `public` again as a new database has it. Roles and other objects
    /// of the whole server are not touched.
    pub fn reset(&self) {
        self.exec(
            "DO $reset$ DECLARE s text; BEGIN \
               FOR s IN SELECT nspname FROM pg_namespace \
                 WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
                 AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%' \
               LOOP EXECUTE format('DROP SCHEMA %I CASCADE', s); END LOOP; END $reset$; \
             CREATE SCHEMA public AUTHORIZATION pg_database_owner; \
             GRANT USAGE ON SCHEMA public TO PUBLIC; \
             COMMENT ON SCHEMA public IS 'standard public schema'",
        );
    }

    /// Syncs `source`'s schema into this database with drops allowed
    /// (`--schema-only --allow-destructive --yes`) and checks the run
    /// succeeded and both `pg_dump --schema-only` are the same; the run's
    /// output.
    pub fn converge_schema_from(&self, source: &PgDb) -> String {
        let (code, out, _) = sync_with_report(
            &source.url(),
            &self.url(),
            &["--schema-only", "--allow-destructive", "--yes"],
        );
        assert_eq!(code, 0, "{out}");
        assert_eq!(self.schema_dump(), source.schema_dump(), "{out}");
        out
    }

    /// A dry run from `source` into this database exits 0 and plans no
    /// schema change.
    pub fn assert_nothing_planned_from(&self, source: &PgDb) {
        let (code, out, report) = sync_with_report(&source.url(), &self.url(), &["--dry-run"]);
        assert_eq!(code, 0, "{out}");
        assert_eq!(
            report["schema"]["changes"].as_array().map(Vec::len),
            Some(0),
            "{out}"
        );
    }

    /// `pg_dump --schema-only` of this database, without its comments,
    /// blank lines, session settings and `\restrict` keys (random per
    /// dump): two databases with the same schema give the same text.
    pub fn schema_dump(&self) -> String {
        let out = std::process::Command::new("pg_dump")
            .args(["--schema-only", "--no-owner", "-d", &self.url()])
            .output()
            .expect("run pg_dump");
        assert!(
            out.status.success(),
            "pg_dump {}: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| {
                !(l.is_empty()
                    || l.starts_with("--")
                    || l.starts_with("SET ")
                    || l.starts_with("\\restrict ")
                    || l.starts_with("\\unrestrict ")
                    || l.starts_with("SELECT pg_catalog.set_config"))
            })
            .map(|l| format!("{l}\n"))
            .collect()
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        run_blocking(async move {
            let _ = pg_client("postgres").await.batch_execute(&sql).await;
        });
    }
}

/// A login role on the PostgreSQL test server that exists for the life
/// of the value; no superuser, no privilege beyond what tests grant it.
pub struct PgRole {
    pub name: String,
}

impl PgRole {
    pub fn new(prefix: &str) -> PgRole {
        let name = unique_name(prefix).to_lowercase();
        pg_admin_exec(format!("CREATE ROLE \"{name}\" LOGIN"));
        PgRole { name }
    }

    /// `postgres://` URL of `db` as this role.
    pub fn url(&self, db: &PgDb) -> String {
        let server = postgres_server_url();
        let (scheme, rest) = server.split_once("://").unwrap();
        let host = rest.split_once('@').map_or(rest, |(_, host)| host);
        format!(
            "{scheme}://{}@{}/{}",
            self.name,
            host.trim_end_matches('/'),
            db.name
        )
    }
}

impl Drop for PgRole {
    fn drop(&mut self) {
        let sql = format!("DROP ROLE IF EXISTS \"{}\"", self.name);
        run_blocking(async move {
            let _ = pg_client("postgres").await.batch_execute(&sql).await;
        });
    }
}

/// A SQLite file in a fresh temporary directory, removed on drop.
pub struct SqliteDb {
    pub dir: std::path::PathBuf,
    pub path: std::path::PathBuf,
}

impl SqliteDb {
    pub fn new(prefix: &str) -> SqliteDb {
        let dir = std::env::temp_dir().join(unique_name(prefix));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        SqliteDb { dir, path }
    }

    pub fn url(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    pub fn exec(&self, sql: &str) {
        let c = rusqlite::Connection::open(&self.path).unwrap();
        c.execute_batch(sql)
            .unwrap_or_else(|e| panic!("{e}\n{sql}"));
    }

    pub fn try_exec(&self, sql: &str) -> Result<(), String> {
        let c = rusqlite::Connection::open(&self.path).unwrap();
        c.execute_batch(sql).map_err(|e| e.to_string())
    }
}

impl Drop for SqliteDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The YAML case files of a corpus folder (`sqldef/cmd/mysqldef`), sorted.
pub fn corpus_yaml_files(folder: &str) -> Vec<std::path::PathBuf> {
    let dir = corpus_dir().join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.sort();
    files
}

/// Path of the test corpus: `tests/fixtures` in the repository (the
/// third-party files the tests read, see its README), or `LOCKSTEP_CORPUS`
/// when set.
pub fn corpus_dir() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::var("LOCKSTEP_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| here.join("tests/fixtures"))
}

/// The rows `read` sends into `tx` (a real channel), gathered while it
/// runs; `read` owns the sender, so its end closes the channel.
pub async fn gather_rows<F, Fut>(read: F) -> Vec<lockstep::data::value::Row>
where
    F: FnOnce(lockstep::engine::RowSender) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (tx, mut rx): (lockstep::engine::RowSender, _) = tokio::sync::mpsc::channel(2);
    let gather = async {
        let mut rows = Vec::new();
        while let Some(chunk) = rx.recv().await {
            rows.extend(chunk.unwrap());
        }
        rows
    };
    let ((), rows) = tokio::join!(read(tx), gather);
    rows
}

/// Every row a source streams of `table` (through a real channel).
pub async fn collect_rows(
    source: &mut lockstep::engine::SourceDb,
    table: &lockstep::data::table::TableData,
) -> Vec<lockstep::data::value::Row> {
    let read = lockstep::engine::RowRead::Rows(None);
    gather_rows(|tx| async move { source.stream(table, read, &tx).await }).await
}

/// Asserts that rows read back equal the rows written bit for bit (unlike
/// `Value`'s `==`: -0.0 is not 0.0, Text is not Bytes).
pub fn assert_rows_exact(
    read: &[lockstep::data::value::Row],
    written: &[lockstep::data::value::Row],
) {
    assert_eq!(
        read.len(),
        written.len(),
        "read {read:?}\nwrote {written:?}"
    );
    for (r, w) in read.iter().zip(written) {
        assert!(
            lockstep::data::rowdiff::rows_equal(r, w),
            "read {r:?}\nwrote {w:?}"
        );
    }
}

/// Prints a corpus suite's skipped and failed cases and its counts, then
/// requires that some case ran and none failed.
pub fn report_cases(
    suite: &str,
    passed: usize,
    skipped: &[(String, String)],
    failures: &[(String, String)],
) {
    for (id, why) in skipped {
        println!("SKIP {id}: {}", why.lines().next().unwrap_or(""));
    }
    for (id, why) in failures {
        println!("FAIL {id}: {why}\n");
    }
    println!(
        "{suite}: {} total, {passed} passed, {} failed, {} skipped",
        passed + failures.len() + skipped.len(),
        failures.len(),
        skipped.len()
    );
    assert!(passed > 0, "no case ran");
    let failed: Vec<&str> = failures.iter().map(|(id, _)| id.as_str()).collect();
    assert!(
        failed.is_empty(),
        "{} cases did not converge: {failed:#?}",
        failed.len()
    );
}

/// `lockstep sync <mode>` from `source` to `target`, destructive changes
/// allowed, without asking (where the mode could ask).
pub fn lockstep_sync(mode: &str, source: &str, target: &str) -> std::process::Output {
    let mut args = vec![
        "sync",
        mode,
        "--allow-destructive",
        "--no-color",
        "--source",
        source,
        "--target",
        target,
    ];
    if !matches!(mode, "--validate-only" | "--dry-run") {
        args.push("--yes");
    }
    lockstep(&args)
}

/// Path of the built `lockstep` binary.
pub fn lockstep_bin() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_lockstep"))
}

/// Runs the `lockstep` binary with `args`.
pub fn lockstep(args: &[&str]) -> std::process::Output {
    std::process::Command::new(lockstep_bin())
        .args(args)
        .output()
        .unwrap()
}

/// What a run printed, stdout then stderr.
pub fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// How a table's differences were found, and the rows read from both
/// sides, from its `found_by` line.
pub fn rows_read(report: &serde_json::Value, table: &str) -> (String, u64) {
    let tables = report["data"]["tables"]
        .as_array()
        .expect("per-table report");
    let found = tables.iter().find(|t| t["table"] == table).unwrap()["found_by"]
        .as_str()
        .unwrap()
        .to_string();
    let n = found
        .rsplit(", ")
        .next()
        .and_then(|s| s.rsplit(": ").next())
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no row count in `{found}`"));
    (found, n)
}

/// Runs `lockstep sync` from `source` to `target` (URLs) with `extra`
/// args; returns the exit code, the output and the JSON report (Null if
/// none was written).
pub fn sync_with_report(
    source: &str,
    target: &str,
    extra: &[&str],
) -> (i32, String, serde_json::Value) {
    sync_with_report_env(source, target, extra, &[])
}

/// `sync_with_report` with environment variables `env` set for the run.
pub fn sync_with_report_env(
    source: &str,
    target: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, serde_json::Value) {
    static REPORTS: AtomicU32 = AtomicU32::new(0);
    let json = std::env::temp_dir().join(format!(
        "lst_report_{}_{}.json",
        std::process::id(),
        REPORTS.fetch_add(1, Ordering::SeqCst)
    ));
    let json_arg = json.display().to_string();
    let mut args = vec![
        "sync",
        "--no-color",
        "--source",
        source,
        "--target",
        target,
        "--report-json",
        &json_arg,
    ];
    args.extend_from_slice(extra);
    let out = std::process::Command::new(lockstep_bin())
        .args(&args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let report = std::fs::read_to_string(&json)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    let _ = std::fs::remove_file(&json);
    (out.status.code().unwrap_or(-1), output_text(&out), report)
}
