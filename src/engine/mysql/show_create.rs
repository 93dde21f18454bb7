//! Parses the text of `SHOW CREATE TABLE` and `SHOW CREATE VIEW`, the only
//! exact source of how MySQL/MariaDB spell each column, key and option.
//! Every item keeps its line as `definition`, so DDL can replay it exactly.

use super::ddl::quote_ident;
use super::lexer::{inside_parens, read_ident, split_commas, tokens, unquote_string, Token};
use crate::catalog::model::{
    CheckConstraint, DefaultValue, FkAction, ForeignKey, Index, IndexKind, IndexPart, TableOptions,
};

/// The pieces of one `SHOW CREATE TABLE` text. Columns are (name,
/// definition) pairs; their structured fields come from information_schema.
#[derive(Debug)]
pub struct ParsedTable {
    pub columns: Vec<(String, String)>,
    pub primary_key: Option<Index>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<CheckConstraint>,
    pub options: TableOptions,
    /// The AUTO_INCREMENT counter (not an option of the neutral model):
    /// `AUTO_INCREMENT=N`, or 1 when a column counts but the server leaves
    /// the option out (a counter that never moved); `None` without such a
    /// column.
    pub auto_increment: Option<u64>,
}

/// Parses a `SHOW CREATE TABLE` text. Errors are messages naming the part
/// that could not be read.
pub fn parse_table(create: &str) -> Result<ParsedTable, String> {
    let toks = tokens(create);
    let body = toks
        .iter()
        .find(|t| t.text.starts_with('('))
        .ok_or("no column list in SHOW CREATE TABLE")?;
    let inner = inside_parens(body.text).ok_or("unbalanced column list")?;
    let mut table = ParsedTable {
        columns: Vec::new(),
        primary_key: None,
        indexes: Vec::new(),
        foreign_keys: Vec::new(),
        checks: Vec::new(),
        options: TableOptions::default(),
        auto_increment: None,
    };
    for item in split_commas(inner) {
        parse_item(item, &mut table)?;
    }
    let counts = table
        .columns
        .iter()
        .any(|(_, definition)| tokens(definition).iter().any(|t| t.is("AUTO_INCREMENT")));
    let after_start = body.start + body.text.len();
    let after = &create[after_start..];
    let after_toks = tokens(after);
    let partition_at = after_toks
        .iter()
        .enumerate()
        .find(|(i, t)| {
            (t.is("PARTITION") && after_toks.get(i + 1).is_some_and(|n| n.is("BY")))
                || (t.text.starts_with("/*!")
                    && t.text.to_ascii_uppercase().contains("PARTITION BY"))
        })
        .map(|(_, t)| t.start)
        .unwrap_or(after.len());
    let options_text = &after[..partition_at];
    table.options = parse_options(options_text);
    if counts {
        let counter = tokens(options_text).iter().find_map(|t| {
            let (key, value) = t.text.split_once('=')?;
            if key.eq_ignore_ascii_case("AUTO_INCREMENT") {
                value.parse().ok()
            } else {
                None
            }
        });
        table.auto_increment = Some(counter.unwrap_or(1));
    }
    let partitioning = after[partition_at..].trim();
    if !partitioning.is_empty() {
        table.options.partitioning = Some(unwrap_version_comment(partitioning).to_string());
    }
    table.options.native_create = format!(
        "{}{}{}",
        &create[..after_start],
        strip_auto_increment(options_text),
        &after[partition_at..]
    );
    Ok(table)
}

/// Removes the ` AUTO_INCREMENT=N` counter from a `SHOW CREATE TABLE`
/// text (or its options part).
pub fn strip_auto_increment(options: &str) -> String {
    let mut out = String::with_capacity(options.len());
    let mut rest = options;
    while let Some(pos) = rest.find(" AUTO_INCREMENT=") {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + " AUTO_INCREMENT=".len()..];
        let digits = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// `/*!50100 PARTITION BY ... */` -> `PARTITION BY ...`; other text unchanged.
fn unwrap_version_comment(text: &str) -> &str {
    match text.strip_prefix("/*!").and_then(|t| t.strip_suffix("*/")) {
        Some(inner) => inner
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim(),
        None => text,
    }
}

fn parse_item(item: &str, table: &mut ParsedTable) -> Result<(), String> {
    if item.starts_with('`') {
        let (name, rest) = read_ident(item).ok_or_else(|| format!("bad column line: {item}"))?;
        table.columns.push((name, rest.trim().to_string()));
        return Ok(());
    }
    let toks = tokens(item);
    let first = toks.first().ok_or("empty line in column list")?;
    if first.is("CONSTRAINT") {
        let name = toks
            .get(1)
            .and_then(|t| read_ident(t.text))
            .map(|(n, _)| n)
            .ok_or_else(|| format!("constraint without a name: {item}"))?;
        match toks.get(2) {
            Some(t) if t.is("FOREIGN") => table
                .foreign_keys
                .push(parse_foreign_key(name, item, &toks)?),
            Some(t) if t.is("CHECK") => {
                let expression = toks
                    .get(3)
                    .and_then(|t| inside_parens(t.text))
                    .ok_or_else(|| format!("bad CHECK constraint: {item}"))?;
                table.checks.push(CheckConstraint {
                    name,
                    expression: expression.to_string(),
                    definition: item.to_string(),
                });
            }
            _ => return Err(format!("unknown constraint: {item}")),
        }
        return Ok(());
    }
    let index = parse_index(item, &toks)?;
    if index.kind == IndexKind::Primary {
        table.primary_key = Some(index);
    } else {
        table.indexes.push(index);
    }
    Ok(())
}

fn parse_index(item: &str, toks: &[Token<'_>]) -> Result<Index, String> {
    let bad = || format!("cannot read index line: {item}");
    let (kind, mut i) = match toks.first() {
        Some(t) if t.is("PRIMARY") => (IndexKind::Primary, 2),
        Some(t) if t.is("UNIQUE") => (IndexKind::Unique, 2),
        Some(t) if t.is("FULLTEXT") => (IndexKind::Fulltext, 2),
        Some(t) if t.is("SPATIAL") => (IndexKind::Spatial, 2),
        Some(t) if t.is("KEY") || t.is("INDEX") => (IndexKind::Plain, 1),
        _ => return Err(bad()),
    };
    let mut name = String::from("PRIMARY");
    if let Some((n, _)) = toks.get(i).and_then(|t| read_ident(t.text)) {
        name = n;
        i += 1;
    }
    let parts_text = toks
        .get(i)
        .and_then(|t| inside_parens(t.text))
        .ok_or_else(bad)?;
    let parts = split_commas(parts_text)
        .into_iter()
        .map(parse_index_part)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(bad)?;
    let mut index = Index {
        name,
        kind,
        parts,
        using: None,
        comment: String::new(),
        invisible: false,
        predicate: None,
        definition: item.to_string(),
    };
    let rest = &toks[i + 1..];
    for (j, t) in rest.iter().enumerate() {
        if t.is("USING") {
            index.using = rest.get(j + 1).map(|u| u.text.to_ascii_uppercase());
        } else if t.is("COMMENT") {
            index.comment = rest
                .get(j + 1)
                .and_then(|c| unquote_string(c.text))
                .unwrap_or_default();
        } else if t.is("IGNORED")
            || t.is("INVISIBLE")
            || (t.text.starts_with("/*!") && t.text.to_ascii_uppercase().contains("INVISIBLE"))
        {
            index.invisible = !rest.get(j.wrapping_sub(1)).is_some_and(|p| p.is("NOT"));
        }
    }
    Ok(index)
}

/// One part of a key: `` `col` ``, `` `col`(10) DESC `` or `(expr) DESC`.
fn parse_index_part(part: &str) -> Option<IndexPart> {
    let (column, expression, rest) = match read_ident(part) {
        Some((name, rest)) => (Some(name), None, rest),
        None => {
            let toks = tokens(part);
            let first = toks.first()?;
            let expr = inside_parens(first.text)?;
            (None, Some(expr.to_string()), &part[first.text.len()..])
        }
    };
    let mut prefix = None;
    let mut rest = rest.trim_start();
    if let Some(len) = rest.strip_prefix('(') {
        let close = len.find(')')?;
        prefix = Some(len[..close].parse().ok()?);
        rest = &len[close + 1..];
    }
    Some(IndexPart {
        column,
        expression,
        prefix,
        descending: rest.trim().eq_ignore_ascii_case("DESC"),
    })
}

fn parse_foreign_key(name: String, item: &str, toks: &[Token<'_>]) -> Result<ForeignKey, String> {
    let bad = || format!("cannot read foreign key line: {item}");
    let idents = |t: Option<&Token<'_>>| -> Option<Vec<String>> {
        split_commas(inside_parens(t?.text)?)
            .into_iter()
            .map(|c| read_ident(c).map(|(n, _)| n))
            .collect()
    };
    // CONSTRAINT `n` FOREIGN KEY (cols) REFERENCES `t` (cols) [ON ...]
    let columns = idents(toks.get(4)).ok_or_else(bad)?;
    if !toks.get(5).is_some_and(|t| t.is("REFERENCES")) {
        return Err(bad());
    }
    // `db`.`table` when the parent is in another database: keep the table.
    let mut referenced_table = String::new();
    let mut rest = toks.get(6).ok_or_else(bad)?.text;
    while let Some((n, after)) = read_ident(rest) {
        referenced_table = n;
        rest = after.strip_prefix('.').unwrap_or(after);
    }
    let referenced_columns = idents(toks.get(7)).ok_or_else(bad)?;
    let mut fk = ForeignKey {
        name,
        columns,
        referenced_table,
        referenced_columns,
        on_delete: FkAction::NoAction,
        on_update: FkAction::NoAction,
        definition: item.to_string(),
    };
    let mut i = 8;
    while toks.get(i).is_some_and(|t| t.is("ON")) {
        let event = toks.get(i + 1).ok_or_else(bad)?;
        let word = |k: usize| toks.get(i + k).map(|t| t.text.to_ascii_uppercase());
        let (action, used) = match (word(2).as_deref(), word(3).as_deref()) {
            (Some("CASCADE"), _) => (FkAction::Cascade, 1),
            (Some("RESTRICT"), _) => (FkAction::Restrict, 1),
            (Some("SET"), Some("NULL")) => (FkAction::SetNull, 2),
            (Some("SET"), Some("DEFAULT")) => (FkAction::SetDefault, 2),
            (Some("NO"), Some("ACTION")) => (FkAction::NoAction, 2),
            _ => return Err(bad()),
        };
        if event.is("DELETE") {
            fk.on_delete = action;
        } else {
            fk.on_update = action;
        }
        i += 2 + used;
    }
    Ok(fk)
}

/// Table options after the column list: `ENGINE=InnoDB DEFAULT CHARSET=...`.
fn parse_options(text: &str) -> TableOptions {
    let mut options = TableOptions::default();
    let mut words: Vec<&str> = Vec::new();
    for t in tokens(text) {
        if t.is("DEFAULT") {
            continue;
        }
        let Some((key, value)) = t.text.split_once('=') else {
            words.push(t.text);
            continue;
        };
        if !words.is_empty() {
            options.extra.push(words.join(" "));
            words.clear();
        }
        match key.to_ascii_uppercase().as_str() {
            "ENGINE" => options.engine = Some(value.to_string()),
            "CHARSET" | "CHARACTER SET" => options.charset = Some(value.to_string()),
            "COLLATE" => options.collation = Some(value.to_string()),
            "COMMENT" => options.comment = unquote_string(value).unwrap_or_default(),
            "AUTO_INCREMENT" => {}
            _ => options.extra.push(t.text.to_string()),
        }
    }
    if !words.is_empty() {
        options.extra.push(words.join(" "));
    }
    options
}

/// Reads the default value of a column from its definition text.
pub fn column_default(definition: &str) -> Option<DefaultValue> {
    const STOP: &[&str] = &[
        "ON",
        "COMMENT",
        "CHECK",
        "INVISIBLE",
        "VISIBLE",
        "AUTO_INCREMENT",
        "NOT",
        "NULL",
        "COLLATE",
        "CHARACTER",
        "GENERATED",
        "REFERENCES",
        "COLUMN_FORMAT",
        "STORAGE",
        "SRID",
        "PRIMARY",
        "UNIQUE",
        "KEY",
    ];
    let toks = tokens(definition);
    let at = toks.iter().position(|t| t.is("DEFAULT"))?;
    let first = toks.get(at + 1)?;
    let end = toks[at + 2..]
        .iter()
        .find(|t| t.text.starts_with("/*") || STOP.iter().any(|k| t.is(k)))
        .map(|t| t.start)
        .unwrap_or(definition.len());
    let text = definition[first.start..end].trim();
    Some(classify_default(text))
}

/// The value of an `ON UPDATE` clause in a column definition.
pub fn column_on_update(definition: &str) -> Option<String> {
    let toks = tokens(definition);
    toks.windows(3)
        .find(|w| w[0].is("ON") && w[1].is("UPDATE"))
        .map(|w| w[2].text.to_string())
}

fn classify_default(text: &str) -> DefaultValue {
    if text.eq_ignore_ascii_case("NULL") {
        return DefaultValue::Null;
    }
    if let Some(s) = unquote_string(text) {
        return DefaultValue::Literal(s);
    }
    // A charset introducer: _utf8mb4'abc'.
    if let Some(s) = text
        .strip_prefix('_')
        .and_then(|t| t.find('\'').map(|q| &t[q..]))
        .and_then(unquote_string)
    {
        return DefaultValue::Literal(s);
    }
    let lower = text.to_ascii_lowercase();
    let numeric = text.parse::<f64>().is_ok();
    let bit_or_hex = (lower.starts_with("b'") || lower.starts_with("x'")) && text.ends_with('\'')
        || lower.starts_with("0x");
    if numeric || bit_or_hex {
        DefaultValue::Literal(text.to_string())
    } else {
        DefaultValue::Expression(text.to_string())
    }
}

/// Normalises a `SHOW CREATE VIEW` text to `CREATE VIEW `v` AS <select>`,
/// keeping ALGORITHM and SQL SECURITY only when they are not the defaults
/// (they change behaviour), and dropping DEFINER (it names an account of
/// the source server).
pub fn normalise_view(create: &str) -> Result<String, String> {
    let toks = tokens(create);
    let bad = || format!("cannot read view definition: {create}");
    let view_at = toks.iter().position(|t| t.is("VIEW")).ok_or_else(bad)?;
    let mut kept = Vec::new();
    let mut i = 1;
    while i < view_at {
        let t = toks[i];
        let upper = t.text.to_ascii_uppercase();
        if upper.starts_with("ALGORITHM=") && upper != "ALGORITHM=UNDEFINED" {
            kept.push(upper);
        } else if t.is("SQL") && i + 2 < view_at {
            let mode = toks[i + 2].text.to_ascii_uppercase();
            if mode != "DEFINER" {
                kept.push(format!("SQL SECURITY {mode}"));
            }
            i += 2;
        }
        i += 1;
    }
    let (name, _) = toks
        .get(view_at + 1)
        .and_then(|t| read_ident(t.text))
        .ok_or_else(bad)?;
    let as_tok = toks
        .get(view_at + 2)
        .filter(|t| t.is("AS"))
        .ok_or_else(bad)?;
    let select = create[as_tok.start + 2..].trim();
    kept.push(format!("VIEW {} AS {select}", quote_ident(&name)));
    Ok(format!("CREATE {}", kept.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATE: &str = "CREATE TABLE `t` (\n  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n  `we``ird, (name)` varchar(20) DEFAULT 'a''b,)' COMMENT 'c''m, (x)',\n  `ts` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),\n  `u` varchar(36) DEFAULT (uuid()),\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `uq` (`ts`,`u`),\n  KEY `k_pref` (`u`(10) DESC) COMMENT 'idx cmt',\n  KEY `k_ign` (`u`) IGNORED,\n  CONSTRAINT `fk1` FOREIGN KEY (`id`) REFERENCES `par` (`id`) ON DELETE CASCADE ON UPDATE SET NULL,\n  CONSTRAINT `c1` CHECK (`id` > 0 and `we``ird, (name)` <> ')')\n) ENGINE=InnoDB AUTO_INCREMENT=100 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='tab''le'\n/*!50100 PARTITION BY HASH (`id`)\nPARTITIONS 2 */";

    #[test]
    fn parses_a_full_table() {
        let t = parse_table(CREATE).unwrap();
        assert_eq!(t.columns.len(), 4);
        assert_eq!(t.columns[1].0, "we`ird, (name)");
        assert_eq!(
            t.columns[1].1,
            "varchar(20) DEFAULT 'a''b,)' COMMENT 'c''m, (x)'"
        );
        assert_eq!(
            t.primary_key.unwrap().parts[0].column.as_deref(),
            Some("id")
        );
        assert_eq!(t.indexes.len(), 3);
        let pref = &t.indexes[1];
        assert_eq!(
            (pref.parts[0].prefix, pref.parts[0].descending),
            (Some(10), true)
        );
        assert_eq!(pref.comment, "idx cmt");
        assert!(t.indexes[2].invisible);
        let fk = &t.foreign_keys[0];
        assert_eq!(
            (fk.on_delete, fk.on_update),
            (FkAction::Cascade, FkAction::SetNull)
        );
        assert_eq!(
            t.checks[0].expression,
            "`id` > 0 and `we``ird, (name)` <> ')'"
        );
        assert_eq!(t.options.comment, "tab'le");
        assert_eq!(t.options.extra, ["ROW_FORMAT=DYNAMIC"]);
        assert_eq!(
            t.options.partitioning.as_deref(),
            Some("PARTITION BY HASH (`id`)\nPARTITIONS 2")
        );
        assert!(!t.options.native_create.contains("AUTO_INCREMENT=100"));
        assert!(t.options.native_create.contains("NOT NULL AUTO_INCREMENT,"));
        assert_eq!(t.auto_increment, Some(100));
    }

    #[test]
    fn reads_the_counter_only_of_a_counting_table() {
        let fresh = "CREATE TABLE `t` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB";
        assert_eq!(parse_table(fresh).unwrap().auto_increment, Some(1));
        let plain =
            "CREATE TABLE `t` (\n  `id` int(11) NOT NULL COMMENT 'AUTO_INCREMENT'\n) ENGINE=InnoDB";
        assert_eq!(parse_table(plain).unwrap().auto_increment, None);
    }

    #[test]
    fn reads_defaults() {
        assert_eq!(
            column_default("varchar(20) DEFAULT 'a''b' COMMENT 'x'"),
            Some(DefaultValue::Literal("a'b".into()))
        );
        assert_eq!(
            column_default("int(11) DEFAULT NULL"),
            Some(DefaultValue::Null)
        );
        assert_eq!(
            column_default("int(11) DEFAULT (1 + 2) CHECK (x)"),
            Some(DefaultValue::Expression("(1 + 2)".into()))
        );
        assert_eq!(
            column_default(
                "timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()"
            ),
            Some(DefaultValue::Expression("current_timestamp()".into()))
        );
        assert_eq!(column_default("int(11) NOT NULL"), None);
        assert_eq!(
            column_on_update("timestamp DEFAULT current_timestamp() ON UPDATE current_timestamp()"),
            Some("current_timestamp()".into())
        );
    }

    #[test]
    fn normalises_views() {
        let v = normalise_view(
            "CREATE ALGORITHM=MERGE DEFINER=`root`@`%` SQL SECURITY INVOKER VIEW `v` AS select 1 AS `a`",
        )
        .unwrap();
        assert_eq!(
            v,
            "CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW `v` AS select 1 AS `a`"
        );
    }
}
