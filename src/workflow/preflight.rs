//! What a run checks before its first write, so that a refusal leaves the
//! target exactly as it was: that source and target are two databases,
//! that both accounts hold the privileges the run needs (the source's to
//! see every table, the target's for every change planned), and that
//! every file the run will write can be written.

use std::fs::OpenOptions;
use std::path::Path;

use crate::config::Settings;
use crate::engine::{MissingPrivilege, PlannedAccess, SourceDb, TargetDb};
use crate::error::{Error, Result};
use crate::report;
use crate::url::DatabaseUrl;

/// What to do when source and target turn out to be one database.
const SAME_DATABASE_HINT: &str = "a sync would read and write one database; check --source and --target (or [source] and [target] in the config)";

/// The same URL on both sides, found before connecting.
pub(super) fn distinct_urls(settings: &Settings) -> Result<()> {
    if settings.source == settings.target && settings.source_ssh == settings.target_ssh {
        return Err(Error::Refused(format!(
            "the source and the target are the same database ({}): {SAME_DATABASE_HINT}",
            settings.shown_source()
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

/// Refuses the run, naming every missing grant, when either account lacks
/// a privilege for what the run will do (`source` reads, `target` reads
/// and writes).
pub(super) async fn privileges(
    settings: &Settings,
    (source, source_access): (&mut SourceDb, PlannedAccess<'_>),
    (target, target_access): (&mut TargetDb, PlannedAccess<'_>),
) -> Result<()> {
    let (source_lacks, target_lacks) = tokio::try_join!(
        source.missing_privileges(&source_access),
        target.missing_privileges(&target_access),
    )?;
    let mut text = Vec::new();
    for (side, url, lacks) in [
        ("source", &settings.source, source_lacks),
        ("target", &settings.target, target_lacks),
    ] {
        if !lacks.is_empty() {
            text.push(describe_lacks(side, url, &lacks));
        }
    }
    if text.is_empty() {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "{}\nnothing was written; grant these to the account, or run with an account that holds them",
        text.join("\n")
    )))
}

/// One side's missing grants, a line per purpose and set of privileges:
/// `INSERT, UPDATE, DELETE on `db`.`a`, `db`.`b` (to write rows)`.
fn describe_lacks(side: &str, url: &DatabaseUrl, lacks: &[MissingPrivilege]) -> String {
    // Privileges per object and purpose, then objects per privileges and purpose.
    let mut per_object: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for lack in lacks {
        match per_object
            .iter_mut()
            .find(|(on, purpose, _)| *on == lack.on && *purpose == lack.purpose)
        {
            Some((_, _, privileges)) => privileges.push(&lack.privilege),
            None => per_object.push((&lack.on, &lack.purpose, vec![&lack.privilege])),
        }
    }
    let mut lines: Vec<(String, &str, Vec<&str>)> = Vec::new();
    for (on, purpose, privileges) in per_object {
        let privileges = privileges.join(", ");
        match lines
            .iter_mut()
            .find(|(p, why, _)| *p == privileges && *why == purpose)
        {
            Some((_, _, objects)) => objects.push(on),
            None => lines.push((privileges, purpose, vec![on])),
        }
    }
    let mut text = format!("the {side} account ({url}) lacks privileges this run needs:");
    for (privileges, purpose, objects) in lines {
        let objects = report::names(&objects);
        text.push_str(&format!("\n   {privileges} on {objects} ({purpose})"));
    }
    text
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
