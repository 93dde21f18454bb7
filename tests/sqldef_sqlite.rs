//! sqldef's SQLite schema-diff cases as a convergence test: `current` in
//! the target file, `desired` in the source file, then
//! `lockstep sync --schema-only --allow-destructive`. After it, every
//! table must read back the same through SQLite's own pragmas (columns,
//! types, nullability, defaults, keys; indexes; foreign keys) and a second
//! run must change nothing. Triggers are not managed by lockstep: their
//! cases are skipped with the reason printed.

mod common;

use std::collections::BTreeMap;

use common::SqliteDb;

/// What SQLite itself says of every table and view: the comparison does
/// not go through lockstep's own model.
fn pragma_schema(db: &SqliteDb) -> BTreeMap<String, Vec<String>> {
    let c = rusqlite::Connection::open(&db.path).unwrap();
    let objects: Vec<(String, String)> = c
        .prepare("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let rows = |sql: &str| -> Vec<String> {
        let mut st = c.prepare(sql).unwrap();
        let n = st.column_count();
        let mut out: Vec<String> = st
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        out.sort();
        out
    };
    let mut out = BTreeMap::new();
    for (name, kind) in objects {
        let q = name.replace('\'', "''");
        let mut facts = vec![format!("kind {kind}")];
        facts.extend(rows(&format!("SELECT cid, name, lower(type), \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo('{q}')")));
        if kind == "table" {
            facts.extend(rows(&format!(
                "SELECT l.\"unique\", l.origin, l.partial, group_concat(i.name || ':' || i.\"desc\" || ':' || coalesce(i.coll, ''), ',')
                 FROM pragma_index_list('{q}') l JOIN pragma_index_xinfo(l.name) i WHERE i.key GROUP BY l.name"
            )));
            facts.extend(rows(&format!(
                "SELECT \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list('{q}')"
            )));
        }
        // SQLite folds the case of names: `USERS` is `users`.
        out.insert(name.to_lowercase(), facts);
    }
    let triggers: Vec<(String, String, String)> = c
        .prepare("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    for (name, table, sql) in triggers {
        out.insert(
            format!("trigger {}", name.to_lowercase()),
            vec![table.to_lowercase(), sql],
        );
    }
    out
}

#[test]
fn sqldef_sqlite_cases_converge() {
    let (mut passed, mut skipped, mut failures) = (0, Vec::new(), Vec::new());
    for case in common::sqldef::load("sqldef/cmd/sqlite3def") {
        let id = case.id();
        let current = case.text("current").unwrap_or_default();
        let desired = case.text("desired").unwrap_or_default();
        if case.flag("enable_drop") == Some(false) {
            skipped.push((id, "tests sqldef's enable_drop=false".to_string()));
            continue;
        }
        let source = SqliteDb::new("sqldef3_src");
        let target = SqliteDb::new("sqldef3_tgt");
        if let Err(e) = target.try_exec(&current) {
            skipped.push((id, format!("SQLite rejects `current`: {e}")));
            continue;
        }
        if let Err(e) = source.try_exec(&desired) {
            skipped.push((id, format!("SQLite rejects `desired`: {e}")));
            continue;
        }
        let args = |mode| common::lockstep_sync(mode, &source.url(), &target.url());
        let first = args("--schema-only");
        let verdict = if first.status.code() != Some(0) {
            Some(format!(
                "first run exited {:?}:\n{}",
                first.status.code(),
                common::output_text(&first)
            ))
        } else if pragma_schema(&source) != pragma_schema(&target) {
            Some(format!(
                "schemas differ\nsource: {:#?}\ntarget: {:#?}",
                pragma_schema(&source),
                pragma_schema(&target)
            ))
        } else {
            let second = args("--schema-only");
            let text = common::output_text(&second);
            (second.status.code() != Some(0) || text.contains("Schema changes"))
                .then(|| format!("second run is not a no-op:\n{text}"))
        };
        match verdict {
            None => passed += 1,
            Some(why) => failures.push((id, why)),
        }
    }
    common::report_cases("sqldef sqlite3def cases", passed, &skipped, &failures);
}
