//! A source that keeps taking writes while it is synced: every source read
//! of the run (on every lane) comes from one snapshot, so the copy holds
//! every invariant the source's transactions keep — money moved between
//! two accounts never half-moved, whole parent+children families, an
//! append-only ledger without gaps — as of one moment. Also on a server
//! whose default isolation is READ COMMITTED, where MariaDB would ignore
//! WITH CONSISTENT SNAPSHOT unless the session asks for REPEATABLE READ.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::private_server::PrivateServer;
use common::{lockstep, output_text, MyDb};
use mysql_async::prelude::Queryable;

const TOTAL: i64 = 1_000_000;

/// The source: two accounts holding TOTAL between them, families whose
/// parent counts its children, a gap-free ledger, and a bulky table that
/// keeps the sync busy long enough for writes to land in the middle.
fn live_source(server: &str) -> MyDb {
    let source = MyDb::on_server(server, "live_src");
    let bulk: Vec<String> = (1..=5000)
        .map(|i| format!("({i}, REPEAT('x', 200))"))
        .collect();
    source.exec(&format!(
        "CREATE TABLE accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL);
         INSERT INTO accounts VALUES (1, {TOTAL}), (2, 0);
         CREATE TABLE families (id INT PRIMARY KEY, children INT NOT NULL);
         CREATE TABLE children (id INT AUTO_INCREMENT PRIMARY KEY, family INT NOT NULL,
           FOREIGN KEY (family) REFERENCES families (id));
         CREATE TABLE ledger (seq INT PRIMARY KEY, note VARCHAR(20));
         CREATE TABLE bulk (id INT PRIMARY KEY, pad TEXT);
         INSERT INTO bulk VALUES {};",
        bulk.join(",")
    ));
    for _ in 0..3 {
        source.exec("INSERT INTO bulk SELECT id + (SELECT MAX(id) FROM bulk), pad FROM bulk");
    }
    source
}

/// Commits transactions on the source until `stop`: each moves money,
/// adds a family with its children, or appends to the ledger.
async fn write_until(url: String, stop: Arc<AtomicBool>, done: Arc<AtomicU64>) {
    let mut conn = mysql_async::Conn::from_url(url).await.unwrap();
    let mut n: i64 = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        n += 1;
        let amount = n % 97 + 1;
        let (from, to) = if n % 2 == 0 { (1, 2) } else { (2, 1) };
        let kids = n % 4 + 1;
        let children: Vec<String> = (0..kids).map(|_| format!("({n})")).collect();
        let sql = format!(
            "START TRANSACTION;
             UPDATE accounts SET balance = balance - {amount} WHERE id = {from};
             UPDATE accounts SET balance = balance + {amount} WHERE id = {to};
             INSERT INTO families VALUES ({n}, {kids});
             INSERT INTO children (family) VALUES {};
             INSERT INTO ledger SELECT COALESCE(MAX(seq), 0) + 1, 'entry' FROM ledger;
             COMMIT;",
            children.join(",")
        );
        conn.query_drop(sql).await.unwrap();
        done.fetch_add(1, Ordering::Relaxed);
    }
    conn.disconnect().await.unwrap();
}

fn number(db: &MyDb, sql: &str) -> i64 {
    db.query(sql)[0][0]
        .clone()
        .unwrap_or_default()
        .parse()
        .unwrap()
}

#[test]
fn a_source_taking_writes_is_copied_as_of_one_moment() {
    copied_as_of_one_moment(&common::mysql_server_url());
}

#[test]
fn a_read_committed_server_taking_writes_is_copied_as_of_one_moment() {
    let server = PrivateServer::start("live_rc", &["--transaction-isolation=READ-COMMITTED"]);
    let probe = MyDb::on_server(&server.url(), "live_rc_probe");
    assert_eq!(
        probe.query("SELECT @@global.tx_isolation")[0][0].as_deref(),
        Some("READ-COMMITTED")
    );
    drop(probe);
    copied_as_of_one_moment(&server.url());
}

/// A source on `server` taking writes is synced to a target on the same
/// server with four lanes; the copy must keep every invariant.
fn copied_as_of_one_moment(server: &str) {
    let source = live_source(server);
    let target = MyDb::on_server(server, "live_tgt");
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let writer = {
        let (url, stop, done) = (source.url(), stop.clone(), done.clone());
        std::thread::spawn(move || common::run_blocking(write_until(url, stop, done)))
    };
    // Writes are flowing before the sync starts, and keep flowing.
    while done.load(Ordering::Relaxed) < 20 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let before = done.load(Ordering::Relaxed);
    let out = lockstep(&[
        "sync",
        "--fix-schemas",
        "--parallelism",
        "4",
        "--no-color",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
    ]);
    let during = done.load(Ordering::Relaxed) - before;
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let text = output_text(&out);
    // The source moved on during the run, so only the snapshot's own
    // verification can say "in sync": exit 0.
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(during > 0, "no write landed during the sync");
    assert!(
        !text.contains("one at a time"),
        "the lanes did not share a snapshot:\n{text}"
    );

    assert_eq!(
        number(&target, "SELECT SUM(balance) FROM accounts"),
        TOTAL,
        "money half-moved"
    );
    assert_eq!(
        number(
            &target,
            "SELECT COUNT(*) FROM families f WHERE f.children <> \
             (SELECT COUNT(*) FROM children c WHERE c.family = f.id)"
        ),
        0,
        "a family was copied without all its children"
    );
    assert_eq!(
        number(&target, "SELECT COUNT(*) FROM children c LEFT JOIN families f ON f.id = c.family WHERE f.id IS NULL"),
        0,
        "an orphaned child"
    );
    let entries = number(&target, "SELECT COUNT(*) FROM ledger");
    assert_eq!(
        number(&target, "SELECT COALESCE(MAX(seq), 0) FROM ledger"),
        entries,
        "the ledger has a gap"
    );
    // One moment: the ledger counts the families' transactions exactly.
    assert_eq!(number(&target, "SELECT COUNT(*) FROM families"), entries);
    assert!(
        entries >= before as i64,
        "the copy predates the writes seen"
    );
}

/// A table created on the source while its rows are being synced: the
/// schema was read before, so the run cannot call the copy identical; it
/// names the table (exit 1), and a rerun brings it over.
#[test]
fn a_schema_change_during_the_run_is_named_and_a_rerun_follows_it() {
    let source = live_source(&common::mysql_server_url());
    let target = MyDb::new("live_ddl_tgt");
    // The target holds every bulk row with other values: many update
    // batches, each visible once committed.
    target.exec("CREATE TABLE bulk (id INT PRIMARY KEY, pad TEXT)");
    target.exec(&format!(
        "INSERT INTO bulk SELECT id, 'y' FROM `{}`.bulk",
        source.name
    ));
    let child = std::process::Command::new(common::lockstep_bin())
        .args([
            "sync",
            "--fix-schemas",
            "--no-color",
            "--diff-algorithm",
            "stream",
        ])
        .args([
            "--parallelism",
            "1",
            "--source",
            &source.url(),
            "--target",
            &target.url(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while number(&target, "SELECT COUNT(*) FROM bulk WHERE pad <> 'y'") == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no row written"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    source.exec("CREATE TABLE arrived (id INT PRIMARY KEY)");
    let out = child.wait_with_output().unwrap();
    let text = output_text(&out);
    assert_eq!(
        number(&target, "SELECT COUNT(*) FROM bulk WHERE pad = 'y'"),
        0,
        "not every row was synced:\n{text}"
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("the source's schema changed during the run (`arrived`)"),
        "{text}"
    );
    assert!(
        text.contains(
            "Result: differences remain: the source's schema changed during the run (arrived)"
        ),
        "{text}"
    );

    let again = common::lockstep_sync("--fix-schemas", &source.url(), &target.url());
    assert_eq!(again.status.code(), Some(0), "{}", output_text(&again));
    assert!(target.table_names().contains(&"arrived".to_string()));
}
