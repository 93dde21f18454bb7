//! How a run reaches each database: straight at its URL, or through an SSH
//! tunnel (`crate::tunnel`) to a loopback port. A [`Route`] owns its
//! tunnel for the run (the tunnel closes when the route is dropped, also
//! on error or panic) and puts the SSH hop into connection errors, so they
//! say which hop failed.

use crate::engine::{ConnectOptions, Role};
use crate::error::{Error, Result};
use crate::tunnel::{SshHop, Tunnel, TunnelError};
use crate::url::DatabaseUrl;

pub(super) struct Route {
    /// The URL the engines connect to: the configured one, or its tunnel's
    /// local end.
    pub url: DatabaseUrl,
    tunnel: Option<Tunnel>,
    role: Role,
    /// The configured URL and hop, as errors show them.
    shown: String,
}

impl Route {
    /// Opens the tunnel of `url` if it has an SSH `hop`.
    pub async fn open(
        url: &DatabaseUrl,
        hop: Option<&SshHop>,
        role: Role,
        connect: &ConnectOptions,
    ) -> Result<Route> {
        let shown = match hop {
            Some(hop) => format!("{url} via ssh {hop}"),
            None => url.to_string(),
        };
        let (Some(hop), DatabaseUrl::MySql(server) | DatabaseUrl::Postgres(server)) = (hop, url)
        else {
            return Ok(Route {
                url: url.clone(),
                tunnel: None,
                role,
                shown,
            });
        };
        let tunnel = Tunnel::open(hop, &server.host, server.port, connect.connect_timeout)
            .await
            .map_err(|e| connect_error(role, &shown, e))?;
        let mut local = server.clone();
        local.host = "127.0.0.1".to_string();
        local.port = tunnel.local_port();
        let url = match url {
            DatabaseUrl::Postgres(_) => DatabaseUrl::Postgres(local),
            _ => DatabaseUrl::MySql(local),
        };
        Ok(Route {
            url,
            tunnel: Some(tunnel),
            role,
            shown,
        })
    }

    /// A failed connection through this route, told as the user configured
    /// it (the database's own host and the SSH hop, not the tunnel's local
    /// port), with the SSH side's reason when it has one.
    pub async fn explain(&mut self, error: Error) -> Error {
        let Some(tunnel) = &mut self.tunnel else {
            return error;
        };
        match (tunnel.failure().await, error) {
            (Some(failure), Error::Connect { message, .. }) => connect_error(
                self.role,
                &self.shown,
                TunnelError {
                    message: format!("{} (the database client said: {message})", failure.message),
                    hint: failure.hint,
                },
            ),
            (None, Error::Connect { message, hint, .. }) => {
                // The engine named the tunnel's local end; the user knows
                // the database by its own host and port.
                let local = format!("127.0.0.1:{}", tunnel.local_port());
                let remote = tunnel.remote();
                Error::Connect {
                    role: self.role.as_str(),
                    endpoint: self.shown.clone(),
                    message: message.replace(&local, &remote),
                    hint: hint.replace(&local, &remote),
                }
            }
            (_, other) => other,
        }
    }
}

fn connect_error(role: Role, shown: &str, e: TunnelError) -> Error {
    Error::Connect {
        role: role.as_str(),
        endpoint: shown.to_string(),
        message: e.message,
        hint: e.hint,
    }
}
