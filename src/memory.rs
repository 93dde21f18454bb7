//! Process-wide limits on the memory the database drivers keep for reuse
//! between statements. Set once, at the start of the process, before any
//! other thread runs (the binary does so first thing).

/// How mysql_async caps the capacity a buffer keeps when it goes back to
/// the driver's pool (read once, when the pool is first used).
const MYSQL_BUFFER_SIZE_CAP: &str = "MYSQL_ASYNC_BUFFER_SIZE_CAP";

/// The capacity a pooled MySQL/MariaDB buffer keeps: a row packet fits,
/// a batch's statement (up to megabytes) does not. mysql_async's pool
/// holds up to 128 buffers and hands them out in turn, each keeping up
/// to 4 MiB by default, so every batch written left one more buffer the
/// size of its statement: a dense re-sync of 3M rows (bench) kept 10.8 MB
/// of them at its end, more the more batches it wrote. At this cap the
/// pool keeps 8 MiB at most; a longer statement costs one more copy of
/// it, small next to sending it.
pub const MYSQL_POOLED_BUFFER_BYTES: usize = 64 << 10;

/// Caps what the drivers' buffer pools keep, unless the environment sets
/// the cap already. Call before any other thread starts and before the
/// first connection: the pool reads the setting once.
pub fn bound_driver_buffers() {
    if std::env::var_os(MYSQL_BUFFER_SIZE_CAP).is_none() {
        std::env::set_var(MYSQL_BUFFER_SIZE_CAP, MYSQL_POOLED_BUFFER_BYTES.to_string());
    }
}
