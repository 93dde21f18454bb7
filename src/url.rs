//! Database URLs: `mysql://user:pass@host:port/db?ssl-mode=required`,
//! `sqlite:PATH`, `postgres://...`. Parsing, and a display form that never
//! shows the password.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{Error, Result};

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    MySql(ServerUrl),
    Postgres(ServerUrl),
    Sqlite { path: String },
}

/// A client/server endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerUrl {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub database: String,
    /// Query parameters (TLS options and the like), in order of name.
    pub params: BTreeMap<String, String>,
}

impl DatabaseUrl {
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |message: &str| Error::Url {
            url: mask_password(text),
            message: message.to_string(),
        };
        if let Some(path) = text.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(bad("no file path; write sqlite:path/to/file.db"));
            }
            return Ok(DatabaseUrl::Sqlite {
                path: path.to_string(),
            });
        }
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| bad("expected mysql://, mariadb://, postgres:// or sqlite:"))?;
        let default_port = match scheme {
            "mysql" | "mariadb" => 3306,
            "postgres" | "postgresql" => 5432,
            other => {
                return Err(bad(&format!(
                    "unknown scheme `{other}`; use mysql://, mariadb://, postgres:// or sqlite:"
                )))
            }
        };
        // A password holding `/`, `?` or `#` unencoded ends the authority
        // early, and its pieces would be read as host, port or database
        // (and quoted back in an error). The user info runs to the last
        // `@`, so an `@` after the authority's end means exactly that.
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if !rest[..authority_end].contains('@') && rest[authority_end..].contains('@') {
            return Err(bad(
                "an `@` after the first `/`, `?` or `#`: percent-encode those characters in the user name and password (`/` is %2F, `?` is %3F, `#` is %23, `@` is %40)",
            ));
        }
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (authority, database) = rest
            .split_once('/')
            .ok_or_else(|| bad("no database name; add /DATABASE after the host"))?;
        if database.is_empty() || database.contains('/') {
            return Err(bad("expected exactly one database name after the host"));
        }
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((user, pass)) => (decode(user, &bad)?, Some(decode(pass, &bad)?)),
                None => (decode(u, &bad)?, None),
            },
            None => ("root".to_string(), None),
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("unclosed [ in IPv6 host"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => parse_port(p, &bad)?,
                None if after.is_empty() => default_port,
                None => return Err(bad("unexpected text after IPv6 host")),
            };
            (h.to_string(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), parse_port(p, &bad)?),
                None => (hostport.to_string(), default_port),
            }
        };
        if host.is_empty() {
            return Err(bad("no host name"));
        }
        let mut params = BTreeMap::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            params.insert(decode(k, &bad)?, decode(v, &bad)?);
        }
        let server = ServerUrl {
            host,
            port,
            user,
            password,
            database: decode(database, &bad)?,
            params,
        };
        Ok(if default_port == 3306 {
            DatabaseUrl::MySql(server)
        } else {
            DatabaseUrl::Postgres(server)
        })
    }

    /// The database (schema) name, or the file for SQLite.
    pub fn database_name(&self) -> &str {
        match self {
            DatabaseUrl::MySql(s) | DatabaseUrl::Postgres(s) => &s.database,
            DatabaseUrl::Sqlite { path } => path,
        }
    }
}

fn parse_port(p: &str, bad: &dyn Fn(&str) -> Error) -> Result<u16> {
    p.parse::<u16>()
        .map_err(|_| bad(&format!("port `{p}` is not a number from 1 to 65535")))
}

/// Percent-decoding of URL parts (`%40` -> `@`).
fn decode(text: &str, bad: &dyn Fn(&str) -> Error) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| bad("bad percent-escape; write %XX with two hex digits"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad("percent-escapes do not form UTF-8 text"))
}

/// Replaces the password of any `scheme://user:password@` in `text` by `***`.
/// Used on every string that could echo a URL back to the user.
pub fn mask_password(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        // The URL runs to the next blank or quote. Its user info ends at the
        // last `@` in it, so a password holding `/`, `:` or `@` still hides
        // whole (a path with an `@` would be masked too: safe side).
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '`')
            .unwrap_or(tail.len());
        let url = &tail[..end];
        match url.rsplit_once('@') {
            Some((userinfo, after)) => match userinfo.split_once(':') {
                Some((user, _)) => {
                    out.push_str(user);
                    out.push_str(":***@");
                    out.push_str(after);
                }
                None => out.push_str(url),
            },
            None => out.push_str(url),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

impl ServerUrl {
    /// Removes the password from a driver's message, should one ever echo
    /// it.
    pub fn scrub(&self, message: &str) -> String {
        match self.password.as_deref() {
            Some(p) if !p.is_empty() => message.replace(p, "***"),
            _ => message.to_string(),
        }
    }

    /// The hint for a connection that never reached a server.
    pub fn unreachable_hint(&self) -> String {
        format!(
            "is the server running at {}:{}? check host and port",
            self.host, self.port
        )
    }
}

impl fmt::Display for DatabaseUrl {
    /// The URL with the password masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite { path } => write!(f, "sqlite:{path}"),
            DatabaseUrl::MySql(s) => write!(f, "mysql://{s}"),
            DatabaseUrl::Postgres(s) => write!(f, "postgres://{s}"),
        }
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.user)?;
        if self.password.is_some() {
            write!(f, ":***")?;
        }
        if self.host.contains(':') {
            write!(f, "@[{}]:{}/{}", self.host, self.port, self.database)
        } else {
            write!(f, "@{}:{}/{}", self.host, self.port, self.database)
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mysql_with_params_and_masks_password() {
        let url =
            DatabaseUrl::parse("mysql://app:s%40cret@db.example:3307/midas?ssl-mode=required")
                .unwrap();
        let DatabaseUrl::MySql(s) = &url else {
            panic!("not mysql")
        };
        assert_eq!(s.password.as_deref(), Some("s@cret"));
        assert_eq!(s.port, 3307);
        assert_eq!(s.params["ssl-mode"], "required");
        assert_eq!(url.to_string(), "mysql://app:***@db.example:3307/midas");
        assert!(!format!("{url:?}").contains("cret"));
    }

    #[test]
    fn parses_sqlite_and_rejects_garbage() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:examples/a.db").unwrap(),
            DatabaseUrl::Sqlite {
                path: "examples/a.db".into()
            }
        );
        for bad in [
            "mysql://h",
            "ftp://x/y",
            "mysql://u:p@h:99999/db",
            "sqlite:",
            "nothing",
        ] {
            let err = DatabaseUrl::parse(bad).unwrap_err().to_string();
            assert!(err.contains("invalid database URL"), "{bad}: {err}");
        }
        let err = DatabaseUrl::parse("mysql://u:topsecret@h:x/db")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("topsecret"), "{err}");
    }

    #[test]
    fn masks_urls_inside_text() {
        assert_eq!(
            mask_password("failed: mysql://root:pw@h/db and postgres://u@h/d"),
            "failed: mysql://root:***@h/db and postgres://u@h/d"
        );
        assert_eq!(mask_password("mysql://u:pa/ss@h/db"), "mysql://u:***@h/db");
        assert_eq!(
            mask_password("mysql://u:p@ss@h:1/db x"),
            "mysql://u:***@h:1/db x"
        );
    }
}
