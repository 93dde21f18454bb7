//! From the raw config plus the `Overrides` to `Settings`: `${VAR}`
//! expansion of string values, command-line overrides, defaults, and the
//! checks that need more than one key.

use std::collections::BTreeMap;
use std::env::VarError;
use std::path::PathBuf;
use std::time::Duration;

use super::position::{Located, Source};
use super::raw::{Engine, Order, RawConfig, RawDatabase, Text, TextList};
use super::{OrderStrategy, Overrides, Settings};
use crate::engine::{ConnectOptions, Role};
use crate::error::{Error, Result};
use crate::sync::RetryPolicy;
use crate::tunnel::SshHop;
use crate::url::{DatabaseUrl, ServerUrl};

pub(crate) fn resolve(
    raw: RawConfig,
    src: &Source,
    overrides: &Overrides,
    need_target: bool,
) -> Result<Settings> {
    let source = database(
        Role::Source,
        overrides.source.as_deref(),
        raw.source.as_ref(),
        src,
    )?;
    let target = if need_target || overrides.target.is_some() || raw.target.is_some() {
        database(
            Role::Target,
            overrides.target.as_deref(),
            raw.target.as_ref(),
            src,
        )?
    } else {
        source.clone()
    };
    let source_ssh = ssh_hop(
        Role::Source,
        overrides.source_ssh.as_deref(),
        raw.source.as_ref().filter(|_| overrides.source.is_none()),
        &source,
        src,
    )?;
    let target_ssh = ssh_hop(
        Role::Target,
        overrides.target_ssh.as_deref(),
        raw.target.as_ref().filter(|_| overrides.target.is_none()),
        &target,
        src,
    )?;
    let sync = raw.sync;
    let defaults = ConnectOptions::default();
    let connect = ConnectOptions {
        connect_timeout: seconds(
            sync.connection_timeout,
            "connection_timeout",
            defaults.connect_timeout,
            src,
        )?,
        read_timeout: seconds(
            sync.read_timeout,
            "read_timeout",
            defaults.read_timeout,
            src,
        )?,
        write_timeout: seconds(
            sync.write_timeout,
            "write_timeout",
            defaults.write_timeout,
            src,
        )?,
        row_hash: defaults.row_hash,
    };
    let tables = list_or_cli(&overrides.tables, sync.tables, "sync.tables", src)?;
    let exclude = list_or_cli(&overrides.exclude, sync.exclude, "sync.exclude", src)?;
    let mut table_keys = BTreeMap::new();
    let mut table_sections = Vec::new();
    for (name, table) in raw.tables {
        let at = name.span().start;
        let name = name.into_inner();
        table_sections.push(Located {
            value: name.clone(),
            origin: Some(src.origin(at)),
        });
        let Some(key) = table.key else { continue };
        if key.get_ref().is_empty() {
            return Err(src.origin(key.span().start).error(format!(
                "tables.{name}.key is empty; list the columns that identify a row, e.g. key = [\"id\"]"
            )));
        }
        let columns = list(key, &format!("tables.{name}.key"), src)?;
        table_keys.insert(name, columns.into_iter().map(|c| c.value).collect());
    }
    Ok(Settings {
        source,
        target,
        source_ssh,
        target_ssh,
        connect,
        order: order(sync.order, sync.custom_order, src)?,
        multi_pass: sync.multi_pass.unwrap_or(false),
        fk_retry: sync.fk_retry.unwrap_or(3),
        fk_strategy: overrides
            .fk_strategy
            .or(sync.fk_strategy)
            .unwrap_or_default(),
        diff_algorithm: overrides
            .diff_algorithm
            .or(sync.diff_algorithm)
            .unwrap_or_default(),
        parallelism: parallelism(overrides.parallelism, sync.parallelism, src)?,
        range_rows: sync.range_rows,
        skip_problematic_foreign_keys: sync.skip_problematic_foreign_keys.unwrap_or(true),
        schema_validation: sync.schema_validation.unwrap_or(true),
        auto_fix_schema: sync.auto_fix_schema.unwrap_or(true),
        allow_destructive: overrides.allow_destructive || sync.allow_destructive.unwrap_or(false),
        max_delete_ratio: ratio(sync.max_delete_ratio, src)?,
        retry: RetryPolicy {
            retries: sync.retries.unwrap_or(RetryPolicy::default().retries),
            first_wait: match &sync.retry_wait {
                Some(text) => wait(text, src)?,
                None => RetryPolicy::default().first_wait,
            },
        },
        tables,
        exclude,
        table_keys,
        table_sections,
        config_file: None,
    })
}

/// A string value with `${VAR}` / `$VAR` replaced from the environment
/// (`$$` is a literal `$`). `key` names the setting for error messages.
fn expand(text: &Text, key: &str, src: &Source) -> Result<Located<String>> {
    let origin = src.origin(text.span().start);
    match shellexpand::env(text.get_ref()) {
        Ok(value) => Ok(Located {
            value: value.into_owned(),
            origin: Some(origin),
        }),
        Err(err) => Err(origin.error(match err.cause {
            VarError::NotPresent => format!(
                "environment variable `{}` is not set (used in `{key}`); export it, or write $$ for a literal $",
                err.var_name
            ),
            VarError::NotUnicode(_) => format!(
                "environment variable `{}` (used in `{key}`) is not valid UTF-8",
                err.var_name
            ),
        })),
    }
}

fn list(items: TextList, key: &str, src: &Source) -> Result<Vec<Located<String>>> {
    items
        .into_inner()
        .iter()
        .map(|item| expand(item, key, src))
        .collect()
}

/// The command-line list if one was given (it replaces the config's), else
/// the config's.
fn list_or_cli(
    cli: &[String],
    config: Option<TextList>,
    key: &str,
    src: &Source,
) -> Result<Vec<Located<String>>> {
    if !cli.is_empty() {
        return Ok(cli.iter().cloned().map(Located::cli).collect());
    }
    config.map_or(Ok(Vec::new()), |items| list(items, key, src))
}

fn seconds(
    value: Option<toml::Spanned<u64>>,
    key: &str,
    default: Duration,
    src: &Source,
) -> Result<Duration> {
    match value {
        None => Ok(default),
        Some(v) if *v.get_ref() == 0 => Err(src
            .origin(v.span().start)
            .error(format!("{key} must be at least 1 (seconds)"))),
        Some(v) => Ok(Duration::from_secs(*v.get_ref())),
    }
}

/// `retry_wait`: a whole number with its unit, "500ms", "1s" or "2m".
fn wait(text: &Text, src: &Source) -> Result<Duration> {
    let value = text.get_ref().trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let parsed = number.parse::<u64>().ok().and_then(|n| match unit.trim() {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n.checked_mul(60)?)),
        _ => None,
    });
    parsed.ok_or_else(|| {
        src.origin(text.span().start).error(format!(
            "retry_wait `{value}` is not a duration; write a whole number with ms, s or m, e.g. \"1s\" or \"500ms\""
        ))
    })
}

fn order(
    order: Option<toml::Spanned<Order>>,
    custom: Option<TextList>,
    src: &Source,
) -> Result<OrderStrategy> {
    let kind = order.as_ref().map_or(Order::Dependency, |o| *o.get_ref());
    match (kind, custom) {
        (Order::Dependency, None) => Ok(OrderStrategy::Dependency),
        (Order::Alphabetical, None) => Ok(OrderStrategy::Alphabetical),
        (Order::Custom, None) => {
            let at = order.map_or(0, |o| o.span().start);
            Err(src.origin(at).error(
                "order = \"custom\" needs custom_order = [\"table\", ...] in [sync], listing the tables in the order to sync them",
            ))
        }
        (Order::Custom, Some(names)) => {
            if names.get_ref().is_empty() {
                return Err(src
                    .origin(names.span().start)
                    .error("custom_order is empty; list the tables in the order to sync them"));
            }
            let names = list(names, "sync.custom_order", src)?;
            for (i, name) in names.iter().enumerate() {
                if names[..i].iter().any(|n| n.value == name.value) {
                    let message = format!("table `{}` appears twice in custom_order", name.value);
                    return Err(name.error(message));
                }
            }
            Ok(OrderStrategy::Custom(names))
        }
        (other, Some(names)) => {
            let current = if other == Order::Alphabetical {
                "alphabetical"
            } else {
                "dependency"
            };
            Err(src.origin(names.span().start).error(format!(
                "custom_order is only used with order = \"custom\" (order is \"{current}\"); set order = \"custom\" or remove custom_order"
            )))
        }
    }
}

/// One side's database: `--source` / `--target` if given (the config's
/// table is then not read at all), else the config's `url` or parts.
fn database(
    role: Role,
    cli: Option<&str>,
    raw: Option<&toml::Spanned<RawDatabase>>,
    src: &Source,
) -> Result<DatabaseUrl> {
    let name = role.as_str();
    if let Some(url) = cli {
        return DatabaseUrl::parse(url).map_err(|e| Error::Usage(format!("--{name}: {e}")));
    }
    let Some(raw) = raw else {
        return Err(Error::Usage(format!(
            "no {name} database: set [{name}] url in the config or pass --{name} URL"
        )));
    };
    let side = Side {
        name,
        db: raw.get_ref(),
        at: raw.span().start,
        src,
    };
    let url = if let Some(url) = &side.db.url {
        side.url(url)?
    } else {
        match side
            .db
            .engine
            .as_ref()
            .map_or(Engine::Mysql, |e| *e.get_ref())
        {
            Engine::Sqlite => side.sqlite()?,
            Engine::Mysql => DatabaseUrl::MySql(side.server()?),
            Engine::Postgres => DatabaseUrl::Postgres(side.server()?),
        }
    };
    side.with_compress(url)
}

/// One side's SSH host: `--source-ssh` / `--target-ssh` if given, else
/// `ssh` of its config table (read only when that table is), with the
/// table's `ssh_config`.
fn ssh_hop(
    role: Role,
    cli: Option<&str>,
    raw: Option<&toml::Spanned<RawDatabase>>,
    url: &DatabaseUrl,
    src: &Source,
) -> Result<Option<SshHop>> {
    let name = role.as_str();
    let db = raw.map(|r| r.get_ref());
    let written = db.and_then(|db| db.ssh.as_ref());
    let config = match db.and_then(|db| db.ssh_config.as_ref()) {
        Some(text) if cli.is_none() && written.is_none() => {
            return Err(src.origin(text.span().start).error(format!(
                "{name}.ssh_config is only read with ssh = \"user@host:port\" in [{name}]; add ssh, or remove ssh_config"
            )))
        }
        Some(text) => {
            let path = expand(text, &format!("{name}.ssh_config"), src)?.value;
            Some(PathBuf::from(shellexpand::tilde(&path).into_owned()))
        }
        None => None,
    };
    let mut hop = match (cli, written) {
        (Some(text), _) => {
            SshHop::parse(text).map_err(|e| Error::Usage(format!("--{name}-ssh: {e}")))?
        }
        (None, Some(text)) => {
            let value = expand(text, &format!("{name}.ssh"), src)?.value;
            SshHop::parse(&value).map_err(|e| {
                src.origin(text.span().start)
                    .error(format!("invalid {name}.ssh: {e}"))
            })?
        }
        (None, None) => return Ok(None),
    };
    if let DatabaseUrl::Sqlite { .. } = url {
        return Err(Error::Usage(format!(
            "the {name} is a SQLite file, which is read on this machine: an SSH host ({hop}) applies only to a database server"
        )));
    }
    hop.config = config;
    Ok(Some(hop))
}

/// A `[source]` or `[target]` table being resolved.
struct Side<'a> {
    name: &'static str,
    db: &'a RawDatabase,
    /// Where the table starts, for errors about missing keys.
    at: usize,
    src: &'a Source<'a>,
}

impl Side<'_> {
    /// The keys other than `url` that are present, with their places.
    fn parts(&self) -> Vec<(&'static str, usize)> {
        let db = self.db;
        [
            ("engine", db.engine.as_ref().map(|v| v.span().start)),
            ("host", db.host.as_ref().map(|v| v.span().start)),
            ("port", db.port.as_ref().map(|v| v.span().start)),
            ("user", db.user.as_ref().map(|v| v.span().start)),
            ("password", db.password.as_ref().map(|v| v.span().start)),
            ("database", db.database.as_ref().map(|v| v.span().start)),
            ("path", db.path.as_ref().map(|v| v.span().start)),
            ("params", db.params.as_ref().map(|v| v.span().start)),
        ]
        .into_iter()
        .filter_map(|(key, at)| at.map(|at| (key, at)))
        .collect()
    }

    /// `compress`, a MySQL URL parameter written as a key of its own (so
    /// it also goes with `url`).
    fn with_compress(&self, url: DatabaseUrl) -> Result<DatabaseUrl> {
        let Some(compress) = &self.db.compress else {
            return Ok(url);
        };
        let at = compress.span().start;
        match url {
            DatabaseUrl::MySql(mut server) => {
                if server.params.contains_key("compress") {
                    return Err(self.error(
                        at,
                        format!(
                            "[{}] sets compress twice, as a key and in the URL; keep one",
                            self.name
                        ),
                    ));
                }
                server.params.insert(
                    "compress".to_string(),
                    compress.get_ref().as_param().to_string(),
                );
                Ok(DatabaseUrl::MySql(server))
            }
            _ => Err(self.error(
                at,
                format!(
                    "`compress` applies to MySQL/MariaDB servers only; remove it from [{}]",
                    self.name
                ),
            )),
        }
    }

    fn error(&self, at: usize, message: String) -> Error {
        self.src.origin(at).error(message)
    }

    fn expand(&self, text: &Text, key: &str) -> Result<String> {
        expand(text, &format!("{}.{key}", self.name), self.src).map(|v| v.value)
    }

    /// A string key that must be present and not empty.
    fn required(&self, text: Option<&Text>, key: &str) -> Result<String> {
        let Some(text) = text else {
            return Err(self.error(self.at, format!(
                "[{}] needs url = \"mysql://user:password@host:3306/database\", or the keys host and database (with port, user, password as needed); `{key}` is missing",
                self.name
            )));
        };
        let value = self.expand(text, key)?;
        if value.is_empty() {
            return Err(self.error(text.span().start, format!("{}.{key} is empty", self.name)));
        }
        Ok(value)
    }

    fn url(&self, url: &Text) -> Result<DatabaseUrl> {
        let name = self.name;
        if let Some((key, at)) = self.parts().first() {
            return Err(self.error(*at, format!(
                "[{name}] has both `url` and `{key}`; write either url = \"...\" or the host/port/user/password/database keys, not both"
            )));
        }
        let text = self.expand(url, "url")?;
        DatabaseUrl::parse(&text).map_err(|e| match e {
            Error::Url {
                url: masked,
                message,
            } => self.error(
                url.span().start,
                format!("invalid database URL `{masked}` in {name}.url: {message}"),
            ),
            other => other,
        })
    }

    fn sqlite(&self) -> Result<DatabaseUrl> {
        let name = self.name;
        if let Some((key, at)) = self
            .parts()
            .into_iter()
            .find(|(key, _)| !["engine", "path"].contains(key))
        {
            return Err(self.error(at, format!(
                "`{key}` does not apply to engine = \"sqlite\"; a sqlite [{name}] needs only path = \"file.sqlite\""
            )));
        }
        if self.db.path.is_none() {
            return Err(self.error(self.at, format!(
                "[{name}] with engine = \"sqlite\" needs path = \"file.sqlite\" (or url = \"sqlite:file.sqlite\")"
            )));
        }
        let path = self.required(self.db.path.as_ref(), "path")?;
        Ok(DatabaseUrl::Sqlite { path })
    }

    fn server(&self) -> Result<ServerUrl> {
        let db = self.db;
        if let Some(path) = &db.path {
            return Err(self.error(
                path.span().start,
                format!(
                    "`path` is only for engine = \"sqlite\"; a server [{}] needs host and database",
                    self.name
                ),
            ));
        }
        let postgres = db
            .engine
            .as_ref()
            .is_some_and(|e| *e.get_ref() == Engine::Postgres);
        let mut params = BTreeMap::new();
        for (key, value) in db.params.iter().flat_map(|p| p.get_ref()) {
            params.insert(key.clone(), self.expand(value, &format!("params.{key}"))?);
        }
        Ok(ServerUrl {
            host: self.required(db.host.as_ref(), "host")?,
            port: db
                .port
                .as_ref()
                .map_or(if postgres { 5432 } else { 3306 }, |p| *p.get_ref()),
            user: match &db.user {
                Some(user) => self.expand(user, "user")?,
                None => "root".to_string(),
            },
            password: db
                .password
                .as_ref()
                .map(|p| self.expand(p, "password"))
                .transpose()?,
            database: self.required(db.database.as_ref(), "database")?,
            params,
        })
    }
}

/// `max_delete_ratio`: a share from 0 to 1, 0.5 when not set.
fn ratio(value: Option<toml::Spanned<f64>>, src: &Source) -> Result<f64> {
    match value {
        None => Ok(0.5),
        Some(v) if (0.0..=1.0).contains(v.get_ref()) => Ok(*v.get_ref()),
        Some(v) => Err(src.origin(v.span().start).error(
            "max_delete_ratio is a share of a table's rows, from 0 to 1 (0.5 = half of them)",
        )),
    }
}

/// `--parallelism`, else `parallelism` in the config, else one lane per
/// core, at most four (beyond that the servers, not lockstep, are the
/// limit); zero is refused.
fn parallelism(
    cli: Option<u32>,
    config: Option<toml::Spanned<u32>>,
    src: &Source,
) -> Result<usize> {
    if let Some(n) = cli {
        return match n {
            0 => Err(Error::Usage("--parallelism must be 1 or more".to_string())),
            n => Ok(n as usize),
        };
    }
    match config {
        Some(n) if *n.get_ref() == 0 => Err(src
            .origin(n.span().start)
            .error("parallelism must be 1 or more (1 syncs one table at a time)")),
        Some(n) => Ok(*n.get_ref() as usize),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get().min(4))),
    }
}
