//! The data phase of a run: which tables are synced (and why the others
//! are not), in what order, in which data mode, and the statistics and
//! errors that go into the report.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::deps::DependencyGraph;
use crate::catalog::model::Catalog;
use crate::config::{DiffAlgorithm, Settings};
use crate::data::sync::{
    sync_tables, DataMode, DataOptions, Lane, SyncTable, TableOutcome, TargetRows,
};
use crate::data::table::{KeySource, TableData};
use crate::engine::{SourceDb, TargetDb};
use crate::error::Result;
use crate::report::progress::Progress;
use crate::report::{ChangeReport, DataError, DataReport, Mismatch, TableDataReport};

/// What the data phase should do.
pub enum Action<'a> {
    Apply,
    /// Count the differences.
    Validate,
    /// Count the changes, and render them into the script if given. A table
    /// whose schema the plan changes is planned as a reload.
    DryRun(Option<&'a mut Vec<String>>),
}

/// The data phase's report, and whether refused rows make it a failure.
pub struct DataOutcome {
    pub report: DataReport,
    /// Every processed table matches (Apply: verified; Plan: nothing to do).
    pub all_equal: bool,
    /// Rows were refused and `skip_problematic_foreign_keys` is off.
    pub failed: bool,
    /// What the user should know about how the phase ran.
    pub warnings: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
pub async fn run(
    settings: &Settings,
    source: &mut SourceDb,
    target: &mut TargetDb,
    source_catalog: &Catalog,
    target_catalog: &Catalog,
    order: &[String],
    graph: &DependencyGraph,
    schema_remaining: &[Mismatch],
    schema_changes: &[ChangeReport],
    action: Action<'_>,
    progress: &Progress,
) -> Result<DataOutcome> {
    let schema_differs: BTreeSet<&str> =
        schema_remaining.iter().map(|m| m.table.as_str()).collect();
    let refused: BTreeSet<&str> = schema_changes
        .iter()
        .filter(|c| c.skipped_because.is_some())
        .map(|c| c.table.as_str())
        .collect();
    let dry_run = matches!(action, Action::DryRun(_));
    // Triggers matter only where rows are written (or scripted to be).
    let writes = matches!(action, Action::Apply | Action::DryRun(Some(_)));
    let triggers = if settings.allow_triggers || !writes {
        BTreeMap::new()
    } else {
        target.triggers().await?
    };

    let mut report = DataReport {
        status: match action {
            Action::Apply => "applied",
            Action::Validate | Action::DryRun(_) => "planned",
        }
        .to_string(),
        ..DataReport::default()
    };
    let mut tables = Vec::new();
    for name in order {
        let Some(table) = source_catalog.table(name) else {
            continue;
        };
        report.tables_processed += 1;
        let exists = target_catalog.table(name).is_some();
        let differs = !exists || schema_differs.contains(name.as_str());
        let mut target_rows = TargetRows::Compare;
        let skip = if differs && dry_run && !refused.contains(name.as_str()) {
            // The script changes the schema first, then reloads the rows.
            target_rows = TargetRows::Replace { exists };
            None
        } else if !exists {
            Some("the target has no such table; fix the schema first (--fix-schemas)".to_string())
        } else if differs {
            Some("its schema differs from the source's; fix it first (--fix-schemas), or allow the refused changes".to_string())
        } else {
            triggers.get(name).map(|names| {
                format!(
                    "the target table has triggers ({}) that would fire on every synced row; set allow_triggers = true to sync it anyway",
                    names.join(", ")
                )
            })
        };
        if let Some(reason) = skip {
            report.tables_skipped += 1;
            report.tables.push(TableDataReport::skipped(name, reason));
            continue;
        }
        let key = settings.table_keys.get(name).map(Vec::as_slice);
        tables.push(SyncTable {
            data: TableData::new(table, key)?,
            target_rows,
            foreign_keys: table.foreign_keys.clone(),
        });
    }

    let applying = matches!(action, Action::Apply);
    // Lanes pay off where the target's writing is the bottleneck (one
    // server thread per INSERT or LOAD DATA stream). Reading and comparing
    // is bound by the servers' scans, which more connections only split
    // (measured: validate of 1M rows 0.32 s on one lane, 0.50 s on two);
    // a script is written in one order.
    let lanes_wanted = match applying && tables.len() > 1 {
        true => settings.parallelism.min(tables.len()),
        false => 1,
    };
    let (mut more_sources, warning) = open_snapshot(settings, source, lanes_wanted).await?;
    let mut readers = Vec::with_capacity(more_sources.len() + 1);
    for _ in 0..=more_sources.len() {
        readers.push(target.open_reader().await?);
    }
    let options = DataOptions {
        strategy: settings.fk_strategy,
        fk_retry: settings.fk_retry,
        multi_pass: settings.multi_pass,
        bisect: match settings.diff_algorithm {
            DiffAlgorithm::Bisect => true,
            DiffAlgorithm::Stream => false,
            DiffAlgorithm::Auto => !(settings.source.is_local() && settings.target.is_local()),
        },
        graph,
        progress,
    };
    let mode = match action {
        Action::Apply => DataMode::Apply,
        Action::DryRun(Some(script)) => DataMode::Script(script),
        Action::DryRun(None) | Action::Validate => DataMode::Count,
    };
    let mut writers = Vec::with_capacity(more_sources.len());
    for _ in 0..more_sources.len() {
        writers.push(TargetDb::open(&settings.target, &settings.connect).await?);
    }
    if applying {
        target.begin_writes().await?;
        for writer in &mut writers {
            writer.begin_writes().await?;
        }
    }
    let result = {
        let (first_reader, more_readers) = readers.split_first_mut().expect("one reader per lane");
        let mut lanes = vec![Lane {
            source: &mut *source,
            reader: first_reader,
            writer: &mut *target,
        }];
        for ((source, reader), writer) in
            more_sources.iter_mut().zip(more_readers).zip(&mut writers)
        {
            lanes.push(Lane {
                source,
                reader,
                writer,
            });
        }
        sync_tables(&mut lanes, &tables, &options, mode).await
    };
    drop(writers);
    if applying {
        // SQLite leaves WAL only from the file's last connection.
        readers.truncate(1);
        target.end_writes(readers.remove(0)).await?;
    }
    for s in &mut more_sources {
        s.end_data_reads().await?;
    }
    source.end_data_reads().await?;
    let outcomes = result?;

    let mut all_equal = report.tables_skipped == 0;
    for (
        SyncTable {
            data: table,
            target_rows,
            ..
        },
        outcome,
    ) in tables.iter().zip(outcomes)
    {
        let TableOutcome {
            counts,
            refused,
            differences_after,
            found,
            ..
        } = outcome;
        report.tables_synced += 1;
        report.rows_inserted += counts.inserted;
        report.rows_updated += counts.updated;
        report.rows_deleted += counts.deleted;
        let equal = match differences_after {
            Some(n) => n == 0,
            None => counts.total() == 0 && *target_rows == TargetRows::Compare,
        };
        all_equal &= equal;
        for row in &refused {
            report.errors.push(DataError {
                table: table.name.clone(),
                key: Some(table.describe_key(&row.row)),
                constraint: row.constraint.clone(),
                message: row.message.clone(),
            });
        }
        report.tables.push(TableDataReport {
            table: table.name.clone(),
            key: match target_rows {
                TargetRows::Compare => describe_key_source(table),
                TargetRows::Replace { .. } => "reloaded whole after its schema changes".to_string(),
            },
            rows_inserted: counts.inserted,
            rows_updated: counts.updated,
            rows_deleted: counts.deleted,
            differences_after,
            found_by: match found.method {
                "" => "equal checksums: no row read".to_string(),
                "bisect" => format!(
                    "bisect: {} differing key ranges, {} rows read",
                    found.ranges_read, found.rows_read
                ),
                method => format!("{method}: {} rows read", found.rows_read),
            },
            skipped_because: None,
        });
    }
    let failed = !report.errors.is_empty() && !settings.skip_problematic_foreign_keys;
    Ok(DataOutcome {
        report,
        all_equal,
        failed,
        warnings: warning.into_iter().collect(),
    })
}

fn describe_key_source(table: &TableData) -> String {
    let columns: Vec<&str> = table
        .key
        .iter()
        .map(|&i| table.columns[i].name.as_str())
        .collect();
    match &table.key_source {
        KeySource::PrimaryKey => format!("primary key ({})", columns.join(", ")),
        KeySource::UniqueIndex(name) => format!("unique index {name} ({})", columns.join(", ")),
        KeySource::Configured => format!("configured key ({})", columns.join(", ")),
        KeySource::WholeRow => "whole row (no usable key: rows compared as a multiset)".to_string(),
    }
}

/// Readies `source` and `lanes - 1` more source connections to read one
/// snapshot: writes on the source server are held (`FLUSH TABLES WITH
/// READ LOCK` on a connection of its own) while each connection opens its
/// snapshot, then let go. Without that lock (no RELOAD privilege, or an
/// engine without one) the sync uses `source` alone, and says why.
async fn open_snapshot(
    settings: &Settings,
    source: &mut SourceDb,
    lanes: usize,
) -> Result<(Vec<SourceDb>, Option<String>)> {
    if lanes < 2 {
        source.begin_data_reads().await?;
        return Ok((Vec::new(), None));
    }
    let mut locker = SourceDb::open(&settings.source, &settings.connect).await?;
    let held = match locker.hold_writes().await {
        Ok(held) => held,
        Err(e) => {
            source.begin_data_reads().await?;
            return Ok((
                Vec::new(),
                Some(format!(
                    "tables were synced one at a time: reading the source on {lanes} connections as of one moment needs a brief FLUSH TABLES WITH READ LOCK, which the server refused or could not give within a few seconds ({e}); grant RELOAD, or set parallelism = 1 to skip the lock"
                )),
            ));
        }
    };
    if !held {
        source.begin_data_reads().await?;
        return Ok((Vec::new(), None));
    }
    let opened: Result<Vec<SourceDb>> = async {
        source.begin_data_reads().await?;
        let mut more = Vec::with_capacity(lanes - 1);
        for _ in 1..lanes {
            let mut s = SourceDb::open(&settings.source, &settings.connect).await?;
            s.begin_data_reads().await?;
            more.push(s);
        }
        Ok(more)
    }
    .await;
    locker.release_writes().await?;
    Ok((opened?, None))
}
