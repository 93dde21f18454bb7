//! A run with `[sync]` retries against a connection that a proxy
//! (`proxy`) cuts: its config and its command line, shared by the
//! engines' chaos tests.

use super::proxy::Proxy;
use super::{lockstep, output_text, SqliteDb};

/// A config file with `[sync]` retries and a short first wait, in a
/// scratch folder removed on drop; one table at a time, so a cut after a
/// number of bytes falls in a table the test can tell.
fn config(retries: u32) -> (SqliteDb, String) {
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
fn sync(config: &str, log: &str, source: &str, target: &str) -> (i32, String) {
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

/// A run through `proxy`, which cuts `side`'s connection once, with three
/// retries: it ends in sync, names the retry and the side (a source's
/// retry reads on a new snapshot) and its log records the retry of
/// `table`. Returns what the run printed.
pub fn cut_once_is_retried(
    proxy: &Proxy,
    side: &str,
    source_url: &str,
    target_url: &str,
    table: &str,
) -> String {
    let (scratch, config) = config(3);
    let log = scratch.dir.join("lockstep.log").display().to_string();
    let (code, text) = sync(&config, &log, source_url, target_url);
    assert_eq!(proxy.cuts(), 1, "the proxy never cut:\n{text}");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("retry 1 of 3"), "{text}");
    assert!(
        text.contains(&format!("the {side} connection")),
        "the retry does not name the {side}:\n{text}"
    );
    if side == "source" {
        assert!(text.contains("new snapshot"), "{text}");
    }
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("in sync (exit 0)")
            && logged.contains(&format!("warning: `{table}`: retry 1 of 3")),
        "the log does not record the retry:\n{logged}"
    );
    text
}

/// A run whose target connection `proxy` cuts (`through_proxy` is the
/// target's URL through it), without retries: it fails naming the target
/// and the proxy's port and says it was not retried; a rerun straight to
/// `target_url` ends in sync.
pub fn cut_without_retries_then_rerun(
    proxy: &Proxy,
    source_url: &str,
    through_proxy: &str,
    target_url: &str,
) {
    let (scratch, config) = config(0);
    let log = scratch.dir.join("lockstep.log").display().to_string();
    let (code, text) = sync(&config, &log, source_url, through_proxy);
    assert_eq!(proxy.cuts(), 1, "the proxy never cut:\n{text}");
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("the target connection"), "{text}");
    assert!(
        text.contains(&format!("127.0.0.1:{}", proxy.port)),
        "{text}"
    );
    assert!(text.contains("not retried (retries = 0)"), "{text}");
    let (code, text) = sync(&config, &log, source_url, target_url);
    assert_eq!(code, 0, "{text}");
}
