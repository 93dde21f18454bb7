//! Applies one table's changes to the target: batching, the order of
//! deletes, updates and inserts, rows whose unique values move to other
//! rows, isolating the rows a foreign key or a unique index refuses, and
//! the counts. The same code renders the statements for `--sql-out`
//! without running them, or only counts the changes (validate, verify).

use super::kept::KeptKeys;
use super::pipeline::ChangeSink;
use super::{RowMode, StopFlag};
use crate::data::rowdiff::RowChange;
use crate::data::table::TableData;
use crate::data::value::Row;
use crate::engine::{BulkLoad, Dialect, TargetDb, WriteError, WriteErrorKind, WriteOp};
use crate::error::{Error, Result};

/// Rows buffered per kind before they are written.
const BATCH_ROWS: usize = 2000;
/// The same, into a table that started empty.
const BULK_BATCH_ROWS: usize = 5_000;
/// New rows of a table with unique indexes are held back (up to this many)
/// until rows that give up unique values have moved. Later ones go in
/// batches; one a unique index refuses is retried at the end. Held rows
/// are whole rows in memory: 50,000 of them took 40 MB on a 10M-row
/// re-sync, so few are held.
const HELD_INSERTS: usize = 5_000;

/// Which changes a pass over a table acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Deletes only (children first, before any insert).
    Deletes,
    /// Inserts and updates only (parents first, after the deletes).
    Upserts,
    /// Everything, in one pass.
    All,
}

/// Where the statements go, by the run's [`RowMode`].
pub(crate) enum Output<'a> {
    /// Run them on the target.
    Execute(&'a mut TargetDb),
    /// Append them to a script (`--dry-run --sql-out`).
    Script(&'a mut Vec<String>),
    /// Only count the changes.
    Count,
}

impl<'a> Output<'a> {
    /// Where `mode` sends statements; `writer` is the target's connection.
    pub fn new(mode: RowMode<'a>, writer: &'a mut TargetDb) -> Self {
        match mode {
            RowMode::Apply => Output::Execute(writer),
            RowMode::Script(lines) => Output::Script(lines),
            RowMode::Count => Output::Count,
        }
    }
}

/// Changes per kind, as applied (or planned, or found).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.inserted + self.updated + self.deleted
    }

    /// Counts `n` changes of one kind (a moved row is an update).
    pub fn record(&mut self, kind: ChangeKind, n: u64) {
        match kind {
            ChangeKind::Insert => self.inserted += n,
            ChangeKind::Update | ChangeKind::Move => self.updated += n,
            ChangeKind::Delete => self.deleted += n,
        }
    }

    pub fn add(&mut self, other: Counts) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.deleted += other.deleted;
    }
}

/// A row the target refused, kept for the retry passes.
#[derive(Debug, Clone)]
pub struct RefusedRow {
    pub kind: ChangeKind,
    pub row: Row,
    pub constraint: Option<String>,
    pub message: String,
    /// A foreign key refusal may succeed once other rows are in place;
    /// anything else will not.
    pub retryable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    Update,
    /// An update whose unique values move: delete then insert in one
    /// transaction, with FK checks off so nothing cascades.
    Move,
    Delete,
}

impl ChangeKind {
    /// The statements of this write, one transaction's worth (`script`:
    /// as a `--sql-out` script holds them).
    pub fn render(
        self,
        dialect: &dyn Dialect,
        table: &TableData,
        rows: &[Row],
        (max_bytes, script): (usize, bool),
    ) -> Vec<String> {
        let render = |op| match script {
            true => dialect.render_script_write(table, op, max_bytes),
            false => dialect.render_write(table, op, max_bytes),
        };
        match self {
            ChangeKind::Insert => render(WriteOp::Insert(rows)),
            ChangeKind::Update => render(WriteOp::Update(rows)),
            ChangeKind::Delete => render(WriteOp::Delete(rows)),
            ChangeKind::Move => {
                let mut statements = render(WriteOp::Delete(rows));
                statements.extend(render(WriteOp::Insert(rows)));
                statements
            }
        }
    }
}

/// Applies the changes of one pass over one table.
pub(crate) struct TableApplier<'a> {
    output: Output<'a>,
    dialect: &'a dyn Dialect,
    table: &'a TableData,
    pass: Pass,
    /// FK enforcement while this table is written (off for tables in a
    /// cycle, or with `fk_strategy = "disable"`).
    fk_checks: bool,
    max_statement_bytes: usize,
    deletes: Vec<Row>,
    updates: Vec<Row>,
    inserts: Vec<Row>,
    /// New versions of rows whose unique values change (they may swap with
    /// each other): deleted and re-inserted at the end, FK checks off so
    /// nothing cascades.
    moving: Vec<Row>,
    /// Held-back inserts of a table with unique indexes.
    held: Vec<Row>,
    /// Inserts a unique index refused: tried again at the end.
    collided: Vec<Row>,
    /// In the last step of `finish`: a refusal is final.
    finishing: bool,
    /// Rows buffered per kind before a write.
    batch_rows: usize,
    /// Whether new rows of a table with unique indexes wait for the moving
    /// rows (not needed when the table started empty).
    holds_inserts: bool,
    /// Inserts go by the engine's bulk path where it has one.
    bulk_load: bool,
    /// The moving rows are not written by `finish` but kept for the
    /// caller (`take_moves`): a key range of a table whose other ranges
    /// may hold the unique values they take.
    keeps_moves: bool,
    /// Deletes an `Upserts` pass finds are kept (`deferred_deletes`).
    keeps_deferred: bool,
    /// Writes stop (before the next batch) once this asks.
    stop: Option<&'a StopFlag>,
    pub counts: Counts,
    /// Changes seen that this pass does not act on.
    /// Deletes an `Upserts` pass found, kept for the deletes phase: their
    /// key values only (`TableData::into_key`), in memory up to a bound.
    pub deferred_deletes: KeptKeys,
    pub refused: Vec<RefusedRow>,
}

impl<'a> TableApplier<'a> {
    pub fn new(
        output: Output<'a>,
        dialect: &'a dyn Dialect,
        table: &'a TableData,
        pass: Pass,
        fk_checks: bool,
        max_statement_bytes: usize,
    ) -> Self {
        TableApplier {
            output,
            dialect,
            table,
            pass,
            fk_checks,
            max_statement_bytes,
            deletes: Vec::new(),
            updates: Vec::new(),
            inserts: Vec::new(),
            moving: Vec::new(),
            held: Vec::new(),
            collided: Vec::new(),
            finishing: false,
            batch_rows: BATCH_ROWS,
            holds_inserts: !table.unique_keys.is_empty(),
            bulk_load: false,
            keeps_moves: false,
            keeps_deferred: true,
            stop: None,
            counts: Counts::default(),
            deferred_deletes: KeptKeys::default(),
            refused: Vec::new(),
        }
    }

    fn wants(&self, kind: ChangeKind) -> bool {
        match self.pass {
            Pass::All => true,
            Pass::Deletes => kind == ChangeKind::Delete,
            Pass::Upserts => kind != ChangeKind::Delete,
        }
    }

    /// True when an update changes a value of a unique index other than
    /// the key: it could collide with a row that has not moved yet.
    fn moves_unique_value(&self, old: &Row, new: &Row) -> bool {
        self.table
            .unique_keys
            .iter()
            .any(|cols| cols.iter().any(|&c| !old[c].same_as(&new[c])))
    }

    /// Sets FK enforcement for the table's writes (script: as statements).
    pub async fn start(&mut self) -> Result<()> {
        let checks = self.fk_checks;
        self.set_fk_checks(checks).await
    }

    async fn set_fk_checks(&mut self, on: bool) -> Result<()> {
        match &mut self.output {
            Output::Execute(target) => target.set_foreign_key_checks(on).await,
            Output::Script(lines) => {
                lines.push(self.dialect.foreign_key_checks(on));
                Ok(())
            }
            Output::Count => Ok(()),
        }
    }

    /// Stops before the next write once `stop` asks (`Error::Stopped`):
    /// every batch is its own transaction, so nothing is half-written.
    pub fn stop_on(&mut self, stop: &'a StopFlag) {
        self.stop = Some(stop);
    }

    /// Writes in bigger batches: the target table starts empty, so there is
    /// nothing to collide with and fewer, larger transactions load faster.
    pub fn bulk(&mut self) {
        self.batch_rows = BULK_BATCH_ROWS;
        self.holds_inserts = false;
        self.bulk_load = true;
    }

    /// Keeps the rows whose unique values move for the caller instead of
    /// writing them at `finish` (see `take_moves`).
    pub fn keep_moves(&mut self) {
        self.keeps_moves = true;
    }

    /// Keeps no deletes for later: a script reads them in a pass of their
    /// own.
    pub fn forget_deferred(&mut self) {
        self.keeps_deferred = false;
    }

    /// The rows whose unique values move, kept by `keep_moves`.
    pub fn take_moves(&mut self) -> Vec<Row> {
        std::mem::take(&mut self.moving)
    }

    /// Rows whose unique values move, for `finish` to write together
    /// (delete then insert in one transaction, FK checks off).
    pub fn add_moves(&mut self, rows: Vec<Row>) {
        self.moving.extend(rows);
    }

    /// Removes every row of the table (script only: a table whose schema
    /// changes first is reloaded whole).
    pub fn delete_all(&mut self) {
        if let Output::Script(lines) = &mut self.output {
            lines.extend(self.dialect.render_write(
                self.table,
                WriteOp::DeleteAll,
                self.max_statement_bytes,
            ));
        }
    }

    /// Writes what is still buffered, then the moving rows, the held and
    /// the collided inserts. Call once after the last chunk.
    pub async fn finish(&mut self) -> Result<()> {
        self.flush().await?;
        if !self.moving.is_empty() && !self.keeps_moves {
            let moving = std::mem::take(&mut self.moving);
            self.set_fk_checks(false).await?;
            let moved = self.write(ChangeKind::Move, moving).await;
            self.set_fk_checks(self.fk_checks).await?;
            moved?;
        }
        let held = std::mem::take(&mut self.held);
        self.write(ChangeKind::Insert, held).await?;
        // Last chance for inserts a unique index refused, now that every
        // other row is in place; a refusal now is final.
        self.finishing = true;
        let collided = std::mem::take(&mut self.collided);
        self.write(ChangeKind::Insert, collided).await
    }

    async fn flush(&mut self) -> Result<()> {
        let deletes = std::mem::take(&mut self.deletes);
        self.write(ChangeKind::Delete, deletes).await?;
        let updates = std::mem::take(&mut self.updates);
        self.write(ChangeKind::Update, updates).await?;
        let inserts = std::mem::take(&mut self.inserts);
        self.write(ChangeKind::Insert, inserts).await
    }

    /// Writes a batch; if the target refuses it, rows go one by one so the
    /// refused ones can be named and retried while the rest are written.
    async fn write(&mut self, kind: ChangeKind, rows: Vec<Row>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        match self.try_write(kind, &rows).await? {
            Ok(()) => self.counts.record(kind, rows.len() as u64),
            Err(refusal) if rows.len() == 1 => {
                let row = rows.into_iter().next().expect("one row");
                self.refuse(kind, row, refusal);
            }
            Err(_) => {
                for row in rows {
                    match self.try_write(kind, std::slice::from_ref(&row)).await? {
                        Ok(()) => self.counts.record(kind, 1),
                        Err(refusal) => self.refuse(kind, row, refusal),
                    }
                }
            }
        }
        Ok(())
    }

    /// A refused row: an insert that hit a unique index waits for the end
    /// of the table; anything else is kept, for the retry passes when a
    /// foreign key or a unique index (whose holder may yet be deleted)
    /// refused it.
    fn refuse(&mut self, kind: ChangeKind, row: Row, refusal: WriteError) {
        let (constraint, retryable) = match refusal.kind {
            WriteErrorKind::ForeignKey { constraint } => (constraint, true),
            WriteErrorKind::Duplicate { index } => {
                if kind == ChangeKind::Insert && !self.finishing {
                    self.collided.push(row);
                    return;
                }
                // The row holding the value may be one still to be deleted.
                (index, true)
            }
            WriteErrorKind::Denied | WriteErrorKind::Transient | WriteErrorKind::Other => {
                (None, false)
            }
        };
        self.refused.push(RefusedRow {
            kind,
            row,
            constraint,
            message: refusal.message,
            retryable,
        });
    }

    /// Runs (or scripts) one write. `Ok(Err(..))` is a refusal by the
    /// target (nothing of it was kept).
    async fn try_write(
        &mut self,
        kind: ChangeKind,
        rows: &[Row],
    ) -> Result<std::result::Result<(), WriteError>> {
        if self.stop.is_some_and(StopFlag::requested) && matches!(self.output, Output::Execute(_)) {
            return Err(Error::Stopped);
        }
        if let (Output::Execute(target), ChangeKind::Insert, true) =
            (&mut self.output, kind, self.bulk_load)
        {
            // Several rows into a table that started empty: the bulk path.
            if rows.len() > 1 {
                match target.load_rows(self.table, rows).await {
                    BulkLoad::Loaded => return Ok(Ok(())),
                    BulkLoad::Refused(refusal) => return self.unless_denied(Err(refusal)),
                    BulkLoad::Unavailable => {}
                }
            }
        }
        let script = matches!(self.output, Output::Script(_));
        let statements = kind.render(
            self.dialect,
            self.table,
            rows,
            (self.max_statement_bytes, script),
        );
        match &mut self.output {
            Output::Execute(target) => {
                let outcome = target.execute_write(&statements).await;
                self.unless_denied(outcome)
            }
            Output::Script(lines) => {
                lines.extend(statements);
                Ok(Ok(()))
            }
            Output::Count => Ok(Ok(())),
        }
    }
}

impl TableApplier<'_> {
    /// A write the account may not make stops the run: every other row
    /// would be refused alike (a screenful of the same error, and a
    /// target left half written). A lost connection (or a deadlock) is no
    /// refusal of the rows either: it stops the table's pass as
    /// `Error::Transient`, for the retry (`sync::retry`) to redo.
    fn unless_denied(
        &self,
        outcome: std::result::Result<(), WriteError>,
    ) -> Result<std::result::Result<(), WriteError>> {
        match outcome {
            Err(refusal) if refusal.kind == WriteErrorKind::Denied => Err(Error::Refused(format!(
                "the target refused a write to `{}`: {}\nthe target's account lacks a privilege this run needs (or the target is read-only): grant it, or run with an account that has it; the run stopped at this first refusal",
                self.table.name, refusal.message
            ))),
            Err(lost) if lost.kind == WriteErrorKind::Transient => Err(Error::Transient {
                side: "target",
                endpoint: match &self.output {
                    Output::Execute(target) => target.endpoint(),
                    Output::Script(_) | Output::Count => String::new(),
                },
                context: format!("writing rows of `{}`", self.table.name),
                message: lost.message,
            }),
            other => Ok(other),
        }
    }
}

impl ChangeSink for TableApplier<'_> {
    async fn accept(&mut self, changes: Vec<RowChange>) -> Result<()> {
        for change in changes {
            let kind = match &change {
                RowChange::Insert(_) => ChangeKind::Insert,
                RowChange::Update { .. } => ChangeKind::Update,
                RowChange::Delete(_) => ChangeKind::Delete,
            };
            if !self.wants(kind) {
                if let (RowChange::Delete(row), true) = (change, self.keeps_deferred) {
                    self.deferred_deletes.push(self.table.into_key(row))?;
                }
                continue;
            }
            if matches!(self.output, Output::Count) {
                self.counts.record(kind, 1);
                continue;
            }
            match change {
                RowChange::Delete(row) => self.deletes.push(row),
                RowChange::Update { old, new } => {
                    if self.moves_unique_value(&old, &new) {
                        self.moving.push(new);
                    } else {
                        self.updates.push(new);
                    }
                }
                RowChange::Insert(row) => {
                    if self.holds_inserts && self.held.len() < HELD_INSERTS {
                        self.held.push(row);
                    } else {
                        self.inserts.push(row);
                    }
                }
            }
        }
        if self.deletes.len() >= self.batch_rows
            || self.updates.len() >= self.batch_rows
            || self.inserts.len() >= self.batch_rows
        {
            self.flush().await?;
        }
        Ok(())
    }
}
