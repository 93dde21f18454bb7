//! Which MySQL/MariaDB failures are worth a retry on a new connection: a
//! lost connection (I/O errors, 2006 server gone away, 2013 lost during a
//! query, a killed connection or a server shutting down), a lock wait
//! timeout (1205), a deadlock (1213), too many connections (1040). Such a
//! failure becomes `Error::Transient`, tagged with the side and server by
//! the connection that saw it.

use mysql_async::DriverError;

use crate::error::Error;

/// Server codes whose statement may succeed when run again.
const TRANSIENT_CODES: &[u16] = &[1040, 1053, 1205, 1213, 1927, 2006, 2013];

pub(super) fn is_transient(error: &mysql_async::Error) -> bool {
    match error {
        mysql_async::Error::Io(_) => true,
        mysql_async::Error::Driver(
            DriverError::ConnectionClosed
            | DriverError::PacketOutOfOrder
            | DriverError::UnexpectedPacket { .. },
        ) => true,
        mysql_async::Error::Server(e) => TRANSIENT_CODES.contains(&e.code),
        _ => false,
    }
}

/// A failed query: `Error::Transient` (side and server filled in later by
/// `MySqlConnection::located`) when a retry may help, else the statement's
/// error.
pub(super) fn query_error(
    context: impl Into<String>,
    sql: &str,
    error: mysql_async::Error,
) -> Error {
    if is_transient(&error) {
        return Error::Transient {
            side: "",
            endpoint: String::new(),
            context: context.into(),
            message: error.to_string(),
        };
    }
    Error::statement(context, sql, error)
}
