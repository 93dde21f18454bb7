//! Reads the structure SQLite's pragmas do not give out of stored
//! `CREATE TABLE` / `CREATE INDEX` texts: each column's own text, declared
//! type, collation, generated expression, CHECK constraints, constraint
//! names and table options.

use std::ops::Range;

use super::tokens::{join, matching_paren, split_top_level, tokenize, Kind, Token};

/// A stored `CREATE TABLE`, taken apart.
#[derive(Debug)]
pub struct ParsedTable {
    pub columns: Vec<ParsedColumn>,
    /// Byte offset where `ALTER TABLE ADD COLUMN` writes a new column into
    /// this text: the comma before the table constraints, else the closing
    /// parenthesis (SQLite's `addColOffset`).
    pub add_column_at: usize,
    pub checks: Vec<ParsedCheck>,
    pub foreign_keys: Vec<ParsedForeignKey>,
    /// Table options after the closing parenthesis, upper case
    /// (`WITHOUT ROWID`, `STRICT`).
    pub options: Vec<String>,
}

#[derive(Debug)]
pub struct ParsedColumn {
    pub name: String,
    /// Byte range of the whole definition as written, name first.
    pub text: Range<usize>,
    pub body: ColumnBody,
}

/// What one column definition (the text after the column's name) says.
#[derive(Debug, Default)]
pub struct ColumnBody {
    /// Declared type, lower case, spaces only between words (`varchar(10)`).
    pub data_type: String,
    /// The whole text after the name, whitespace normalised.
    pub definition: String,
    pub collation: Option<String>,
    /// Expression of `GENERATED ALWAYS AS (expr)`.
    pub generated: Option<String>,
    pub primary_key: bool,
    pub autoincrement: bool,
    pub unique: bool,
    /// The `DEFAULT` term as written (`'a'`, `-1`, `(1+2)`, `CURRENT_TIMESTAMP`).
    pub default: Option<String>,
    pub checks: Vec<ParsedCheck>,
    pub foreign_keys: Vec<ParsedForeignKey>,
}

#[derive(Debug, Clone)]
pub struct ParsedCheck {
    pub name: Option<String>,
    pub expression: String,
    /// The constraint's text (`CONSTRAINT c CHECK (a > 0)`), normalised.
    pub definition: String,
}

#[derive(Debug, Clone)]
pub struct ParsedForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    /// The constraint's text (`REFERENCES p(id) ON DELETE CASCADE` on a
    /// column, `FOREIGN KEY (a) REFERENCES ...` on the table), normalised.
    pub definition: String,
}

/// Keywords that open a column constraint.
const COLUMN_CONSTRAINT_START: [&str; 11] = [
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

/// Keywords that open a table constraint.
const TABLE_CONSTRAINT_START: [&str; 5] = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

fn starts_constraint(tokens: &[Token<'_>], i: usize) -> bool {
    let t = &tokens[i];
    let previous = i.checked_sub(1).map(|p| &tokens[p]);
    // `NOT DEFERRABLE`, `SET NULL` and `SET DEFAULT` belong to a foreign
    // key clause, the NULL of `NOT NULL` to its NOT.
    if (t.is_kw("NOT") && tokens.get(i + 1).is_some_and(|n| n.is_kw("DEFERRABLE")))
        || previous.is_some_and(|p| p.is_kw("SET"))
        || (t.is_kw("NULL") && previous.is_some_and(|p| p.is_kw("NOT")))
    {
        return false;
    }
    COLUMN_CONSTRAINT_START.iter().any(|k| t.is_kw(k))
}

/// Index after the parenthesis group opened at `i`, or `i + 1`.
fn skip_group(tokens: &[Token<'_>], i: usize) -> usize {
    if tokens[i].is_punct("(") {
        matching_paren(tokens, i) + 1
    } else {
        i + 1
    }
}

/// Analyses the tokens of a column definition after the column's name.
pub fn column_body(body: &[Token<'_>]) -> ColumnBody {
    let mut type_end = 0;
    while type_end < body.len() && !starts_constraint(body, type_end) {
        type_end = skip_group(body, type_end);
    }
    let type_end = type_end.min(body.len());
    let mut out = ColumnBody {
        data_type: type_text(&body[..type_end]),
        definition: join(body),
        ..ColumnBody::default()
    };
    for segment in constraint_segments(&body[type_end..]) {
        let (name, rest) = constraint_name(segment);
        let Some(first) = rest.first() else { continue };
        if first.is_kw("COLLATE") {
            out.collation = rest.get(1).map(Token::ident);
        } else if first.is_kw("CHECK") {
            out.checks.push(ParsedCheck {
                name,
                expression: paren_content(rest, 1),
                definition: join(segment),
            });
        } else if first.is_kw("REFERENCES") {
            out.foreign_keys.push(ParsedForeignKey {
                name,
                columns: Vec::new(),
                definition: join(segment),
            });
        } else if first.is_kw("GENERATED") || first.is_kw("AS") {
            let open = rest.iter().position(|t| t.is_punct("("));
            out.generated = open.map(|o| paren_content(rest, o));
        } else if first.is_kw("PRIMARY") {
            out.primary_key = true;
            out.autoincrement = rest.iter().any(|t| t.is_kw("AUTOINCREMENT"));
        } else if first.is_kw("UNIQUE") {
            out.unique = true;
        } else if first.is_kw("DEFAULT") && rest.len() > 1 {
            out.default = Some(join(&rest[1..]));
        }
    }
    out
}

/// Splits column constraints, each starting at its keyword (or at the
/// `CONSTRAINT name` before it).
fn constraint_segments<'t, 'a>(tokens: &'t [Token<'a>]) -> Vec<&'t [Token<'a>]> {
    let mut segments = Vec::new();
    let mut from = 0;
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let named_by_previous = i == from + 2 && tokens[from].is_kw("CONSTRAINT");
        let starts = starts_constraint(tokens, i);
        if i > from && !named_by_previous && starts {
            segments.push(&tokens[from..i]);
            from = i;
        }
        i = if starts && t.is_kw("DEFAULT") {
            // DEFAULT takes one term, which may itself be a keyword (NULL).
            match tokens.get(i + 1) {
                Some(n) if n.is_punct("(") => skip_group(tokens, i + 1),
                Some(n) if n.is_punct("-") || n.is_punct("+") => i + 3,
                Some(_) => i + 2,
                None => i + 1,
            }
        } else if t.is_kw("COLLATE") || t.is_kw("CONSTRAINT") {
            i + 2
        } else {
            skip_group(tokens, i)
        };
    }
    if from < tokens.len() {
        segments.push(&tokens[from..]);
    }
    segments
}

fn constraint_name<'t, 'a>(segment: &'t [Token<'a>]) -> (Option<String>, &'t [Token<'a>]) {
    match segment {
        [first, name, rest @ ..] if first.is_kw("CONSTRAINT") => (Some(name.ident()), rest),
        _ => (None, segment),
    }
}

/// Normalised text inside the parenthesis opened at or after `from`.
fn paren_content(tokens: &[Token<'_>], from: usize) -> String {
    match tokens.iter().skip(from).position(|t| t.is_punct("(")) {
        Some(p) => {
            let open = from + p;
            let close = matching_paren(tokens, open);
            join(&tokens[open + 1..close.max(open + 1)])
        }
        None => String::new(),
    }
}

/// A declared type in canonical form: lower case, a space only between two
/// words (`unsigned big int`, `decimal(10,2)`).
fn type_text(tokens: &[Token<'_>]) -> String {
    let mut out = String::new();
    let mut previous_word = false;
    for t in tokens {
        let word = matches!(t.kind, Kind::Word | Kind::Number);
        if word && previous_word {
            out.push(' ');
        }
        out.push_str(&t.text.to_lowercase());
        previous_word = word;
    }
    out
}

/// Index of the name token after `CREATE [TEMP] TABLE|INDEX|VIEW [IF NOT
/// EXISTS] [schema.]`.
fn object_name(tokens: &[Token<'_>], mut i: usize) -> Option<usize> {
    if tokens.get(i).is_some_and(|t| t.is_kw("IF")) {
        i += if tokens.get(i + 1).is_some_and(|t| t.is_kw("NOT")) {
            3
        } else {
            2
        };
    }
    let first = tokens.get(i)?;
    if tokens.get(i + 1).is_some_and(|t| t.is_punct(".")) {
        return tokens.get(i + 2).map(|_| i + 2);
    }
    first.is_name().then_some(i)
}

/// Takes a stored `CREATE TABLE` apart; `None` when it is not one.
pub fn parse_create_table(sql: &str) -> Option<ParsedTable> {
    let tokens = tokenize(sql);
    let mut i = 0;
    if !tokens.first()?.is_kw("CREATE") {
        return None;
    }
    i += 1;
    if tokens
        .get(i)
        .is_some_and(|t| t.is_kw("TEMP") || t.is_kw("TEMPORARY"))
    {
        i += 1;
    }
    if !tokens.get(i)?.is_kw("TABLE") {
        return None;
    }
    let name_at = object_name(&tokens, i + 1)?;
    let open = name_at + 1;
    if !tokens.get(open)?.is_punct("(") {
        return None;
    }
    let close = matching_paren(&tokens, open);
    let mut table = ParsedTable {
        columns: Vec::new(),
        add_column_at: tokens.get(close).map_or(sql.len(), |t| t.start),
        checks: Vec::new(),
        foreign_keys: Vec::new(),
        options: split_top_level(&tokens[close + 1..])
            .into_iter()
            .map(|o| join(o).to_uppercase())
            .collect(),
    };
    let mut in_constraints = false;
    for element in split_top_level(&tokens[open + 1..close]) {
        let (Some(first), Some(last)) = (element.first(), element.last()) else {
            continue;
        };
        if TABLE_CONSTRAINT_START.iter().any(|k| first.is_kw(k)) {
            if !in_constraints {
                in_constraints = true;
                // The comma before the first table constraint.
                let comma = tokens[open + 1..close]
                    .iter()
                    .rev()
                    .find(|t| t.start < first.start && t.is_punct(","));
                if let Some(comma) = comma {
                    table.add_column_at = comma.start;
                }
            }
            table_constraint(element, &mut table);
        } else {
            let mut body = column_body(&element[1..]);
            let name = first.ident();
            table.checks.append(&mut body.checks);
            for mut fk in body.foreign_keys.drain(..) {
                fk.columns = vec![name.clone()];
                table.foreign_keys.push(fk);
            }
            table.columns.push(ParsedColumn {
                name,
                text: first.start..last.end(),
                body,
            });
        }
    }
    Some(table)
}

fn table_constraint(element: &[Token<'_>], table: &mut ParsedTable) {
    let (name, rest) = constraint_name(element);
    let Some(first) = rest.first() else { return };
    if first.is_kw("CHECK") {
        table.checks.push(ParsedCheck {
            name,
            expression: paren_content(rest, 1),
            definition: join(element),
        });
    } else if first.is_kw("FOREIGN") {
        table.foreign_keys.push(ParsedForeignKey {
            name,
            columns: paren_names(rest),
            definition: join(element),
        });
    }
}

/// The names listed in the first parenthesis of `tokens`.
fn paren_names(tokens: &[Token<'_>]) -> Vec<String> {
    let Some(open) = tokens.iter().position(|t| t.is_punct("(")) else {
        return Vec::new();
    };
    let close = matching_paren(tokens, open);
    split_top_level(&tokens[open + 1..close.max(open + 1)])
        .into_iter()
        .filter_map(|part| part.first().map(Token::ident))
        .collect()
}

/// A stored `CREATE INDEX`, taken apart.
#[derive(Debug)]
pub struct ParsedIndex {
    /// Each indexed term without its `COLLATE` / `ASC` / `DESC`, normalised.
    pub parts: Vec<String>,
    pub predicate: Option<String>,
}

pub fn parse_create_index(sql: &str) -> Option<ParsedIndex> {
    let tokens = tokenize(sql);
    let on = tokens.iter().position(|t| t.is_kw("ON"))?;
    let name_at = object_name(&tokens, on + 1)?;
    let open = name_at + 1;
    if !tokens.get(open)?.is_punct("(") {
        return None;
    }
    let close = matching_paren(&tokens, open);
    let parts = split_top_level(&tokens[open + 1..close])
        .into_iter()
        .map(|mut part| {
            if part
                .last()
                .is_some_and(|t| t.is_kw("ASC") || t.is_kw("DESC"))
            {
                part = &part[..part.len() - 1];
            }
            if part.len() >= 2 && part[part.len() - 2].is_kw("COLLATE") {
                part = &part[..part.len() - 2];
            }
            join(part)
        })
        .collect();
    let predicate = match tokens.get(close + 1) {
        Some(t) if t.is_kw("WHERE") => Some(join(&tokens[close + 2..])),
        _ => None,
    };
    Some(ParsedIndex { parts, predicate })
}

/// A column's definition as `sql` (a `CREATE TABLE`) writes it, name
/// first, spacing and comments kept.
pub fn column_text<'a>(sql: &'a str, name: &str) -> Option<&'a str> {
    let table = parse_create_table(sql)?;
    let column = table
        .columns
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(name))?;
    Some(&sql[column.text.clone()])
}

/// The text SQLite stores for the table of `sql` after
/// `ALTER TABLE ADD COLUMN <column>`: `, ` and the column written where
/// the column list ends (as `sqlite3AlterFinishAddColumn` does).
pub fn text_with_column_added(sql: &str, column: &str) -> Option<String> {
    let at = parse_create_table(sql)?.add_column_at;
    Some(format!("{}, {column}{}", &sql[..at], &sql[at..]))
}

/// The text SQLite stores for the table of `sql` after
/// `ALTER TABLE DROP COLUMN <name>` (as `sqlite_drop_column` does): from
/// the column's name to the next column's, or, for the last column, from
/// the comma before it to the end of the column list.
pub fn text_with_column_dropped(sql: &str, name: &str) -> Option<String> {
    let table = parse_create_table(sql)?;
    let at = table
        .columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(name))?;
    let (from, to) = match table.columns.get(at + 1) {
        Some(next) => (table.columns[at].text.start, next.text.start),
        None => (
            sql[..table.columns[at].text.start].rfind(',')?,
            table.add_column_at,
        ),
    };
    Some(format!("{}{}", &sql[..from], &sql[to..]))
}

/// The table (or view, or index's table) a DDL statement works on, for
/// error messages.
pub fn statement_object(sql: &str) -> Option<String> {
    let tokens = tokenize(sql);
    let kw = tokens.iter().position(|t| {
        ["TABLE", "VIEW", "INTO", "INDEX"]
            .iter()
            .any(|k| t.is_kw(k))
    })?;
    let at = if tokens[kw].is_kw("INDEX") {
        tokens.iter().position(|t| t.is_kw("ON")).unwrap_or(kw)
    } else {
        kw
    };
    let mut i = at + 1;
    if tokens.get(i).is_some_and(|t| t.is_kw("IF")) {
        i += if tokens.get(i + 1).is_some_and(|t| t.is_kw("NOT")) {
            3
        } else {
            2
        };
    }
    if tokens.get(i + 1).is_some_and(|t| t.is_punct(".")) {
        i += 2;
    }
    tokens.get(i).filter(|t| t.is_name()).map(Token::ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_constraints_and_options() {
        let t = parse_create_table(
            "CREATE TABLE \"main\".[t x] (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n  \
             b  VARCHAR ( 10 ) CONSTRAINT nn NOT NULL DEFAULT 'a,b' COLLATE NOCASE CHECK (length(b) > 0),\n  \
             c DEFAULT NULL NOT NULL, g int GENERATED ALWAYS AS (id * 2) STORED,\n  \
             p REFERENCES parent(id) ON DELETE SET NULL ON UPDATE SET DEFAULT NOT DEFERRABLE,\n  \
             CONSTRAINT two CHECK (c <> b), FOREIGN KEY (c, b) REFERENCES q(x, y)\n) WITHOUT ROWID, strict",
        )
        .unwrap();
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "b", "c", "g", "p"]);
        assert!(t.columns[0].body.autoincrement);
        let b = &t.columns[1].body;
        assert_eq!(b.data_type, "varchar(10)");
        assert_eq!(b.collation.as_deref(), Some("NOCASE"));
        assert_eq!(b.default.as_deref(), Some("'a,b'"));
        assert_eq!(
            b.definition,
            "VARCHAR ( 10 ) CONSTRAINT nn NOT NULL DEFAULT 'a,b' COLLATE NOCASE CHECK (length(b) > 0)"
        );
        assert_eq!(t.columns[2].body.default.as_deref(), Some("NULL"));
        assert_eq!(t.columns[3].body.generated.as_deref(), Some("id * 2"));
        assert_eq!(t.checks.len(), 2);
        assert_eq!(t.checks[0].expression, "length(b) > 0");
        assert_eq!(t.checks[1].name.as_deref(), Some("two"));
        assert_eq!(t.foreign_keys[0].columns, ["p"]);
        assert_eq!(
            t.foreign_keys[0].definition,
            "REFERENCES parent(id) ON DELETE SET NULL ON UPDATE SET DEFAULT NOT DEFERRABLE"
        );
        assert_eq!(t.foreign_keys[1].columns, ["c", "b"]);
        assert_eq!(t.options, ["WITHOUT ROWID", "STRICT"]);
    }

    #[test]
    fn index_parts_and_statement_objects() {
        let i = parse_create_index(
            "CREATE UNIQUE INDEX ix ON t (a COLLATE nocase DESC, lower(b)) WHERE a IS NOT NULL",
        )
        .unwrap();
        assert_eq!(i.parts, ["a", "lower(b)"]);
        assert_eq!(i.predicate.as_deref(), Some("a IS NOT NULL"));
        assert_eq!(
            statement_object("CREATE INDEX IF NOT EXISTS i ON [my t](a)").as_deref(),
            Some("my t")
        );
        assert_eq!(
            statement_object("INSERT INTO \"x\" SELECT 1").as_deref(),
            Some("x")
        );
    }

    /// The text SQLite itself stores for table `t` after `statements`.
    fn stored_after(statements: &[&str]) -> String {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        for statement in statements {
            c.execute_batch(statement).unwrap();
        }
        c.query_row("SELECT sql FROM sqlite_master WHERE name = 't'", [], |r| {
            r.get(0)
        })
        .unwrap()
    }

    #[test]
    fn column_texts_as_sqlite_writes_them() {
        let creates = [
            "CREATE TABLE t (id INTEGER PRIMARY KEY, [due at]  INTEGER /* x, y */ DEFAULT 0, c)",
            "create  table t (\n  id INTEGER PRIMARY KEY,\n  \"due at\" INT,\n  c TEXT\n) ; ",
            "CREATE TABLE t (id INT, [due at] INT, c TEXT, CONSTRAINT k CHECK (id > 0), UNIQUE (id))",
            "CREATE TABLE t(id INT PRIMARY KEY,[due at] INT,c TEXT CHECK (c <> ','))  WITHOUT ROWID",
        ];
        for create in creates {
            let stored = stored_after(&[create]);
            assert_eq!(
                column_text(&stored, "DUE AT").map(|t| t.starts_with(['[', '"'])),
                Some(true)
            );
            let added = "note  TEXT /* n */ DEFAULT 'a, b'";
            assert_eq!(
                text_with_column_added(&stored, added).unwrap(),
                stored_after(&[create, &format!("ALTER TABLE t ADD COLUMN {added}")]),
                "{create}"
            );
            for column in ["due at", "c"] {
                assert_eq!(
                    text_with_column_dropped(&stored, column).unwrap(),
                    stored_after(&[create, &format!("ALTER TABLE t DROP COLUMN [{column}]")]),
                    "{create} without {column}"
                );
            }
        }
    }
}
