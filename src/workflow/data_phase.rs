//! The data phase of a run: which tables are synced (and why the others
//! are not), over how many lanes, and the statistics and errors that go
//! into the report. The rows themselves are the sync layer's.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::model::Catalog;
use crate::data::table::{KeySource, TableData};
use crate::engine::SourceDb;
use crate::engine::TargetDb;
use crate::error::Result;
use crate::report::{DataError, DataReport, DataStatus, TableDataReport};
use crate::sync::{
    lanes_to_fill, sync_tables, Counters, Found, Lane, RowCounts, RowMode, SyncOptions, SyncRun,
    SyncTable, TableOutcome, TargetRows, WritePoint,
};

/// What the data phase works from, besides the connections.
pub struct DataPlan<'a> {
    pub source_catalog: &'a Catalog,
    /// The target's schema after the schema phase.
    pub target_catalog: Catalog,
    /// Tables in sync order.
    pub order: &'a [String],
    /// Tables whose schema must change before their rows can be synced.
    pub blocked: BTreeSet<String>,
    /// Tables with a schema change that policy refused or that failed.
    pub refused: BTreeSet<String>,
    /// The schema changes are planned to run first (a dry run): a table
    /// whose schema differs is planned as a reload instead of skipped.
    pub schema_planned: bool,
    /// Comparison key overrides, table name -> columns.
    pub table_keys: &'a BTreeMap<String, Vec<String>>,
    /// Refused rows leave the run's outcome "differences remain" instead
    /// of failed.
    pub skip_problematic_foreign_keys: bool,
    /// Tables written at the same time, each on its own connections.
    pub parallelism: usize,
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

/// Syncs the rows of every table the plan lets through; `around` gets the
/// target before the first row is written and after the last (see
/// `sync_tables`).
pub async fn run(
    source: &mut SourceDb,
    target: &mut TargetDb,
    plan: &DataPlan<'_>,
    options: &SyncOptions<'_>,
    mode: RowMode<'_>,
    around: impl AsyncFnMut(&mut TargetDb, WritePoint<'_>) -> Result<()>,
) -> Result<DataOutcome> {
    let DataPlan {
        source_catalog,
        order,
        schema_planned,
        ..
    } = *plan;
    let target_catalog = &plan.target_catalog;

    let mut report = DataReport {
        status: match mode {
            RowMode::Apply => DataStatus::Applied,
            RowMode::Script(_) | RowMode::Count => DataStatus::Planned,
        },
        ..DataReport::default()
    };
    let mut tables = Vec::new();
    for name in order {
        let Some(table) = source_catalog.table(name) else {
            continue;
        };
        if table.options.partition_of.is_some() {
            // Its rows are synced, and compared, through its parent's.
            continue;
        }
        report.tables_processed += 1;
        let exists = target_catalog.table(name).is_some();
        let differs = !exists || plan.blocked.contains(name.as_str());
        let mut target_rows = TargetRows::Compare;
        let skip = if differs && schema_planned && !plan.refused.contains(name.as_str()) {
            // The script changes the schema first, then reloads the rows.
            target_rows = TargetRows::Replace { exists };
            None
        } else if !exists {
            Some("the target has no such table; fix the schema first (--fix-schemas)".to_string())
        } else if differs {
            Some("its schema differs from the source's; fix it first (--fix-schemas), or allow the refused changes".to_string())
        } else {
            None
        };
        if let Some(reason) = skip {
            report.tables_skipped += 1;
            report.tables.push(TableDataReport::skipped(name, reason));
            continue;
        }
        let key = plan.table_keys.get(name).map(Vec::as_slice);
        tables.push(SyncTable {
            data: TableData::new(table, key)?,
            target_rows,
            foreign_keys: table.foreign_keys.clone(),
            counters: Counters {
                source: source_catalog.counters.get(name).copied(),
                target: target_catalog.counters.get(name).copied(),
            },
        });
    }

    let applying = matches!(mode, RowMode::Apply);
    let counting = matches!(mode, RowMode::Count);
    // Lanes pay off where the target's writing is the bottleneck (one
    // server thread per INSERT or LOAD DATA stream). Reading and comparing
    // is bound by the servers' scans, which more connections only split
    // (measured: validate of 1M rows 0.32 s on one lane, 0.50 s on two);
    // a script is written in one order. A big table is cut into key
    // ranges that lanes sync side by side (`sync::lanes_to_fill`).
    let lanes_wanted = match applying && plan.parallelism > 1 {
        true => lanes_to_fill(source, &tables, plan.parallelism, options.range_rows).await,
        false => 1,
    };
    let (mut more_sources, note) = source.share_snapshot(lanes_wanted - 1).await?;
    let outcomes = sync_on_lanes(
        source,
        &mut more_sources,
        target,
        &tables,
        options,
        mode,
        around,
    )
    .await;
    for s in &mut more_sources {
        s.end_data_reads().await?;
    }
    source.end_data_reads().await?;
    let SyncRun { outcomes, stopped } = outcomes?;

    let mut warnings: Vec<String> = note.into_iter().collect();
    let mut all_equal = report.tables_skipped == 0 && !stopped;
    for (
        SyncTable {
            data: table,
            target_rows,
            counters,
            ..
        },
        outcome,
    ) in tables.iter().zip(outcomes)
    {
        // A run that writes sets the counter (`follow_counters`); one
        // that only looks reports it where it differs.
        if counting && counters.source.is_some() && counters.target != counters.source {
            all_equal = false;
            warnings.push(counter_differs(&table.name, counters));
        }
        let TableOutcome {
            counts,
            refused,
            differences_after,
            found,
            counter_note,
            guarded,
            retries,
            ..
        } = outcome;
        warnings.extend(counter_note);
        warnings.extend(retries);
        if let Some(rows) = guarded {
            report.tables_skipped += 1;
            all_equal = false;
            let ratio = options.delete_guard.map_or(0.0, |g| g.max_ratio);
            report.tables.push(TableDataReport::skipped(
                &table.name,
                guarded_reason(rows, ratio),
            ));
            continue;
        }
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
                None => "equal checksums: no row read".to_string(),
                Some(method) => {
                    let chosen = match found.cost {
                        Some(c) => format!(
                            " (by cost: about {} ms streaming, {} ms {})",
                            c.stream_ms,
                            c.alternative_ms,
                            c.alternative.as_str()
                        ),
                        None => String::new(),
                    };
                    let parts = side_by_side(found.parts);
                    match method {
                        Found::Bisect => format!(
                            "bisect{parts}{chosen}: {} differing key ranges, {} rows read",
                            found.ranges_read, found.rows_read
                        ),
                        Found::Hashes => format!(
                            "hashes{parts}{chosen}: {} keys with row hashes compared{}, {} rows read",
                            found.hashes_read,
                            match found.ranges_read {
                                0 | 1 => String::new(),
                                n => format!(" in {n} parts"),
                            },
                            found.rows_read
                        ),
                        _ => format!(
                            "{}{parts}{chosen}: {} rows read",
                            method.as_str(),
                            found.rows_read
                        ),
                    }
                }
            },
            skipped_because: None,
        });
    }
    if stopped {
        warnings.push("stopped on request before finishing: the tables listed were synced as far as shown (nothing half-written: each batch is one transaction, a bulk load in progress was rolled back) and nothing was verified; run the same command again to finish".to_string());
    }
    let failed = !report.errors.is_empty() && !plan.skip_problematic_foreign_keys;
    Ok(DataOutcome {
        report,
        all_equal,
        failed,
        warnings,
    })
}

/// How a table cut into key ranges was read, for its report line.
fn side_by_side(parts: usize) -> String {
    match parts {
        0 | 1 => String::new(),
        n => format!(" (in {n} key ranges side by side)"),
    }
}

/// A table whose target counter (AUTO_INCREMENT, or the sequence of an
/// identity or serial column) is not the source's.
fn counter_differs(table: &str, counters: &Counters) -> String {
    format!(
        "`{table}`: the next generated key is {} on the target, {} on the source (AUTO_INCREMENT or sequence); a sync sets it to the source's",
        counters
            .target
            .map_or("unset".to_string(), |c| c.to_string()),
        counters.source.unwrap_or_default()
    )
}

/// Why the delete guard left a table alone, and what to do.
fn guarded_reason(rows: RowCounts, max_ratio: f64) -> String {
    let what = match rows.source {
        0 => format!(
            "all {} of its rows would be deleted (the source table is empty)",
            rows.target
        ),
        n => format!(
            "at least {} of its {} rows would be deleted (the source has {n}; max_delete_ratio = {max_ratio})",
            rows.target - n,
            rows.target
        ),
    };
    format!(
        "refused: {what}; is the source the right database? Pass --allow-destructive (or raise max_delete_ratio in [sync]) to sync it"
    )
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

/// Syncs `tables` over one lane per source connection (each with its own
/// target reader and writer; the first lane writes through `target`).
async fn sync_on_lanes(
    source: &mut SourceDb,
    more_sources: &mut [SourceDb],
    target: &mut TargetDb,
    tables: &[SyncTable],
    options: &SyncOptions<'_>,
    mode: RowMode<'_>,
    around: impl AsyncFnMut(&mut TargetDb, WritePoint<'_>) -> Result<()>,
) -> Result<SyncRun> {
    let applying = matches!(mode, RowMode::Apply);
    let mut readers = Vec::with_capacity(more_sources.len() + 1);
    for _ in 0..=more_sources.len() {
        readers.push(target.open_reader().await?);
    }
    let mut writers = Vec::with_capacity(more_sources.len());
    for _ in 0..more_sources.len() {
        writers.push(target.open_writer().await?);
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
            source,
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
        sync_tables(&mut lanes, tables, options, mode, around).await
    };
    drop(writers);
    if applying {
        // SQLite leaves WAL only from the file's last connection.
        readers.truncate(1);
        target.end_writes(readers.remove(0)).await?;
    }
    result
}
