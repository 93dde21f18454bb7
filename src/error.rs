//! The library's error type. Every variant says what failed and, where it
//! can, what the user can do about it. All of them map to exit code 2,
//! except `Stopped` (the signal's own exit code).

use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum Error {
    /// Wrong use of the command line or of a mode.
    #[error("{0}")]
    Usage(String),

    /// A problem in the configuration file, with its position.
    #[error("{file}:{line}:{column}: {message}")]
    Config {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },

    /// A database URL that cannot be understood. `url` is already masked.
    #[error("invalid database URL `{url}`: {message}")]
    Url { url: String, message: String },

    /// The server could not be reached or refused the login.
    /// `endpoint` never contains a password.
    #[error("cannot connect to the {role} database {endpoint}: {message}\n  hint: {hint}")]
    Connect {
        role: &'static str,
        endpoint: String,
        message: String,
        hint: String,
    },

    /// A statement or query failed. `context` names the object (table, key,
    /// constraint) and what lockstep was doing.
    #[error("{context}: {message}{}", statement.as_deref().map(|s| format!("\n  statement: {s}")).unwrap_or_default())]
    Database {
        context: String,
        message: String,
        statement: Option<String>,
    },

    /// lockstep refused to do something unsafe or unsupported.
    #[error("{0}")]
    Refused(String),

    /// A connection was lost, or the server gave up a statement that may
    /// succeed if run again (a lock wait timeout, a deadlock, too many
    /// connections). `side` is "source" or "target" and `endpoint` the
    /// server without its password; the data phase reconnects and redoes
    /// the table (see `sync::retry`).
    #[error("{context}: {message} (the {side} {endpoint})")]
    Transient {
        side: &'static str,
        endpoint: String,
        context: String,
        message: String,
    },

    /// The run was asked to stop (a signal) and stopped at a batch
    /// boundary: nothing half-written was kept.
    #[error("stopped on request before finishing")]
    Stopped,

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A transient error not yet tagged (`side` empty) tagged with the
    /// side and server of the connection that saw it (never the
    /// password); any other error, or one another connection already
    /// tagged (a source's read failing a bulk load), as it is.
    pub fn located(self, side: &'static str, endpoint: impl FnOnce() -> String) -> Self {
        match self {
            Error::Transient {
                side: "",
                context,
                message,
                ..
            } => Error::Transient {
                side,
                endpoint: endpoint(),
                context,
                message,
            },
            other => other,
        }
    }

    pub fn database(context: impl Into<String>, message: impl ToString) -> Self {
        Error::Database {
            context: context.into(),
            message: message.to_string(),
            statement: None,
        }
    }

    pub fn statement(context: impl Into<String>, statement: &str, message: impl ToString) -> Self {
        Error::Database {
            context: context.into(),
            message: message.to_string(),
            statement: Some(statement.to_string()),
        }
    }
}
