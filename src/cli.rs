//! Command-line definitions (clap derive), part of the binary only: the
//! shape of the command line, its help texts, and the mapping of flags to
//! the library's plain types (`config::Overrides`, `FkStrategy`,
//! `DiffAlgorithm`, `workflow::Mode`, `report::graph::GraphFormat`). What
//! each command does is in the workflow. It may use the library; nothing in
//! the library uses it, and clap appears nowhere else but `main.rs`.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{ArgGroup, Args, Parser, Subcommand};

use lockstep::config::{DiffAlgorithm, FkStrategy, Overrides};
use lockstep::report::graph::GraphFormat;
use lockstep::workflow::Mode;

/// Make a target database identical to a source database, schema then rows, and prove it.
#[derive(Debug, Parser)]
#[command(name = "lockstep", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare source and target, then change the target's schema and rows to match the source (never writes to the source).
    Sync(SyncArgs),
    /// Compare source and target and report every difference without writing anything (same as `sync --validate-only`).
    Validate(RunArgs),
    /// Print the source's foreign-key dependency graph and the table order a sync would use (reads the source only).
    Graph(GraphArgs),
    /// Write a commented starter config file (touches no database).
    Init(InitArgs),
}

/// The values a flag accepts for a library enum: each value, its name on
/// the command line, and its help line in `--help`.
type Choices<T> = &'static [(T, &'static str, &'static str)];

const FK_STRATEGIES: Choices<FkStrategy> = &[
    (
        FkStrategy::Dependency,
        "dependency",
        "Write parent tables before the tables that reference them; retry what still fails",
    ),
    (
        FkStrategy::Disable,
        "disable",
        "Turn foreign-key checks off on the target session while writing rows",
    ),
];

const DIFF_ALGORITHMS: Choices<DiffAlgorithm> = &[
    (
        DiffAlgorithm::Auto,
        "auto",
        "Over a network, per table, row hashes by key (bisection without a key) or streaming, whichever the link makes cheaper; stream where both servers are on this machine (reading rows costs less than hashing them there)",
    ),
    (
        DiffAlgorithm::Bisect,
        "bisect",
        "Checksum key ranges on both servers; stream only ranges that differ",
    ),
    (
        DiffAlgorithm::Hashes,
        "hashes",
        "Stream each row's key and a 64-bit hash from both servers; read whole rows only where the hashes differ",
    ),
    (
        DiffAlgorithm::Stream,
        "stream",
        "Stream every row of both sides and merge them",
    ),
];

const GRAPH_FORMATS: Choices<GraphFormat> = &[
    (GraphFormat::Text, "text", "Indented plain text"),
    (GraphFormat::Dot, "dot", "Graphviz dot"),
    (GraphFormat::Mermaid, "mermaid", "Mermaid flowchart"),
];

/// Parses a flag's value into a library enum: only the names in `choices`
/// are accepted, and clap lists them in `--help` and in its errors.
fn one_of<T: Copy + Send + Sync + 'static>(
    choices: Choices<T>,
) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(
        choices
            .iter()
            .map(|&(_, name, help)| PossibleValue::new(name).help(help)),
    )
    .map(move |chosen| {
        let (value, _, _) = choices
            .iter()
            .find(|(_, name, _)| *name == chosen)
            .expect("clap accepts only the listed names");
        *value
    })
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub mode: ModeArgs,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub write: WriteArgs,
}

/// What a sync does; at most one of these flags.
#[derive(Debug, Default, Args)]
#[command(group(ArgGroup::new("mode").multiple(false)))]
pub struct ModeArgs {
    /// Compare schema and rows and report the differences; write nothing to the target.
    #[arg(long, group = "mode")]
    pub validate_only: bool,
    /// Compute every change (schema DDL, rows to insert/update/delete per table) and report it; --sql-out saves the SQL; write nothing to the target.
    #[arg(long, group = "mode")]
    pub dry_run: bool,
    /// Change only the target's schema (tables, columns, indexes, keys, views); leave rows alone.
    #[arg(long, group = "mode")]
    pub schema_only: bool,
    /// Change only the target's rows; a table whose schema differs is skipped and named.
    #[arg(long, group = "mode")]
    pub data_only: bool,
    /// Fix the schema, then sync the rows, then verify (the recommended mode).
    #[arg(long, group = "mode")]
    pub fix_schemas: bool,
}

impl ModeArgs {
    /// The selected mode; `Full` when no mode flag is given.
    pub fn mode(&self) -> Mode {
        if self.validate_only {
            Mode::ValidateOnly
        } else if self.dry_run {
            Mode::DryRun
        } else if self.schema_only {
            Mode::SchemaOnly
        } else if self.data_only {
            Mode::DataOnly
        } else if self.fix_schemas {
            Mode::FixSchemas
        } else {
            Mode::Full
        }
    }
}

/// Where the source is and what of it: every command that reads a database.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Config file to read [default: ./lockstep.toml if it exists].
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Source database URL (read only), e.g. mysql://user:pass@host:3306/db or sqlite:file.db; overrides [source].
    #[arg(
        long,
        value_name = "URL",
        env = "LOCKSTEP_SOURCE",
        hide_env_values = true
    )]
    pub source: Option<String>,
    /// SSH host to reach the source's server through, as [user@]host[:port] or a Host alias of ~/.ssh/config; overrides `ssh` in [source].
    #[arg(long, value_name = "HOP")]
    pub source_ssh: Option<String>,
    /// Sync only these tables (comma-separated); replaces `tables` from the config.
    #[arg(long, value_name = "TABLES", value_delimiter = ',')]
    pub tables: Vec<String>,
    /// Leave these tables alone (comma-separated); replaces `exclude` from the config.
    #[arg(long, value_name = "TABLES", value_delimiter = ',')]
    pub exclude: Vec<String>,
}

impl SourceArgs {
    /// The overrides of a command that reads the source only.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            source: self.source.clone(),
            source_ssh: self.source_ssh.clone(),
            tables: self.tables.clone(),
            exclude: self.exclude.clone(),
            ..Overrides::default()
        }
    }
}

/// Options of the commands that compare source and target (`sync`,
/// `validate`).
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Target database URL (the one that gets changed); overrides [target].
    #[arg(
        long,
        value_name = "URL",
        env = "LOCKSTEP_TARGET",
        hide_env_values = true
    )]
    pub target: Option<String>,
    /// SSH host to reach the target's server through, as [user@]host[:port] or a Host alias of ~/.ssh/config; overrides `ssh` in [target].
    #[arg(long, value_name = "HOP")]
    pub target_ssh: Option<String>,
    /// Also write the report as JSON to FILE (`-`: to stdout, and the report for people to stderr).
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
    /// Append a timestamped record of the run (mode, databases, verdict, counts, problems) to FILE, for cron.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Permit lossy and destructive changes on the target (dropping tables or columns, narrowing types, tables losing most of their rows).
    #[arg(long)]
    pub allow_destructive: bool,
    /// How to find differing rows: bisect by server-side checksums, stream every row, or auto (by where the servers are).
    #[arg(long, value_name = "ALGORITHM", value_parser = one_of(DIFF_ALGORITHMS))]
    pub diff_algorithm: Option<DiffAlgorithm>,
    /// More detail on stderr (repeat for more: -vv).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Print only errors, the verdict, and what is not in sync.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Do not color the output.
    #[arg(long)]
    pub no_color: bool,
}

impl RunArgs {
    /// The options that override the config file, for `Settings::load`.
    pub fn overrides(&self, write: &WriteArgs) -> Overrides {
        Overrides {
            target: self.target.clone(),
            target_ssh: self.target_ssh.clone(),
            allow_destructive: self.allow_destructive,
            diff_algorithm: self.diff_algorithm,
            fk_strategy: write.fk_strategy,
            parallelism: write.parallelism,
            ..self.source.overrides()
        }
    }
}

/// Options about writing, which only `sync` takes (and not in the modes
/// where they would do nothing).
#[derive(Debug, Clone, Default, Args)]
pub struct WriteArgs {
    /// Also write every statement run (or, with --dry-run, that would run) on the target to FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "validate_only")]
    pub sql_out: Option<PathBuf>,
    /// Do not ask for confirmation before writing to the target.
    #[arg(short = 'y', long, conflicts_with_all = ["validate_only", "dry_run"])]
    pub yes: bool,
    /// How to keep foreign keys satisfied while writing rows: load in dependency order, or disable checks.
    #[arg(long, value_name = "STRATEGY", value_parser = one_of(FK_STRATEGIES), conflicts_with = "validate_only")]
    pub fk_strategy: Option<FkStrategy>,
    /// Tables written at the same time, each on its own connections (default: one per core, at most 4).
    #[arg(long, value_name = "N", conflicts_with_all = ["validate_only", "dry_run"])]
    pub parallelism: Option<u32>,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Output format of the graph.
    #[arg(long, value_parser = one_of(GRAPH_FORMATS), default_value = "text")]
    pub format: GraphFormat,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the starter config.
    #[arg(value_name = "PATH", default_value = "lockstep.toml")]
    pub path: PathBuf,
    /// Overwrite PATH if it already exists.
    #[arg(long)]
    pub force: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use lockstep::config::Settings;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("lockstep").chain(args.iter().copied()))
    }

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sync_defaults_to_full_mode() {
        let Command::Sync(args) = parse(&["sync"]).unwrap().command else {
            panic!("not sync")
        };
        assert_eq!(args.mode.mode(), Mode::Full);
        assert_eq!(args.mode.mode().as_str(), "full");
        let (c, w) = (&args.run, &args.write);
        let s = &c.source;
        assert!(s.config.is_none() && s.tables.is_empty() && s.exclude.is_empty());
        assert!(!c.allow_destructive && !w.yes && !c.quiet && !c.no_color);
        assert_eq!(c.verbose, 0);
        assert_eq!(w.fk_strategy, None);
    }

    #[test]
    fn each_mode_flag_selects_its_mode() {
        for (flag, mode) in [
            ("--validate-only", Mode::ValidateOnly),
            ("--dry-run", Mode::DryRun),
            ("--schema-only", Mode::SchemaOnly),
            ("--data-only", Mode::DataOnly),
            ("--fix-schemas", Mode::FixSchemas),
        ] {
            let Command::Sync(args) = parse(&["sync", flag]).unwrap().command else {
                panic!("not sync")
            };
            assert_eq!(args.mode.mode(), mode);
            assert_eq!(format!("--{}", mode.as_str()), flag);
        }
    }

    #[test]
    fn two_mode_flags_are_an_error() {
        let err = parse(&["sync", "--dry-run", "--schema-only"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn validate_takes_the_common_options() {
        let cli = parse(&[
            "validate",
            "-c",
            "p.toml",
            "--tables",
            "a,b",
            "--exclude=c",
            "--diff-algorithm",
            "stream",
            "-vv",
        ])
        .unwrap();
        let Command::Validate(c) = cli.command else {
            panic!("not validate")
        };
        assert_eq!(c.source.config, Some(PathBuf::from("p.toml")));
        assert_eq!(c.source.tables, ["a", "b"]);
        assert_eq!(c.source.exclude, ["c"]);
        assert_eq!(c.diff_algorithm, Some(DiffAlgorithm::Stream));
        assert_eq!(c.verbose, 2);
        assert!(parse(&["validate", "--dry-run"]).is_err());
    }

    /// An option a command would ignore is an error, not a silent no-op:
    /// graph only reads the source, validate writes nothing, a dry run
    /// asks nothing and writes on one connection.
    #[test]
    fn options_a_command_does_not_use_are_errors() {
        for args in [
            &["graph", "--sql-out", "p.sql"][..],
            &["graph", "--report-json", "r.json"],
            &["graph", "--allow-destructive"],
            &["graph", "--target", "sqlite:b"],
            &["graph", "--yes"],
            &["graph", "-q"],
            &["validate", "--sql-out", "p.sql"],
            &["validate", "--yes"],
            &["validate", "--fk-strategy", "disable"],
            &["validate", "--parallelism", "2"],
            &["sync", "--validate-only", "--sql-out", "p.sql"],
            &["sync", "--validate-only", "--yes"],
            &["sync", "--validate-only", "--parallelism", "2"],
            &["sync", "--dry-run", "--yes"],
            &["sync", "--dry-run", "--parallelism", "2"],
        ] {
            assert!(parse(args).is_err(), "{args:?} was accepted");
        }
        for args in [
            &[
                "sync",
                "--dry-run",
                "--sql-out",
                "p.sql",
                "--fk-strategy",
                "disable",
            ][..],
            &[
                "sync",
                "--fix-schemas",
                "--yes",
                "--parallelism",
                "2",
                "--log",
                "l",
            ],
            &[
                "validate",
                "--report-json",
                "-",
                "--allow-destructive",
                "--log",
                "l",
            ],
            &["graph", "--tables", "a", "-c", "p.toml", "--format", "dot"],
        ] {
            assert!(parse(args).is_ok(), "{args:?} was refused");
        }
    }

    /// Each listed name selects its value, and the flags take the names
    /// the config file takes (`fk_strategy = "disable"`).
    #[test]
    fn flag_values_are_the_config_values() {
        let urls = "[source]\nurl = \"sqlite:a\"\n[target]\nurl = \"sqlite:b\"\n[sync]\n";
        let config = |key: &str, name: &str| {
            let text = format!("{urls}{key} = \"{name}\"\n");
            Settings::from_toml_str(&text, "t.toml", &Overrides::default()).unwrap()
        };
        let sync = |flag: &str, name: &str| {
            let Command::Sync(args) = parse(&["sync", flag, name]).unwrap().command else {
                panic!("not sync")
            };
            args.run.overrides(&args.write)
        };
        for &(value, name, _) in FK_STRATEGIES {
            assert_eq!(sync("--fk-strategy", name).fk_strategy, Some(value));
            assert_eq!(config("fk_strategy", name).fk_strategy, value);
        }
        for &(value, name, _) in DIFF_ALGORITHMS {
            assert_eq!(sync("--diff-algorithm", name).diff_algorithm, Some(value));
            assert_eq!(config("diff_algorithm", name).diff_algorithm, value);
        }
        for &(value, name, _) in GRAPH_FORMATS {
            let Command::Graph(g) = parse(&["graph", "--format", name]).unwrap().command else {
                panic!("not graph")
            };
            assert_eq!(g.format, value);
        }
    }

    #[test]
    fn verbose_and_quiet_conflict() {
        assert!(parse(&["sync", "-v", "-q"]).is_err());
    }

    #[test]
    fn graph_and_init_defaults() {
        let Command::Graph(g) = parse(&["graph"]).unwrap().command else {
            panic!("not graph")
        };
        assert_eq!(g.format, GraphFormat::Text);
        let Command::Graph(g) = parse(&["graph", "--format", "mermaid"]).unwrap().command else {
            panic!("not graph")
        };
        assert_eq!(g.format, GraphFormat::Mermaid);
        assert!(parse(&["graph", "--format", "png"]).is_err());

        let Command::Init(i) = parse(&["init"]).unwrap().command else {
            panic!("not init")
        };
        assert_eq!(i.path, PathBuf::from("lockstep.toml"));
        assert!(!i.force);
        let Command::Init(i) = parse(&["init", "x.toml", "--force"]).unwrap().command else {
            panic!("not init")
        };
        assert_eq!(i.path, PathBuf::from("x.toml"));
        assert!(i.force);
    }

    #[test]
    fn version_flag_is_known() {
        let err = parse(&["--version"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayVersion);
    }
}
