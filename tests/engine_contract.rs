//! The row-engine contract: what every engine must do with rows, written
//! once and run against each engine's real database. Values the
//! database's own client inserts come back exactly through lockstep's
//! reads, in `key_cmp` order and from one snapshot; lockstep's writes
//! (inserts, updates, deletes by key and by whole row, split at any
//! statement limit) leave exactly the rows the database's own client then
//! reads back; refused writes are classified and leave nothing behind.
//!
//! Each engine runs every case through one `engine_contract!` line, given
//! its test database type, which implements `contract::Fixture`. What only
//! one engine does (MySQL's types, SQLite's storage classes) is tested in
//! `mysql_rows.rs` and `sqlite_rows.rs`.

mod common;
mod contract;

use std::cmp::Ordering;
use std::time::Duration;

use common::{assert_rows_exact, MyDb, PgDb, SqliteDb};
use contract::{
    bytes, double, int, numbers, read_source, sorted, table_data, text, whole_row, Fixture,
    Refusal, Source, Table, Target, WriteOp, ROW_CHUNK,
};
use lockstep::data::table::KeySource;
use lockstep::data::value::{key_cmp, Row, Value};
use tokio::sync::mpsc;

/// One module per engine, one test per contract case. A case missing from
/// the list is a generic function nobody calls, which the build warns of.
macro_rules! engine_contract {
    ($engine:ident, $fixture:ty) => {
        mod $engine {
            use super::*;
            engine_contract!(@cases $fixture:
                every_value_round_trips_exactly,
                updates_change_every_column_and_deletes_go_by_key,
                composite_keys_update_and_delete,
                keyless_deletes_remove_one_copy_of_each_row,
                rows_stream_in_key_cmp_order,
                tiny_statement_limits_split_every_op,
                refused_writes_are_classified_and_rolled_back,
                a_source_reads_one_snapshot,
                large_reads_come_in_chunks_and_stop_when_unwanted,
                a_second_connection_streams_while_the_writer_writes,
                updates_by_unique_index_and_configured_key,
                configured_keys_match_bytes_not_collation,
                triggers_are_listed_by_table,
                keys_hash_their_rows_and_read_back_by_key,
            );
        }
    };
    (@cases $fixture:ty: $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $case() {
                super::$case::<$fixture>().await;
            }
        )+
    };
}

engine_contract!(mysql, MyDb);
engine_contract!(postgres, PgDb);
engine_contract!(sqlite, SqliteDb);

/// Rows of [`Table::Values`] with edge values in every column; within a
/// column no two values are alike (one NULL each). Not here, because not
/// every engine stores them: a NUL in text (PostgreSQL refuses it) and
/// -0.0 (a SQLite REAL column keeps integral reals as integers, without
/// the sign); the engines' own tests have them.
fn edge_rows() -> Vec<Row> {
    let every_byte: Vec<u8> = (0..=255).collect();
    vec![
        vec![int(-5), int(i64::MIN), double(0.1), text(""), bytes(b"")],
        vec![
            int(0),
            int(i64::MAX),
            double(5e-324),
            text("emoji 😀 and é"),
            bytes(&every_byte),
        ],
        vec![
            int(1),
            int(0),
            double(1e308),
            text("it's \"quoted\" \\ back %_"),
            bytes(&[0]),
        ],
        vec![
            int(2),
            int(-1),
            double(f64::MIN),
            text("line\nbreak\ttab\r"),
            bytes(b"1"),
        ],
        vec![
            int(3),
            int(123_456_789_012_345_678),
            double(f64::MIN_POSITIVE),
            text("a  "),
            bytes(&[0xff, 0, 0xfe]),
        ],
        vec![
            int(4),
            int(1),
            double(1.0),
            text("'; DROP TABLE vals; --"),
            bytes(b"\\'\""),
        ],
        vec![int(5), int(42), double(-2.5), text("A"), bytes(&[0, 0])],
        vec![int(6), Value::Null, Value::Null, Value::Null, Value::Null],
    ]
}

async fn every_value_round_trips_exactly<F: Fixture>() {
    let source = F::with("ct_values_src", &[Table::Values]);
    let target = F::with("ct_values_tgt", &[Table::Values]);
    let rows = edge_rows();
    source.insert("vals", &rows);
    assert_rows_exact(&source.read_back("vals"), &rows);
    let table = table_data(&source.url(), "vals", None).await;
    assert_eq!(table.key_source, KeySource::PrimaryKey);

    // lockstep reads what the database's client wrote, in key order...
    let read = read_source(&source.url(), &table).await;
    assert_rows_exact(&read, &rows);
    // ...and writes it so that the client reads back the same.
    let (mut tgt, mut reader) = Target::open(&target.url()).await;
    tgt.write(&table, WriteOp::Insert(&read)).await;
    assert_rows_exact(&target.read_back("vals"), &rows);
    assert_rows_exact(&reader.rows(&table).await, &rows);

    // Without a key, each row is found by all its values, exactly.
    let statements = tgt.render(&whole_row(&table), WriteOp::Delete(&rows), 1 << 20);
    assert_eq!(statements.len(), rows.len(), "{statements:#?}");
    for (done, statement) in statements.iter().enumerate() {
        tgt.execute(std::slice::from_ref(statement)).await.unwrap();
        assert_rows_exact(&target.read_back("vals"), &rows[done + 1..]);
    }
}

async fn updates_change_every_column_and_deletes_go_by_key<F: Fixture>() {
    let source = F::with("ct_update_src", &[Table::Values]);
    let target = F::with("ct_update_tgt", &[Table::Values]);
    let rows = edge_rows();
    source.insert("vals", &rows);
    // The target has every key with the next row's values (so every value
    // differs), and keys the source lacks.
    let old: Vec<Row> = (0..rows.len())
        .map(|k| {
            let mut row = rows[(k + 1) % rows.len()].clone();
            row[0] = rows[k][0].clone();
            row
        })
        .collect();
    for (old, new) in old.iter().zip(&rows) {
        assert!(old[1..].iter().zip(&new[1..]).all(|(a, b)| !a.same_as(b)));
    }
    let gone: Vec<Row> = [40, 41, 42]
        .map(|id| vec![int(id), int(id), double(0.5), text("gone"), bytes(b"gone")])
        .to_vec();
    target.insert("vals", &old);
    target.insert("vals", &gone);

    let table = table_data(&source.url(), "vals", None).await;
    let read = read_source(&source.url(), &table).await;
    let (mut tgt, mut reader) = Target::open(&target.url()).await;
    tgt.write(&table, WriteOp::Update(&read)).await;
    assert_rows_exact(
        &target.read_back("vals"),
        &sorted([rows.clone(), gone.clone()].concat()),
    );

    // Deletes go by the key alone: the other values are NULL.
    let keys: Vec<Row> = gone
        .iter()
        .map(|row| {
            let mut key = vec![Value::Null; row.len()];
            key[0] = row[0].clone();
            key
        })
        .collect();
    tgt.write(&table, WriteOp::Delete(&keys)).await;
    assert_rows_exact(&target.read_back("vals"), &rows);
    assert_rows_exact(&reader.rows(&table).await, &rows);
}

fn pair(a: &str, b: i64, v: Option<&str>) -> Row {
    vec![text(a), int(b), v.map_or(Value::Null, text)]
}

async fn composite_keys_update_and_delete<F: Fixture>() {
    let source = F::with("ct_pairs_src", &[Table::Pairs]);
    let target = F::with("ct_pairs_tgt", &[Table::Pairs]);
    let rows = vec![
        pair("x", 1, Some("one")),
        pair("x", 2, Some("two")),
        pair("y", 1, Some("three")),
    ];
    source.insert("pairs", &rows);
    target.insert(
        "pairs",
        &[
            pair("x", 1, Some("old")),
            pair("x", 2, Some("old")),
            pair("y", 1, Some("old")),
            pair("y", 2, Some("gone")),
            pair("z", 1, Some("gone")),
        ],
    );
    let table = table_data(&source.url(), "pairs", None).await;
    assert_eq!(table.key, [0, 1]);
    assert_eq!(table.key_source, KeySource::PrimaryKey);
    let read = read_source(&source.url(), &table).await;
    assert_rows_exact(&read, &rows);

    let (mut tgt, _reader) = Target::open(&target.url()).await;
    tgt.write(&table, WriteOp::Update(&read)).await;
    let doomed = [pair("y", 2, None), pair("z", 1, None)];
    tgt.write(&table, WriteOp::Delete(&doomed)).await;
    assert_rows_exact(&target.read_back("pairs"), &rows);
    // Both parts of the key count: ('x', 1) and ('x', 2) go, ('y', 1) stays.
    tgt.write(&table, WriteOp::Delete(&read[..2])).await;
    assert_rows_exact(&target.read_back("pairs"), &rows[2..]);
}

fn bag_row(n: i64, s: Option<&str>, d: Option<f64>, bl: Option<&[u8]>) -> Row {
    vec![
        int(n),
        s.map_or(Value::Null, text),
        d.map_or(Value::Null, double),
        bl.map_or(Value::Null, bytes),
    ]
}

async fn keyless_deletes_remove_one_copy_of_each_row<F: Fixture>() {
    let db = F::with("ct_bag", &[Table::Bag]);
    let a = bag_row(1, Some("a"), Some(0.1), Some(&[0]));
    let upper = bag_row(1, Some("A"), Some(0.1), Some(&[0]));
    let padded = bag_row(1, Some("a "), Some(0.1), Some(&[0]));
    let null = bag_row(2, None, None, None);
    let q = bag_row(3, Some("q"), Some(0.1), Some(&[0]));
    let q_longer = bag_row(3, Some("q"), Some(0.1), Some(&[0, 0]));
    let x = bag_row(4, Some("x"), None, None);
    let rows = vec![
        a.clone(),
        a.clone(),
        upper.clone(),
        padded.clone(),
        null.clone(),
        null.clone(),
        q_longer.clone(),
        q.clone(),
        x.clone(),
        x.clone(),
        x.clone(),
    ];
    db.insert("bag", &rows);
    let table = table_data(&db.url(), "bag", None).await;
    assert_eq!(table.key_source, KeySource::WholeRow);
    assert!(table.key.is_empty());
    // Whole rows in key order: copies come next to each other.
    assert_rows_exact(&read_source(&db.url(), &table).await, &sorted(rows));

    // One copy of `a`, of the NULL row and of `q` (not its longer twin);
    // two of the three `x`. Case and trailing spaces make other rows.
    let (mut tgt, _reader) = Target::open(&db.url()).await;
    let doomed = [a.clone(), null.clone(), q, x.clone(), x.clone()];
    tgt.write(&table, WriteOp::Delete(&doomed)).await;
    assert_rows_exact(
        &db.read_back("bag"),
        &sorted(vec![a, upper, padded, null, q_longer, x]),
    );
}

async fn rows_stream_in_key_cmp_order<F: Fixture>() {
    let db = F::with("ct_order", &[Table::Words, Table::Pairs]);
    // A case-insensitive key still streams by its bytes.
    let words: Vec<Row> = [("a", 1), ("B", 2), ("é", 3), ("F", 4), ("B\t", 5), ("", 6)]
        .map(|(w, n)| vec![text(w), int(n)])
        .to_vec();
    db.insert("words", &words);
    let table = table_data(&db.url(), "words", None).await;
    let keys: Vec<Value> = read_source(&db.url(), &table)
        .await
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(keys, ["", "B", "B\t", "F", "a", "é"].map(text));

    // A composite key: by its first column's bytes, then by number.
    db.insert(
        "pairs",
        &[
            pair("z", 2, Some("1")),
            pair("a", 9, Some("2")),
            pair("z", 1, Some("3")),
            pair("a", -1, Some("4")),
            pair("é", 0, Some("5")),
            pair("Z", 5, Some("6")),
        ],
    );
    let table = table_data(&db.url(), "pairs", None).await;
    let rows = read_source(&db.url(), &table).await;
    for w in rows.windows(2) {
        let key = |row: &Row| -> Row { table.key_of(row).into_iter().cloned().collect() };
        assert_eq!(key_cmp(&key(&w[0]), &key(&w[1])), Ordering::Less, "{w:?}");
    }
    let vs: Vec<Value> = rows.iter().map(|row| row[2].clone()).collect();
    assert_eq!(vs, ["6", "4", "2", "3", "1", "5"].map(text));
}

async fn tiny_statement_limits_split_every_op<F: Fixture>() {
    let source = F::with("ct_split_src", &[Table::Numbers]);
    let target = F::with("ct_split_tgt", &[Table::Numbers]);
    let rows = numbers(1200);
    source.insert("nums", &rows);
    let table = table_data(&source.url(), "nums", None).await;
    let read = read_source(&source.url(), &table).await;
    let changed: Vec<Row> = read
        .iter()
        .map(|row| vec![row[0].clone(), text("changed")])
        .collect();

    let (mut tgt, _reader) = Target::open(&target.url()).await;
    // Room for one row's upsert and no more on every engine (PostgreSQL's
    // names OVERRIDING SYSTEM VALUE and ON CONFLICT ... EXCLUDED).
    let max = 160;
    for (op, expected) in [
        (WriteOp::Insert(&read), &rows),
        (WriteOp::Update(&changed), &changed),
    ] {
        let statements = tgt.render(&table, op, max);
        assert!(statements.len() > 100, "{}", statements.len());
        assert!(statements.iter().all(|s| s.len() <= max), "{statements:#?}");
        tgt.execute(&statements).await.unwrap();
        assert_rows_exact(&target.read_back("nums"), expected);
    }
    // A row longer than the limit goes alone.
    let statements = tgt.render(&table, WriteOp::Delete(&changed[..3]), 10);
    assert_eq!(statements.len(), 3, "{statements:#?}");
    tgt.execute(&statements).await.unwrap();
    assert_rows_exact(&target.read_back("nums"), &changed[3..]);
}

/// Runs statements the target must refuse as `refusal`.
async fn refused<F: Fixture>(target: &mut Target, statements: &[String], refusal: Refusal) {
    let err = target.execute(statements).await.unwrap_err();
    let (kind, message) = F::refusal(refusal);
    assert_eq!(err.kind, kind, "{refusal:?}: {}", err.message);
    assert!(
        err.message.contains(message),
        "{refusal:?}: {}",
        err.message
    );
}

async fn refused_writes_are_classified_and_rolled_back<F: Fixture>() {
    let db = F::with("ct_refused", &[Table::Family]);
    let child = |id: i64, pid: i64, email: &str| vec![int(id), int(pid), text(email)];
    let children = vec![child(1, 1, "a@x"), child(2, 1, "b@x")];
    db.insert("parent", &[vec![int(1)]]);
    db.insert("child", &children);
    let parent_table = table_data(&db.url(), "parent", None).await;
    let child_table = table_data(&db.url(), "child", None).await;
    let (mut tgt, _reader) = Target::open(&db.url()).await;
    tgt.foreign_key_checks(true).await;
    let max = tgt.max_statement_bytes();
    assert!(max > 1 << 20, "{max}");
    let insert = |tgt: &Target, row: Row| tgt.render(&child_table, WriteOp::Insert(&[row]), max);

    // A good statement, then one the foreign key refuses: neither stays.
    let mut statements = insert(&tgt, child(3, 1, "c@x"));
    statements.extend(insert(&tgt, child(4, 9, "d@x")));
    assert_eq!(statements.len(), 2);
    refused::<F>(&mut tgt, &statements, Refusal::Orphan).await;
    assert_rows_exact(&db.read_back("child"), &children);

    let statements = tgt.render(&parent_table, WriteOp::Delete(&[vec![int(1)]]), max);
    refused::<F>(&mut tgt, &statements, Refusal::Parent).await;
    assert_rows_exact(&db.read_back("parent"), &[vec![int(1)]]);

    // An update by the primary key that collides on another unique index
    // fails instead of overwriting the other row.
    let statements = tgt.render(&child_table, WriteOp::Update(&[child(1, 1, "b@x")]), max);
    refused::<F>(&mut tgt, &statements, Refusal::Email).await;
    let statements = insert(&tgt, child(4, 1, "a@x"));
    refused::<F>(&mut tgt, &statements, Refusal::Email).await;
    let statements = insert(&tgt, child(1, 1, "z@x"));
    refused::<F>(&mut tgt, &statements, Refusal::Id).await;
    assert_rows_exact(&db.read_back("child"), &children);

    // The session still works.
    let statements = insert(&tgt, child(3, 1, "c@x"));
    tgt.execute(&statements).await.unwrap();
    assert_rows_exact(
        &db.read_back("child"),
        &[children, vec![child(3, 1, "c@x")]].concat(),
    );
}

async fn a_source_reads_one_snapshot<F: Fixture>() {
    let db = F::with("ct_snapshot", &[Table::Numbers]);
    db.allow_writes_during_reads();
    let rows = numbers(3);
    db.insert("nums", &rows[..2]);
    let table = table_data(&db.url(), "nums", None).await;
    let mut source = Source::open(&db.url()).await;
    db.insert("nums", &rows[2..]);
    assert_eq!(db.count("nums"), 3);
    // Every read comes from the snapshot, the second one too.
    assert_rows_exact(&source.rows(&table).await, &rows[..2]);
    assert_rows_exact(&source.rows(&table).await, &rows[..2]);
    source.finish().await;
    assert_rows_exact(&read_source(&db.url(), &table).await, &rows);
}

async fn large_reads_come_in_chunks_and_stop_when_unwanted<F: Fixture>() {
    let db = F::with("ct_chunks", &[Table::Numbers]);
    let rows = numbers(i64::try_from(2 * ROW_CHUNK + ROW_CHUNK / 2).unwrap());
    db.insert("nums", &rows);
    let table = table_data(&db.url(), "nums", None).await;
    let mut source = Source::open(&db.url()).await;

    let (tx, mut rx) = mpsc::channel(1);
    let streaming = async {
        let tx = tx;
        source.stream(&table, &tx).await;
    };
    let chunks = async move {
        let mut chunks = Vec::new();
        while let Some(chunk) = rx.recv().await {
            chunks.push(chunk.unwrap());
        }
        chunks
    };
    let ((), chunks) = tokio::join!(streaming, chunks);
    let sizes: Vec<usize> = chunks.iter().map(Vec::len).collect();
    assert_eq!(sizes, [ROW_CHUNK, ROW_CHUNK, ROW_CHUNK / 2]);
    assert_rows_exact(&chunks.concat(), &rows);

    // A receiver that goes away after one chunk ends the stream quietly.
    let (tx, mut rx) = mpsc::channel(1);
    let streaming = async {
        let tx = tx;
        source.stream(&table, &tx).await;
    };
    let first = async move {
        let chunk = rx.recv().await.unwrap().unwrap();
        drop(rx);
        chunk
    };
    let ((), first) = tokio::join!(streaming, first);
    assert_rows_exact(&first, &rows[..ROW_CHUNK]);
}

async fn a_second_connection_streams_while_the_writer_writes<F: Fixture>() {
    let db = F::with("ct_reader", &[Table::Numbers]);
    let rows = numbers(3500);
    db.insert("nums", &rows);
    let table = table_data(&db.url(), "nums", None).await;
    let (mut writer, mut reader) = Target::open(&db.url()).await;

    // The reader stops after its first chunk, in the middle of its read.
    let (tx, mut rx) = mpsc::channel(1);
    let streamed = table.clone();
    let reading = tokio::spawn(async move {
        reader.stream(&streamed, &tx).await;
        reader
    });
    let mut seen = rx.recv().await.unwrap().unwrap();

    let new = vec![int(9999), text("new")];
    tokio::time::timeout(
        Duration::from_secs(5),
        writer.write(&table, WriteOp::Insert(std::slice::from_ref(&new))),
    )
    .await
    .expect("the writer waited for the reader");

    while let Some(chunk) = rx.recv().await {
        seen.extend(chunk.unwrap());
    }
    let reader = reading.await.unwrap();
    // The reader kept what its read started with; the write landed.
    assert_rows_exact(&seen, &rows);
    assert_rows_exact(&db.read_back("nums"), &[rows, vec![new]].concat());
    writer.finish(reader).await;
}

async fn updates_by_unique_index_and_configured_key<F: Fixture>() {
    let db = F::with("ct_keys", &[Table::UniqueIndex, Table::Bag]);
    let code =
        |code: &str, v: &str, n: Option<i64>| vec![text(code), text(v), n.map_or(Value::Null, int)];
    db.insert("u", &[code("a", "old", Some(1)), code("b", "old", Some(2))]);
    let u = table_data(&db.url(), "u", None).await;
    assert_eq!(u.key_source, KeySource::UniqueIndex("uk".into()));
    let (mut tgt, _reader) = Target::open(&db.url()).await;
    tgt.write(&u, WriteOp::Update(&[code("b", "new", None)]))
        .await;
    assert_rows_exact(
        &db.read_back("u"),
        &[code("a", "old", Some(1)), code("b", "new", None)],
    );

    // A key set by the config (no index behind it) may hold NULL.
    let rows = vec![
        bag_row(1, Some("a"), Some(0.5), Some(&[1])),
        bag_row(2, Some("b"), None, Some(&[2])),
        bag_row(3, Some("c"), Some(1.5), None),
    ];
    db.insert("bag", &rows);
    let bag = table_data(&db.url(), "bag", Some(&["bl"])).await;
    assert_eq!(bag.key_source, KeySource::Configured);
    let updated = [
        bag_row(10, Some("A"), None, Some(&[1])),
        bag_row(30, None, Some(-1.5), None),
    ];
    tgt.write(&bag, WriteOp::Update(&updated)).await;
    assert_rows_exact(
        &db.read_back("bag"),
        &sorted(vec![
            updated[0].clone(),
            rows[1].clone(),
            updated[1].clone(),
        ]),
    );
}

/// A key set by the config on a case-insensitive text column: `a` and `A`
/// are two keys (the merge orders keys by bytes), so an update or delete
/// of one never touches the other.
async fn configured_keys_match_bytes_not_collation<F: Fixture>() {
    let db = F::with("ct_bytes", &[Table::Bag]);
    let rows = vec![
        bag_row(1, Some("a"), None, None),
        bag_row(2, Some("A"), None, None),
        bag_row(3, Some("b"), None, None),
        bag_row(4, Some("B"), None, None),
    ];
    db.insert("bag", &rows);
    let bag = table_data(&db.url(), "bag", Some(&["s"])).await;
    let (mut tgt, _reader) = Target::open(&db.url()).await;
    let updated = [
        bag_row(10, Some("a"), None, None),
        bag_row(20, Some("A"), None, None),
    ];
    tgt.write(&bag, WriteOp::Update(&updated)).await;
    tgt.write(&bag, WriteOp::Delete(&[bag_row(4, Some("B"), None, None)]))
        .await;
    assert_rows_exact(
        &db.read_back("bag"),
        &sorted(vec![
            updated[0].clone(),
            updated[1].clone(),
            rows[2].clone(),
        ]),
    );
}

async fn triggers_are_listed_by_table<F: Fixture>() {
    let db = F::with("ct_triggers", &[Table::Triggered]);
    let triggers = Target::connect(&db.url()).await.triggers().await;
    // `audit` has none.
    assert_eq!(triggers.len(), 1, "{triggers:?}");
    assert_eq!(triggers["t"], ["t_del", "t_ins"]);
}

/// Row hashes by key (where the engine has them): one key and one hash a
/// row, in key order; equal rows hash alike in two databases, and a
/// changed value changes its row's hash only. Rows read back by key are
/// exactly those rows, a case-insensitive key by the database's own
/// equality.
async fn keys_hash_their_rows_and_read_back_by_key<F: Fixture>() {
    let one = F::with("ct_hash_a", &[Table::Values, Table::Words]);
    let two = F::with("ct_hash_b", &[Table::Values]);
    let rows = edge_rows();
    one.insert("vals", &rows);
    two.insert("vals", &rows);
    let words: Vec<Row> = [("a", 1), ("B", 2), ("é", 3)]
        .map(|(w, n)| vec![text(w), int(n)])
        .to_vec();
    one.insert("words", &words);
    let table = table_data(&one.url(), "vals", None).await;
    let mut source = Source::open(&one.url()).await;
    if !source.hashes_by_key(&table) {
        // SQLite: every table is streamed whole.
        assert!(!source.hashes_by_key(&whole_row(&table)));
        return source.finish().await;
    }
    assert!(!source.hashes_by_key(&whole_row(&table)), "a keyless table");
    let hashes = source.key_hashes(&table).await;
    let ids: Vec<Value> = read_source(&one.url(), &table)
        .await
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(hashes.len(), rows.len());
    assert!(hashes.iter().all(|h| h.len() == 2), "{hashes:?}");
    let hashed_ids: Vec<Value> = hashes.iter().map(|h| h[0].clone()).collect();
    assert_eq!(hashed_ids, ids);
    let mut distinct: Vec<String> = hashes.iter().map(|h| format!("{:?}", h[1])).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        rows.len(),
        "edge rows all hash apart: {hashes:?}"
    );

    let changed = &ids[1];
    two.exec(&format!(
        "UPDATE vals SET s = 'changed' WHERE id = {changed}"
    ));
    let mut other = Source::open(&two.url()).await;
    let theirs = other.key_hashes(&table).await;
    other.finish().await;
    let differing: Vec<&Value> = hashes
        .iter()
        .zip(&theirs)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| &a[0])
        .collect();
    assert_eq!(differing, [changed]);

    let keys = [
        vec![ids[0].clone()],
        vec![ids[2].clone()],
        vec![int(999_999)],
    ];
    let read = source.keyed_rows(&table, &keys).await;
    let expected: Vec<Row> = sorted(rows.clone())
        .into_iter()
        .filter(|row| row[0] == ids[0] || row[0] == ids[2])
        .collect();
    assert_rows_exact(&read, &sorted(expected));
    assert!(source.keyed_rows(&table, &[]).await.is_empty());

    let words_table = table_data(&one.url(), "words", None).await;
    let read = source.keyed_rows(&words_table, &[vec![text("b")]]).await;
    assert_eq!(
        read,
        [vec![text("B"), int(2)]],
        "by the database's equality"
    );
    source.finish().await;
}
