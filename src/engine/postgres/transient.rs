//! Which PostgreSQL failures are worth a retry on a new connection: a
//! lost connection (the session closed, an I/O error, SQLSTATE class 08),
//! a server shutting down or starting (57P01–57P03), too many connections
//! (53300), a serialization failure (40001), a deadlock (40P01), a lock
//! not available (55P03). Such a failure becomes `Error::Transient`,
//! tagged with the side and server by the connection that saw it
//! (`PgConnection::located`); the data phase then reconnects and redoes
//! the table (`sync::retry`).

use tokio_postgres::error::SqlState;

use super::connect::error_text;
use crate::error::Error;

/// SQLSTATEs whose statement may succeed when run again.
const TRANSIENT_STATES: &[SqlState] = &[
    SqlState::T_R_SERIALIZATION_FAILURE,
    SqlState::T_R_DEADLOCK_DETECTED,
    SqlState::LOCK_NOT_AVAILABLE,
    SqlState::ADMIN_SHUTDOWN,
    SqlState::CRASH_SHUTDOWN,
    SqlState::CANNOT_CONNECT_NOW,
    SqlState::TOO_MANY_CONNECTIONS,
];

pub(super) fn is_transient(error: &tokio_postgres::Error) -> bool {
    if error.is_closed() {
        return true;
    }
    match error.code() {
        Some(code) => TRANSIENT_STATES.contains(code) || code.code().starts_with("08"),
        // No SQLSTATE: the driver's own failure; an I/O error underneath
        // is the network's.
        None => std::error::Error::source(error).is_some_and(|s| s.is::<std::io::Error>()),
    }
}

/// A failed statement: `Error::Transient` (side and server filled in
/// later) when a retry may help, else the statement's error.
pub(super) fn query_error(
    context: impl Into<String>,
    sql: &str,
    error: &tokio_postgres::Error,
) -> Error {
    if is_transient(error) {
        return Error::Transient {
            side: "",
            endpoint: String::new(),
            context: context.into(),
            message: error_text(error),
        };
    }
    Error::statement(context, sql, error_text(error))
}
