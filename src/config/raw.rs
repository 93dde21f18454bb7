//! The config file exactly as written: serde structs that reject unknown
//! keys and keep the span of every value that may need an error message.
//! Nothing here is expanded or validated; see `resolve`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{DiffAlgorithm, FkStrategy};

pub(crate) type Text = Spanned<String>;
pub(crate) type TextList = Spanned<Vec<Text>>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub source: Option<Spanned<RawDatabase>>,
    pub target: Option<Spanned<RawDatabase>>,
    #[serde(default)]
    pub sync: RawSync,
    /// `[tables.<name>]`, each name with where it is written.
    #[serde(default)]
    pub tables: BTreeMap<Spanned<String>, RawTable>,
}

/// `[source]` / `[target]`: either `url`, or the parts of one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDatabase {
    pub url: Option<Text>,
    pub engine: Option<Spanned<Engine>>,
    pub host: Option<Text>,
    pub port: Option<Spanned<u16>>,
    pub user: Option<Text>,
    pub password: Option<Text>,
    pub database: Option<Text>,
    pub path: Option<Text>,
    pub params: Option<Spanned<BTreeMap<String, Text>>>,
    /// `[user@]host[:port]` of an SSH host to tunnel through.
    pub ssh: Option<Text>,
    /// An ssh config file read instead of the user's own (`ssh -F`).
    pub ssh_config: Option<Text>,
    pub compress: Option<Spanned<Compress>>,
}

/// `compress = "auto" | true | false`: MySQL's compressed protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum Compress {
    Always(bool),
    Word(CompressWord),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CompressWord {
    Auto,
}

impl Compress {
    /// The value of the URL parameter `compress`.
    pub fn as_param(self) -> &'static str {
        match self {
            Compress::Always(true) => "true",
            Compress::Always(false) => "false",
            Compress::Word(CompressWord::Auto) => "auto",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Engine {
    Mysql,
    Sqlite,
    Postgres,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSync {
    pub connection_timeout: Option<Spanned<u64>>,
    pub read_timeout: Option<Spanned<u64>>,
    pub write_timeout: Option<Spanned<u64>>,
    pub order: Option<Spanned<Order>>,
    pub custom_order: Option<TextList>,
    pub multi_pass: Option<bool>,
    pub fk_retry: Option<u32>,
    pub fk_strategy: Option<FkStrategy>,
    pub diff_algorithm: Option<DiffAlgorithm>,
    pub parallelism: Option<Spanned<u32>>,
    pub range_rows: Option<u64>,
    pub skip_problematic_foreign_keys: Option<bool>,
    pub schema_validation: Option<bool>,
    pub auto_fix_schema: Option<bool>,
    pub allow_destructive: Option<bool>,
    pub max_delete_ratio: Option<Spanned<f64>>,
    pub retries: Option<u32>,
    pub retry_wait: Option<Text>,
    /// Deprecated, no effect: target triggers never fire on synced rows
    /// now (they wait until the rows are written). Still read so older
    /// config files keep working.
    #[serde(rename = "allow_triggers")]
    pub _allow_triggers: Option<bool>,
    pub tables: Option<TextList>,
    pub exclude: Option<TextList>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Order {
    Dependency,
    Alphabetical,
    Custom,
}

/// `[tables.<name>]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTable {
    pub key: Option<TextList>,
}
