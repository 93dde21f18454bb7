//! The only test code that calls into `lockstep::engine`: opening a
//! source, a target and its reader, a table's data view, streaming rows
//! (whole, by key, or keys with row hashes),
//! rendering and running writes, foreign key checks, triggers, the begin
//! and end of data sessions, and SQLite's literal of a value. When the
//! engine API changes, this file changes and the tests stay as they are.

use std::collections::BTreeMap;

use lockstep::data::table::TableData;
use lockstep::data::value::{Row, Value};
use lockstep::engine::{ConnectOptions, RowRead, RowSender, SourceDb, TargetDb, TargetReader};
pub use lockstep::engine::{WriteError, WriteErrorKind, WriteOp};
// The contract's chunk sizes; the engine-specific tests do not ask.
#[allow(unused_imports)]
pub use lockstep::engine::ROW_CHUNK;
use lockstep::url::DatabaseUrl;

fn parse(url: &str) -> DatabaseUrl {
    DatabaseUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// The data view of table `name` as a source introspects it; `key` is a
/// key set by the config.
pub async fn table_data(url: &str, name: &str, key: Option<&[&str]>) -> TableData {
    let mut source = SourceDb::open(&parse(url), &ConnectOptions::default())
        .await
        .unwrap();
    let catalog = source.introspect().await.unwrap();
    let key: Option<Vec<String>> = key.map(|k| k.iter().map(|c| c.to_string()).collect());
    TableData::new(catalog.table(name).unwrap(), key.as_deref()).unwrap()
}

/// Every row of `table`, streamed by a source of its own in one snapshot,
/// which is closed again.
pub async fn read_source(url: &str, table: &TableData) -> Vec<Row> {
    let mut source = Source::open(url).await;
    let rows = source.rows(table).await;
    source.finish().await;
    rows
}

/// A source inside the read snapshot of its data phase.
pub struct Source(SourceDb);

impl Source {
    /// Connects and opens the snapshot every later read comes from.
    pub async fn open(url: &str) -> Source {
        let mut db = SourceDb::open(&parse(url), &ConnectOptions::default())
            .await
            .unwrap();
        db.begin_data_reads().await.unwrap();
        Source(db)
    }

    /// Streams every row of `table` into `tx`, in key order.
    pub async fn stream(&mut self, table: &TableData, tx: &RowSender) {
        self.0.stream(table, RowRead::Rows(None), tx).await
    }

    /// Every row of `table`, streamed through a real channel.
    pub async fn rows(&mut self, table: &TableData) -> Vec<Row> {
        crate::common::gather_rows(|tx| async move { self.stream(table, &tx).await }).await
    }

    /// Whether this engine hashes `table`'s rows by key.
    pub fn hashes_by_key(&self, table: &TableData) -> bool {
        self.0.hashes_by_key(table)
    }

    /// Each row's key values and row hash, in key order.
    pub async fn key_hashes(&mut self, table: &TableData) -> Vec<Row> {
        let read = RowRead::KeyHashes(None);
        crate::common::gather_rows(|tx| async move { self.0.stream(table, read, &tx).await }).await
    }

    /// The rows with these keys, in key order.
    pub async fn keyed_rows(&mut self, table: &TableData, keys: &[Row]) -> Vec<Row> {
        let read = RowRead::Keyed(keys);
        crate::common::gather_rows(|tx| async move { self.0.stream(table, read, &tx).await }).await
    }

    /// Closes the snapshot.
    pub async fn finish(mut self) {
        self.0.end_data_reads().await.unwrap()
    }
}

/// The target, the only side written to.
pub struct Target(TargetDb);

/// The target's second connection, which reads while the target writes.
pub struct Reader(TargetReader);

impl Target {
    /// Connects without readying the session for rows.
    pub async fn connect(url: &str) -> Target {
        Target(
            TargetDb::open(&parse(url), &ConnectOptions::default())
                .await
                .unwrap(),
        )
    }

    /// Connects for row writes, as the data phase does, with the second
    /// connection that reads meanwhile.
    pub async fn open(url: &str) -> (Target, Reader) {
        let mut target = Target::connect(url).await;
        target.0.begin_writes().await.unwrap();
        let reader = Reader(target.0.open_reader().await.unwrap());
        (target, reader)
    }

    /// The largest statement this target takes.
    pub fn max_statement_bytes(&self) -> usize {
        self.0.max_statement_bytes()
    }

    /// The statements that write `op`, each at most `max` bytes unless a
    /// single row is longer.
    pub fn render(&self, table: &TableData, op: WriteOp, max: usize) -> Vec<String> {
        self.0.dialect().render_write(table, op, max)
    }

    /// Runs statements as one transaction.
    pub async fn execute(&mut self, statements: &[String]) -> Result<(), WriteError> {
        self.0.execute_write(statements).await
    }

    /// Renders `op` at the target's own statement limit and runs it, which
    /// must succeed.
    pub async fn write(&mut self, table: &TableData, op: WriteOp<'_>) {
        let statements = self.render(table, op, self.max_statement_bytes());
        self.execute(&statements)
            .await
            .unwrap_or_else(|e| panic!("{e:?}\n{}", statements.join(";\n")));
    }

    /// Turns this session's foreign key enforcement on or off.
    pub async fn foreign_key_checks(&mut self, on: bool) {
        self.0.set_foreign_key_checks(on).await.unwrap()
    }

    /// Triggers of the target's tables, as introspected: table -> trigger
    /// names.
    pub async fn triggers(&mut self) -> BTreeMap<String, Vec<String>> {
        let catalog = self.0.introspect().await.unwrap();
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for object in catalog.objects {
            if object.kind == lockstep::catalog::model::ObjectKind::Trigger {
                assert!(
                    object.definition.to_uppercase().contains("CREATE"),
                    "{object:?}"
                );
                out.entry(object.table.unwrap())
                    .or_default()
                    .push(object.name);
            }
        }
        for names in out.values_mut() {
            names.sort();
        }
        out
    }

    /// Ends the data phase (the reader closes first).
    pub async fn finish(mut self, reader: Reader) {
        self.0.end_writes(reader.0).await.unwrap()
    }
}

impl Reader {
    /// Streams every row of `table` into `tx`, in key order.
    pub async fn stream(&mut self, table: &TableData, tx: &RowSender) {
        self.0.stream(table, RowRead::Rows(None), tx).await
    }

    /// Every row of `table`, streamed through a real channel.
    pub async fn rows(&mut self, table: &TableData) -> Vec<Row> {
        crate::common::gather_rows(|tx| async move { self.stream(table, &tx).await }).await
    }
}

/// SQLite's literal of a value, as its writes spell it.
pub fn sqlite_literal(value: &Value) -> String {
    lockstep::engine::sqlite::write::literal(value)
}
