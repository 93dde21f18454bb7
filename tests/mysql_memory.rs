//! What the process keeps after writing big statements to MySQL/MariaDB:
//! with `memory::bound_driver_buffers` the driver's buffer pool keeps no
//! buffer the size of a batch. Counted by this binary's own allocator, so
//! the file holds this one test (another running meanwhile would count).

mod common;
mod contract;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use common::MyDb;
use contract::Target;

/// The system allocator, counting the bytes allocated and not yet freed.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call goes to the system allocator unchanged; only the
// count is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, size) };
        if !q.is_null() {
            LIVE.fetch_add(size, Relaxed);
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Writes `rows` rows of `bytes` bytes each, one statement a row (the
/// value spelled out in it, as a batch's values are), on a connection of
/// its own that is gone when this returns.
fn write_rows(db: &MyDb, rows: usize, bytes: usize) {
    let url = db.url();
    // A runtime of its own, gone with everything it held when this returns.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut target = Target::connect(&url).await;
        for id in 0..rows {
            let sql = format!("REPLACE INTO big VALUES ({id}, '{}')", "x".repeat(bytes));
            target.execute(&[sql]).await.unwrap();
        }
    });
}

#[test]
fn big_statements_leave_no_big_buffer_behind() {
    lockstep::memory::bound_driver_buffers();
    let db = MyDb::new("memory");
    db.exec("CREATE TABLE big (id INT PRIMARY KEY, v LONGTEXT)");
    // Whatever a first connection sets up for good (the pool, TLS, ...).
    write_rows(&db, 1, 100);
    let before = LIVE.load(Relaxed);
    // 20 statements of 1 MiB each: unbounded, the pool keeps at least one
    // buffer of 1 MiB.
    write_rows(&db, 20, 1 << 20);
    let kept = LIVE.load(Relaxed).saturating_sub(before);
    assert!(
        kept < 4 * lockstep::memory::MYSQL_POOLED_BUFFER_BYTES,
        "{kept} bytes still allocated after the writes (the pooled buffers keep at most {} each)",
        lockstep::memory::MYSQL_POOLED_BUFFER_BYTES
    );
    assert_eq!(
        db.query("SELECT COUNT(*) FROM big")[0][0].as_deref(),
        Some("20")
    );
}
