//! What a run checks before its first write, so that a refusal leaves the
//! target exactly as it was: that source and target are two databases,
//! and that every file the run will write can be written.

use std::fs::OpenOptions;
use std::path::Path;

use crate::config::Settings;
use crate::engine::{SourceDb, TargetDb};
use crate::error::{Error, Result};

/// What to do when source and target turn out to be one database.
const SAME_DATABASE_HINT: &str = "a sync would read and write one database; check --source and --target (or [source] and [target] in the config)";

/// The same URL on both sides, found before connecting.
pub(super) fn distinct_urls(settings: &Settings) -> Result<()> {
    if settings.source == settings.target {
        return Err(Error::Refused(format!(
            "the source and the target are the same database ({}): {SAME_DATABASE_HINT}",
            settings.source
        )));
    }
    Ok(())
}

/// The same database reached by two URLs (another host name or port for
/// one server, another path to one file), by what the engines say they
/// reach.
pub(super) async fn distinct_databases(source: &mut SourceDb, target: &mut TargetDb) -> Result<()> {
    let (source, target) = tokio::try_join!(source.identity(), target.identity())?;
    match (source, target) {
        (Some(source), Some(target)) if source.key == target.key => Err(Error::Refused(format!(
            "the source and the target are the same database ({}): {SAME_DATABASE_HINT}",
            source.shown
        ))),
        _ => Ok(()),
    }
}

/// Checks that `path` can be written (its directory exists, the file can be
/// created or appended to), so a run finds out before it changes the
/// target rather than after. A file this check creates is removed again.
pub fn check_writable(path: &Path, what: &str) -> Result<()> {
    let existed = path.exists();
    match OpenOptions::new().append(true).create(true).open(path) {
        Ok(_) => {
            if !existed {
                // Only an empty file of our own making; gone or not, the
                // run writes the real one later.
                let _ = std::fs::remove_file(path);
            }
            Ok(())
        }
        Err(source) => Err(Error::Io {
            context: format!(
                "{what} cannot be written to {} (nothing was written to the target)",
                path.display()
            ),
            source,
        }),
    }
}
