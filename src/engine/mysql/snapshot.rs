//! Several MySQL/MariaDB source connections that read one moment, as
//! mydumper's workers do: a brief `FLUSH TABLES WITH READ LOCK` on a
//! connection of its own holds the server's writers while each reader
//! opens `START TRANSACTION WITH CONSISTENT SNAPSHOT`, then lets them go.

use super::{execute, MySqlConnection};
use crate::engine::{DataSession, EngineConnection, SharedSnapshot};
use crate::error::Result;

/// How long taking the global read lock may wait, in seconds (while it
/// waits, the server holds new writes too).
const HOLD_WAIT_SECONDS: u32 = 5;

/// Opens the snapshot on `first` and on up to `more` new connections.
/// Without the lock (no RELOAD privilege, or running statements that do
/// not end within `HOLD_WAIT_SECONDS`) `first` reads alone, and the note
/// says why and what to do.
pub(super) async fn share(
    first: &mut MySqlConnection,
    more: usize,
) -> Result<SharedSnapshot<MySqlConnection>> {
    let alone = |note| SharedSnapshot {
        more: Vec::new(),
        note,
    };
    if more == 0 {
        first
            .begin_data_session(DataSession::SourceSnapshot)
            .await?;
        return Ok(alone(None));
    }
    let mut locker = first.open_sibling().await?;
    let held = async {
        execute::session(
            &mut locker.conn,
            &format!("SET SESSION lock_wait_timeout = {HOLD_WAIT_SECONDS}"),
        )
        .await?;
        execute::session(&mut locker.conn, "FLUSH TABLES WITH READ LOCK").await
    }
    .await;
    if let Err(e) = held {
        first
            .begin_data_session(DataSession::SourceSnapshot)
            .await?;
        return Ok(alone(Some(format!(
            "tables were synced one at a time: reading the source on {} connections as of one moment needs a brief FLUSH TABLES WITH READ LOCK, which the server refused or could not give within a few seconds ({e}); grant RELOAD, or set parallelism = 1 to skip the lock",
            more + 1
        ))));
    }
    let opened: Result<Vec<MySqlConnection>> = async {
        first
            .begin_data_session(DataSession::SourceSnapshot)
            .await?;
        let mut readers = Vec::with_capacity(more);
        for _ in 0..more {
            let mut reader = first.open_sibling().await?;
            reader
                .begin_data_session(DataSession::SourceSnapshot)
                .await?;
            readers.push(reader);
        }
        Ok(readers)
    }
    .await;
    execute::session(&mut locker.conn, "UNLOCK TABLES").await?;
    Ok(SharedSnapshot {
        more: opened?,
        note: None,
    })
}
