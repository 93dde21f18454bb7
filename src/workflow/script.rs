//! `--sql-out`: every statement a run would execute, in order, as one
//! script the engine's own client runs as it is (`mariadb db < plan.sql`,
//! `sqlite3 file.db < plan.sql`). Refused schema changes are written as
//! comments.

use std::path::Path;

use crate::catalog::diff::Phase;
use crate::config::Settings;
use crate::engine::Dialect;
use crate::error::{Error, Result};
use crate::report::ChangeReport;

/// The schema changes before the rows, the rows, the changes after them
/// and the materialized views computed again over them (`refreshes`).
pub fn write(
    path: &Path,
    dialect: &dyn Dialect,
    settings: &Settings,
    changes: &[ChangeReport],
    data_statements: &[String],
    refreshes: &[String],
) -> Result<()> {
    let (prelude, epilogue) = dialect.ddl_script_frame();
    let mut text = format!(
        "-- lockstep {} plan\n-- source: {}\n-- target: {}\n",
        env!("CARGO_PKG_VERSION"),
        settings.shown_source(),
        settings.shown_target()
    );
    for stmt in &prelude {
        text.push_str(&format!("{stmt};\n"));
    }
    let (pre_data, post_data): (Vec<&ChangeReport>, Vec<&ChangeReport>) =
        changes.iter().partition(|c| c.phase == Phase::PreData);
    write_changes(&mut text, dialect, &pre_data);
    if !data_statements.is_empty() {
        text.push_str("\n-- rows\n");
        for stmt in dialect.data_script_prelude() {
            text.push_str(&format!("{stmt};\n"));
        }
        for stmt in data_statements {
            text.push_str(&format!("{stmt};\n"));
        }
    }
    if !post_data.is_empty() {
        // As the real run: these wait until the rows match, and run with
        // foreign key checks off like every schema change.
        text.push_str("\n-- after the rows\n");
        text.push_str(&format!("{};\n", dialect.foreign_key_checks(false)));
        write_changes(&mut text, dialect, &post_data);
    }
    if !refreshes.is_empty() {
        text.push_str("\n-- materialized views, computed again over the rows\n");
        for stmt in refreshes {
            text.push_str(&dialect.script_statement(stmt));
        }
    }
    for stmt in &epilogue {
        text.push_str(&format!("{stmt};\n"));
    }
    std::fs::write(path, text).map_err(|e| Error::Io {
        context: format!("writing the SQL plan to {}", path.display()),
        source: e,
    })
}

/// Each change as its statements, or as comments saying why it is not run.
fn write_changes(text: &mut String, dialect: &dyn Dialect, changes: &[&ChangeReport]) {
    for change in changes {
        text.push_str(&format!("\n-- {} [{}]\n", change.table, change.safety));
        for sql in &change.sql {
            match change.skipped_because() {
                Some(why) => {
                    text.push_str(&format!("-- {why}\n"));
                    for line in sql.lines() {
                        text.push_str(&format!("-- {line}\n"));
                    }
                }
                None => text.push_str(&dialect.script_statement(sql)),
            }
        }
    }
}
