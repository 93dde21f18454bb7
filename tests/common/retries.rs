//! A run with `[sync]` retries against a connection that a proxy
//! (`proxy`) cuts: its config and its command line, shared by the
//! engines' chaos tests.

use super::{lockstep, output_text, SqliteDb};

/// A config file with `[sync]` retries and a short first wait, in a
/// scratch folder removed on drop; one table at a time, so a cut after a
/// number of bytes falls in a table the test can tell.
pub fn config(retries: u32) -> (SqliteDb, String) {
    let scratch = SqliteDb::new("chaos_cfg");
    let path = scratch.dir.join("lockstep.toml");
    std::fs::write(
        &path,
        format!("[sync]\nretries = {retries}\nretry_wait = \"200ms\"\nparallelism = 1\n"),
    )
    .unwrap();
    (scratch, path.display().to_string())
}

/// Runs a sync with `config`, logging to `log`.
pub fn sync(config: &str, log: &str, source: &str, target: &str) -> (i32, String) {
    let out = lockstep(&[
        "sync",
        "--no-color",
        "-c",
        config,
        "--log",
        log,
        "--source",
        source,
        "--target",
        target,
    ]);
    (out.status.code().unwrap_or(-1), output_text(&out))
}
