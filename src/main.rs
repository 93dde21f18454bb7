//! The `lockstep` binary: parse the arguments (`cli`), call the library,
//! print the report, and map the outcome to an exit code (0 in sync, 1
//! differences remain, 2 error). It owns the flags and the process (stdout,
//! stderr, exit codes, the allocator); the library owns everything else and
//! never sees clap.

mod cli;

use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::SystemTime;

use clap::Parser;

use lockstep::config::{Settings, STARTER_CONFIG};
use lockstep::error::{Error, Result};
use lockstep::report::{log, text, Report};
use lockstep::sync::StopFlag;
use lockstep::url::mask_password;
use lockstep::workflow::{self, Mode, Outcome, RunOptions};

use crate::cli::{Cli, Command, RunArgs, WriteArgs};

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
    lockstep::memory::bound_driver_buffers();
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
        Command::Sync(args) => sync(args.mode.mode(), &args.run, &args.write),
        Command::Validate(run) => sync(Mode::ValidateOnly, &run, &WriteArgs::default()),
        Command::Graph(args) => {
            let settings = Settings::load_source_only(&args.source.overrides())?;
            let text = runtime()?.block_on(workflow::run_graph(&settings, args.format))?;
            print!("{text}");
            Ok(0)
        }
        Command::Init(args) => init(&args.path, args.force),
    }
}

/// `--report-json -`: the JSON goes to stdout, the report for people to
/// stderr.
const STDOUT: &str = "-";

/// Runs a sync (or validate), prints its report, and appends the run to
/// `--log` whatever its end.
fn sync(mode: Mode, run: &RunArgs, write: &WriteArgs) -> Result<i32> {
    if let Some(path) = &run.log {
        workflow::check_writable(path, "the log (--log)")?;
    }
    let started = SystemTime::now();
    let mut endpoints = None;
    let outcome = sync_and_print(mode, run, write, &mut endpoints);
    if let Some(path) = &run.log {
        let command = match mode {
            Mode::ValidateOnly => "validate".to_string(),
            other => format!("sync {}", other.as_str()),
        };
        let exit_code = outcome.as_ref().map_or(2, Outcome::exit_code);
        let record = log::record(&log::Run {
            at: started,
            command: &command,
            endpoints,
            exit_code,
            outcome: match &outcome {
                Ok(o) => Ok(&o.report),
                Err(e) => Err(mask_password(&e.to_string())),
            },
        });
        let appended = OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .and_then(|mut file| file.write_all(record.as_bytes()));
        if let Err(e) = appended {
            eprintln!(
                "warning: could not append to the log {}: {e}",
                path.display()
            );
        }
    }
    outcome.map(|o| o.exit_code())
}

fn sync_and_print(
    mode: Mode,
    run: &RunArgs,
    write: &WriteArgs,
    endpoints: &mut Option<(String, String)>,
) -> Result<Outcome> {
    let settings = Settings::load(&run.overrides(write))?;
    *endpoints = Some((settings.shown_source(), settings.shown_target()));
    if run.verbose > 0 {
        eprintln!("{settings}");
    }
    let json_to_stdout = run.report_json.as_deref() == Some(Path::new(STDOUT));
    if let (Some(path), false) = (&run.report_json, json_to_stdout) {
        workflow::check_writable(path, "the JSON report (--report-json)")?;
    }
    let options = RunOptions {
        sql_out: write.sql_out.clone(),
        assume_yes: write.yes,
        quiet: run.quiet,
        stop: StopFlag::default(),
    };
    let outcome = runtime()?.block_on(async {
        tokio::spawn(stop_on_signals(options.stop.clone()));
        workflow::run_sync(&settings, mode, &options).await
    })?;
    match &run.report_json {
        Some(_) if json_to_stdout => println!("{}", outcome.report.to_json()),
        Some(path) => std::fs::write(path, outcome.report.to_json()).map_err(|e| Error::Io {
            context: format!("writing the JSON report to {}", path.display()),
            source: e,
        })?,
        None => {}
    }
    if run.verbose > 0 {
        for (phase, seconds) in &outcome.report.timings {
            eprintln!("{phase}: {seconds:.2} s");
        }
    }
    // The report for people goes where the JSON does not.
    let mut out: Box<dyn Write> = match json_to_stdout {
        true => Box::new(std::io::stderr()),
        false => Box::new(std::io::stdout()),
    };
    let on_terminal = match json_to_stdout {
        true => std::io::stderr().is_terminal(),
        false => std::io::stdout().is_terminal(),
    };
    let color = !run.no_color && std::env::var_os("NO_COLOR").is_none() && on_terminal;
    let text = match run.quiet {
        true => quiet_summary(&outcome.report),
        false => text::render(&outcome.report, color),
    };
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::Io {
            context: "printing the report".to_string(),
            source: e,
        })?;
    Ok(outcome)
}

/// `-q`: the verdict, and what is not in sync (tables and counts).
fn quiet_summary(report: &Report) -> String {
    if report.in_sync {
        return "in sync\n".to_string();
    }
    let mut text = "differences remain:\n".to_string();
    for problem in report.problems() {
        text.push_str(&format!("   {problem}\n"));
    }
    text
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
