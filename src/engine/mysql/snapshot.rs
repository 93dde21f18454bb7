//! Several MySQL/MariaDB source connections that read one moment, as
//! mydumper's workers do: a brief `FLUSH TABLES WITH READ LOCK` on a
//! connection of its own holds the server's writers while each reader
//! opens `START TRANSACTION WITH CONSISTENT SNAPSHOT`, then lets them go.
//! Every connection is opened before the lock is taken, all at once, and
//! the snapshots start all at once, so the lock lasts about two round
//! trips however many readers there are. Where the link wants streams of
//! keys and row hashes uncompressed, each reader gets an uncompressed
//! sibling in the same snapshot for them.

use futures_util::future::try_join_all;

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
        first.begin_snapshot().await?;
        return Ok(alone(None));
    }
    let plain = first.wants_hash_session();
    let (mut locker, mut readers, mut hash_sessions) = tokio::try_join!(
        first.open_sibling(),
        try_join_all((0..more).map(|_| first.open_sibling())),
        try_join_all((0..if plain { more + 1 } else { 0 }).map(|_| first.open_hash_session())),
    )?;
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
        first.begin_snapshot().await?;
        return Ok(alone(Some(format!(
            "tables were synced one at a time: reading the source on {} connections as of one moment needs a brief FLUSH TABLES WITH READ LOCK, which the server refused or could not give within a few seconds ({e}); grant RELOAD, or set parallelism = 1 to skip the lock",
            more + 1
        ))));
    }
    let begun = tokio::try_join!(
        first.begin_snapshot(),
        try_join_all(readers.iter_mut().map(|r| r.begin_snapshot())),
        try_join_all(hash_sessions.iter_mut().map(|h| h.begin_snapshot())),
    );
    execute::session(&mut locker.conn, "UNLOCK TABLES").await?;
    begun?;
    let mut hash_sessions = hash_sessions.into_iter().map(Box::new);
    first.hash_session = hash_sessions.next();
    for reader in &mut readers {
        reader.hash_session = hash_sessions.next();
    }
    Ok(SharedSnapshot {
        more: readers,
        note: None,
    })
}

impl MySqlConnection {
    /// Starts this session's snapshot transaction (see
    /// `begin_data_session`).
    async fn begin_snapshot(&mut self) -> Result<()> {
        self.begin_data_session(DataSession::SourceSnapshot).await
    }
}
