//! The project config: one TOML file (`lockstep.toml` by default) with
//! `[source]`, `[target]`, `[sync]` and optional `[tables.<name>]` tables.
//! String values may use `${VAR}` / `$VAR` from the environment (expanded
//! after parsing, never in the raw text). Every error names the file, line
//! and column and says what to do.
//!
//! What the command line overrides arrives as a plain `Overrides`: this
//! module never sees the binary's flag definitions. It uses `engine`
//! (connect options, roles), `url` and `error`.

mod position;
mod raw;
mod resolve;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use crate::engine::ConnectOptions;
use crate::error::{Error, Result};
pub use crate::sync::FkStrategy;
use crate::sync::RetryPolicy;
use crate::tunnel::SshHop;
use crate::url::DatabaseUrl;
pub use position::{Located, Origin};

/// The commented starter config that `lockstep init` writes.
pub const STARTER_CONFIG: &str = include_str!("starter.toml");

/// The config file read when no `-c FILE` is given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "lockstep.toml";

/// What the command line overrides in the config file. `Default`
/// overrides nothing; a list that is not empty replaces the config's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// The config file to read (`-c FILE`) instead of `./lockstep.toml`.
    pub config: Option<PathBuf>,
    /// `--source URL`: replaces `[source]` (which is then not read).
    pub source: Option<String>,
    /// `--target URL`: replaces `[target]` (which is then not read).
    pub target: Option<String>,
    /// `--source-ssh HOP`: replaces `ssh` of `[source]`.
    pub source_ssh: Option<String>,
    /// `--target-ssh HOP`: replaces `ssh` of `[target]`.
    pub target_ssh: Option<String>,
    pub tables: Vec<String>,
    pub exclude: Vec<String>,
    /// Permits destructive changes even if the config does not.
    pub allow_destructive: bool,
    pub fk_strategy: Option<FkStrategy>,
    pub diff_algorithm: Option<DiffAlgorithm>,
    pub parallelism: Option<u32>,
}

/// How a table's differences are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffAlgorithm {
    /// Over a network, per table, row hashes by key (or bisection for a
    /// table without a key) or streaming, whichever the link makes
    /// cheaper; stream where both are on this machine (reading rows costs
    /// less than hashing them there).
    #[default]
    Auto,
    /// Checksum key ranges on both servers; stream only ranges that differ.
    Bisect,
    /// Stream every row's key and a 64-bit hash of it from both servers;
    /// read whole rows only for keys whose hashes differ.
    Hashes,
    /// Stream every row of both sides and merge them.
    Stream,
}

/// In what order tables are synced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderStrategy {
    /// Referenced tables before the tables that reference them.
    Dependency,
    /// By name.
    Alphabetical,
    /// The listed tables first, in this order; the rest after them.
    Custom(Vec<Located<String>>),
}

/// Everything a run needs to know, resolved from the config file and the
/// command line. `Debug` and `Display` never show a password.
#[derive(Debug, Clone)]
pub struct Settings {
    pub source: DatabaseUrl,
    pub target: DatabaseUrl,
    /// The SSH host the source is reached through, if any.
    pub source_ssh: Option<SshHop>,
    /// The SSH host the target is reached through, if any.
    pub target_ssh: Option<SshHop>,
    pub connect: ConnectOptions,
    pub order: OrderStrategy,
    pub multi_pass: bool,
    pub fk_retry: u32,
    pub fk_strategy: FkStrategy,
    pub diff_algorithm: DiffAlgorithm,
    /// Tables synced at the same time, each on its own connections.
    pub parallelism: usize,
    /// A table of at least twice this many rows (the source's estimate)
    /// is synced in key ranges of at least this many rows side by side,
    /// one per lane; 0: each table on one lane. `None`: the default, which
    /// depends on the link (`sync::default_range_rows`).
    pub range_rows: Option<u64>,
    pub skip_problematic_foreign_keys: bool,
    pub schema_validation: bool,
    pub auto_fix_schema: bool,
    pub allow_destructive: bool,
    /// The share of a table's rows a sync may delete without
    /// `allow_destructive` (0 to 1).
    pub max_delete_ratio: f64,
    /// Retries of a table's pass after a lost connection, and the waits.
    pub retry: RetryPolicy,
    pub tables: Vec<Located<String>>,
    pub exclude: Vec<Located<String>>,
    /// Comparison key overrides, table name -> columns.
    pub table_keys: BTreeMap<String, Vec<String>>,
    /// The `[tables.<name>]` sections, each where it is written: a name
    /// neither database has is an error at its line.
    pub table_sections: Vec<Located<String>>,
    pub config_file: Option<PathBuf>,
}

impl Settings {
    /// The source as people see it: its URL (no password), and the SSH
    /// host it is reached through (`mysql://u@db:3306/app via ssh u@bastion:22`).
    pub fn shown_source(&self) -> String {
        shown(&self.source, self.source_ssh.as_ref())
    }

    /// The target as people see it, like [`Settings::shown_source`].
    pub fn shown_target(&self) -> String {
        shown(&self.target, self.target_ssh.as_ref())
    }

    /// Reads the config file (`overrides.config`, else `./lockstep.toml` if it
    /// exists, else none), expands `${VAR}`, applies the command-line
    /// overrides and validates.
    pub fn load(overrides: &Overrides) -> Result<Settings> {
        Self::load_for(overrides, true)
    }

    /// Like `load`, for commands that only read the source (`graph`): a
    /// missing target is not an error (the source stands in for it).
    pub fn load_source_only(overrides: &Overrides) -> Result<Settings> {
        Self::load_for(overrides, false)
    }

    fn load_for(overrides: &Overrides, need_target: bool) -> Result<Settings> {
        let path = match &overrides.config {
            Some(path) => path.clone(),
            None => {
                let path = PathBuf::from(DEFAULT_CONFIG_FILE);
                if !path.is_file() {
                    return Self::parse(overrides, "", "(no config file)", need_target);
                }
                path
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|source| {
            let shown = path.display();
            let context = if source.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "config file `{shown}` does not exist; create one with `lockstep init {shown}`"
                )
            } else {
                format!("cannot read config file `{shown}`")
            };
            Error::Io { context, source }
        })?;
        let mut settings = Self::parse(overrides, &text, &path.display().to_string(), need_target)?;
        settings.config_file = Some(path);
        Ok(settings)
    }

    /// Like `load`, from config text; `file_name` is used in error messages.
    pub fn from_toml_str(text: &str, file_name: &str, overrides: &Overrides) -> Result<Settings> {
        Self::parse(overrides, text, file_name, true)
    }

    fn parse(
        overrides: &Overrides,
        text: &str,
        file_name: &str,
        need_target: bool,
    ) -> Result<Settings> {
        let src = position::Source {
            file: file_name,
            text,
        };
        let raw: raw::RawConfig = toml::from_str(text).map_err(|e| src.parse_error(&e))?;
        resolve::resolve(raw, &src, overrides, need_target)
    }
}

fn shown(url: &DatabaseUrl, ssh: Option<&SshHop>) -> String {
    match ssh {
        Some(hop) => format!("{url} via ssh {hop}"),
        None => url.to_string(),
    }
}

fn names(list: &[Located<String>]) -> String {
    let names: Vec<&str> = list.iter().map(|n| n.value.as_str()).collect();
    names.join(", ")
}

impl fmt::Display for Settings {
    /// A short summary for verbose output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.config_file {
            writeln!(f, "config:  {}", file.display())?;
        }
        writeln!(f, "source:  {}", self.shown_source())?;
        writeln!(f, "target:  {}", self.shown_target())?;
        match &self.order {
            OrderStrategy::Dependency => writeln!(f, "order:   dependency")?,
            OrderStrategy::Alphabetical => writeln!(f, "order:   alphabetical")?,
            OrderStrategy::Custom(list) => writeln!(f, "order:   custom ({})", names(list))?,
        }
        if !self.tables.is_empty() {
            writeln!(f, "tables:  {}", names(&self.tables))?;
        }
        if !self.exclude.is_empty() {
            writeln!(f, "exclude: {}", names(&self.exclude))?;
        }
        write!(
            f,
            "foreign keys: {} (retry {}{}), destructive changes {}",
            self.fk_strategy.as_str(),
            self.fk_retry,
            if self.multi_pass { ", multi-pass" } else { "" },
            if self.allow_destructive {
                "allowed"
            } else {
                "refused"
            }
        )
    }
}
