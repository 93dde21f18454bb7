//! A request to stop, shared by whoever asks (a signal handler) and the
//! work that honours it at its next batch boundary: no table starts after
//! it, no batch is written after it, a bulk load in progress is rolled
//! back, and the run reports what it finished.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicI32>);

impl StopFlag {
    /// Asks the run to stop; `exit_code` is what the process should end
    /// with (130 for SIGINT, 143 for SIGTERM). The first request counts.
    pub fn request(&self, exit_code: i32) {
        let _ = self
            .0
            .compare_exchange(0, exit_code, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn requested(&self) -> bool {
        self.exit_code().is_some()
    }

    /// The exit code the stop asked for, if any.
    pub fn exit_code(&self) -> Option<i32> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            code => Some(code),
        }
    }
}
