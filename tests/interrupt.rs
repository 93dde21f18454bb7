//! SIGINT or SIGTERM during a sync: lockstep stops at the next batch
//! boundary, reports what it did (the rows committed of the table it was
//! in the middle of included), exits 130 / 143, and leaves a target
//! that a plain rerun makes identical (nothing half-written, nothing
//! duplicated, the triggers taken out of the rows' way back in place).

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{lockstep_bin, lockstep_sync, output_text, MyDb};

/// A source of 2^16 rows and a target holding every row with other values,
/// so the sync runs many update batches; on both, a trigger that would
/// write to `audit` for every updated row (it must never fire).
fn busy_pair() -> (MyDb, MyDb) {
    let source = MyDb::new("stop_src");
    let target = MyDb::new("stop_tgt");
    for (db, value) in [(&source, "'source'"), (&target, "'target'")] {
        db.exec(&format!(
            "CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(20), pad VARCHAR(100));
             INSERT INTO big VALUES (1, {value}, REPEAT('p', 100));"
        ));
        for _ in 0..16 {
            db.exec("INSERT INTO big SELECT id + (SELECT MAX(id) FROM big), v, pad FROM big");
        }
        db.exec(
            "CREATE TABLE audit (id INT);
             CREATE TRIGGER big_audit AFTER UPDATE ON big FOR EACH ROW INSERT INTO audit VALUES (NEW.id);",
        );
    }
    (source, target)
}

fn stopped_by(signal: &str, code: i32) {
    let (source, target) = busy_pair();
    let child = Command::new(lockstep_bin())
        .args([
            "sync",
            "--fix-schemas",
            "--no-color",
            "--diff-algorithm",
            "stream",
            "--source",
            &source.url(),
            "--target",
            &target.url(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until rows are being written, then signal.
    let started = Instant::now();
    while target.query("SELECT COUNT(*) FROM big WHERE v = 'source'")[0][0].as_deref() == Some("0")
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no row written"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = Instant::now();
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let text = output_text(&out);
    assert!(
        sent.elapsed() < Duration::from_secs(10),
        "took {:?} to stop",
        sent.elapsed()
    );
    assert_eq!(out.status.code(), Some(code), "{text}");
    assert!(text.contains("stopped on request"), "{text}");
    let updated: usize = target.query("SELECT COUNT(*) FROM big WHERE v = 'source'")[0][0]
        .clone()
        .unwrap()
        .parse()
        .unwrap();
    assert!(updated > 0 && updated < 1 << 16, "{updated} rows updated");
    // The table that was mid-way is in the report with what was committed.
    assert_eq!(
        reported_updates(&text, "big"),
        Some(updated),
        "the report does not count the {updated} rows committed:\n{text}"
    );

    let again = lockstep_sync("--fix-schemas", &source.url(), &target.url());
    assert_eq!(again.status.code(), Some(0), "{}", output_text(&again));
    source.assert_same_data(&target);
    assert_eq!(target.show_create_objects(), source.show_create_objects());
}

/// The update count of `table`'s line in the report's data table
/// (`table insert update delete key`).
fn reported_updates(report: &str, table: &str) -> Option<usize> {
    report.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next() != Some(table) {
            return None;
        }
        let counts: Vec<usize> = words.take(3).map_while(|w| w.parse().ok()).collect();
        (counts.len() == 3).then(|| counts[1])
    })
}

#[test]
fn sigint_stops_at_a_batch_boundary_and_a_rerun_finishes() {
    stopped_by("-INT", 130);
}

#[test]
fn sigterm_stops_at_a_batch_boundary_and_a_rerun_finishes() {
    stopped_by("-TERM", 143);
}
