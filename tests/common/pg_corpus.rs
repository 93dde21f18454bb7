//! What the PostgreSQL corpus runners share: the features lockstep does
//! not sync, as found in a case's SQL, and the convergence check (sync,
//! then validate, then compare both sides' `pg_dump --schema-only`).

use super::PgDb;

/// Features lockstep does not sync on PostgreSQL, by a sign of them in a
/// case's SQL (upper-cased), with the reason printed for the case.
const UNSUPPORTED: &[(&[&str], &str)] = &[
    (
        &["SET SEARCH_PATH"],
        "a script's own search_path (lockstep resolves names in the account's)",
    ),
    (
        &["CREATE TYPE", "CREATE DOMAIN", "ALTER TYPE", "ALTER DOMAIN"],
        "uses user-defined types or domains (refused: a domain's new base type, a range type defined otherwise, a composite's attributes reordered)",
    ),
    (
        &["GRANT ", "REVOKE ", "CREATE ROLE", "OWNER TO"],
        "privileges' order in an ACL (which pg_dump shows), owners and roles are not synced",
    ),
    (&["CREATE COLLATION"], "collations are not synced"),
];

/// The first unsupported feature the SQL uses, as its reason.
pub fn unsupported_feature(sql: &str) -> Option<&'static str> {
    let upper = sql.to_uppercase();
    UNSUPPORTED
        .iter()
        .find(|(signs, _)| signs.iter().any(|s| upper.contains(s)))
        .map(|(_, reason)| *reason)
}

/// Why a convergence check failed: a short `reason` several cases can
/// share, and the `detail` of this one.
pub struct Miss {
    pub reason: String,
    pub detail: String,
}

/// What went wrong, from lockstep's output: the first failed statement's
/// error, a refusal, or else the result line; names taken out so that
/// cases failing alike share it.
fn first_error(output: &str) -> String {
    let lines = || output.lines().map(str::trim);
    let line = lines()
        .find(|l| l.starts_with("failed:") || l.contains("RAISE EXCEPTION"))
        .or_else(|| lines().find(|l| l.to_lowercase().starts_with("error")))
        .or_else(|| lines().find(|l| l.starts_with("Result:")))
        .unwrap_or("");
    // A refusal's message is the quoted text after `RAISE EXCEPTION '%', `.
    let line = line.split_once("'%', '").map_or(line, |(_, m)| m);
    let line = line.split(" (SQLSTATE").next().unwrap_or(line);
    let line = line.split(" (").next().unwrap_or(line);
    generic(line).chars().take(130).collect()
}

/// `line` with every quoted name, and the name after a kind of object,
/// replaced by `_`.
fn generic(line: &str) -> String {
    const KINDS: [&str; 9] = [
        "view",
        "function",
        "table",
        "constraint",
        "index",
        "column",
        "type",
        "relation",
        "trigger",
    ];
    let mut out: Vec<String> = Vec::new();
    let mut name_next = false;
    for word in line.split(' ') {
        let quoted = word.starts_with('`') || word.starts_with('"') || word.starts_with("'");
        if name_next || quoted {
            out.push("_".to_string());
        } else {
            out.push(word.to_string());
        }
        name_next = KINDS.contains(&word);
    }
    out.join(" ")
}

/// The first line where two dumps differ, from each side.
fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let at = w.iter().zip(&g).take_while(|(a, b)| a == b).count();
    format!(
        "source `{}` / target `{}`",
        w.get(at).unwrap_or(&"<end>"),
        g.get(at).unwrap_or(&"<end>")
    )
}

/// Syncs `source` into `target` with `mode` (`--schema-only`,
/// `--fix-schemas`), then requires validate to find nothing and the two
/// schema dumps to be equal.
pub fn converge(source: &PgDb, target: &PgDb, mode: &str) -> Result<(), Miss> {
    let out = super::lockstep_sync(mode, &source.url(), &target.url());
    let text = super::output_text(&out);
    if out.status.code() != Some(0) {
        return Err(Miss {
            reason: format!("sync fails: {}", first_error(&text)),
            detail: text,
        });
    }
    let out = super::lockstep_sync("--validate-only", &source.url(), &target.url());
    let text = super::output_text(&out);
    if out.status.code() != Some(0) {
        return Err(Miss {
            reason: "validate finds differences after the sync".to_string(),
            detail: text,
        });
    }
    let (want, got) = (source.schema_dump(), target.schema_dump());
    if want != got {
        return Err(Miss {
            reason: "pg_dump --schema-only differs after the sync".to_string(),
            detail: first_difference(&want, &got),
        });
    }
    Ok(())
}
