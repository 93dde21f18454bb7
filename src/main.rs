//! The `lockstep` binary: parse the arguments (`cli`), call the library,
//! print the report, and map the outcome to an exit code (0 in sync, 1
//! differences remain, 2 error). It owns the flags and the process (stdout,
//! stderr, exit codes, the allocator); the library owns everything else and
//! never sees clap.

mod cli;

use std::io::IsTerminal;
use std::path::Path;

use clap::Parser;

use lockstep::config::{Settings, STARTER_CONFIG};
use lockstep::error::{Error, Result};
use lockstep::report::text;
use lockstep::sync::StopFlag;
use lockstep::url::mask_password;
use lockstep::workflow::{self, Mode, RunOptions};

use crate::cli::{Cli, Command, CommonArgs};

/// Rows are decoded on one thread and dropped on another, a value at a
/// time: the system allocator's arenas contend on exactly that pattern
/// (a third of a diff's CPU went to its locks); mimalloc frees across
/// threads without them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (v2 and v3 alike;
/// the sys crate names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory freed goes back to the system at once rather than after 10 ms:
/// with rows freed on other threads, the delay let a 10M-row re-sync
/// peak at 104 MB instead of 87 MB (and it ran no faster).
fn return_freed_memory_at_once() {
    // SAFETY: sets one of mimalloc's options; any value is valid for it.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
}

fn main() {
    return_freed_memory_at_once();
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", mask_password(&e.to_string()));
            2
        }
    };
    std::process::exit(code);
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Io {
            context: "starting the async runtime".to_string(),
            source: e,
        })
}

fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Sync(args) => sync(args.mode.mode(), &args.common),
        Command::Validate(common) => sync(Mode::ValidateOnly, &common),
        Command::Graph(args) => {
            let settings = Settings::load_source_only(&args.common.overrides())?;
            let text = runtime()?.block_on(workflow::run_graph(&settings, args.format))?;
            print!("{text}");
            Ok(0)
        }
        Command::Init(args) => init(&args.path, args.force),
    }
}

fn sync(mode: Mode, common: &CommonArgs) -> Result<i32> {
    let settings = Settings::load(&common.overrides())?;
    if common.verbose > 0 {
        eprintln!("{settings}");
    }
    let options = RunOptions {
        sql_out: common.sql_out.clone(),
        assume_yes: common.yes,
        quiet: common.quiet,
        stop: StopFlag::default(),
    };
    let outcome = runtime()?.block_on(async {
        tokio::spawn(stop_on_signals(options.stop.clone()));
        workflow::run_sync(&settings, mode, &options).await
    })?;
    if let Some(path) = &common.report_json {
        std::fs::write(path, outcome.report.to_json()).map_err(|e| Error::Io {
            context: format!("writing the JSON report to {}", path.display()),
            source: e,
        })?;
    }
    let color = !common.no_color
        && std::env::var_os("NO_COLOR").is_none()
        && std::io::stdout().is_terminal();
    if common.verbose > 0 {
        for (phase, seconds) in &outcome.report.timings {
            eprintln!("{phase}: {seconds:.2} s");
        }
    }
    if common.quiet {
        println!(
            "{}",
            if outcome.report.in_sync {
                "in sync"
            } else {
                "differences remain"
            }
        );
    } else {
        print!("{}", text::render(&outcome.report, color));
    }
    Ok(outcome.exit_code())
}

/// SIGINT or SIGTERM asks the run to stop at its next batch boundary
/// (exit 130 or 143 after the partial report); a second one ends the
/// process at once (the server rolls back what is open).
async fn stop_on_signals(stop: StopFlag) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    loop {
        let code = tokio::select! {
            _ = interrupt.recv() => 130,
            _ = terminate.recv() => 143,
        };
        if stop.requested() {
            std::process::exit(code);
        }
        eprintln!("lockstep: stopping at the next batch boundary (again to stop at once)");
        stop.request(code);
    }
}

fn init(path: &Path, force: bool) -> Result<i32> {
    if path.exists() && !force {
        return Err(Error::Usage(format!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        )));
    }
    std::fs::write(path, STARTER_CONFIG).map_err(|e| Error::Io {
        context: format!("writing {}", path.display()),
        source: e,
    })?;
    println!(
        "wrote {}: set [source] and [target], then run `lockstep validate -c {}`",
        path.display(),
        path.display()
    );
    Ok(0)
}
