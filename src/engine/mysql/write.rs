//! Rendering row writes as MySQL/MariaDB statements with exact literals,
//! and classifying the server's refusals.
//!
//! Every literal is made by one function per value kind and never goes
//! through the server's own text forms: strings and bytes as hex literals
//! (every byte arrives as is, in the column's charset), FLOAT and DOUBLE as
//! the shortest decimal that reads back to the same bits, dates and times
//! by their components.
//!
//! Hex keeps a statement plain text whatever the bytes (a `--sql-out`
//! script runs in any client), but doubles every value. On the way to the
//! server, `wire_form` turns each hex literal back into the bytes
//! themselves, quoted as `_binary'…'`, so a value travels at its own size
//! and any row up to the server's `max_allowed_packet` can be written.

use super::ddl::quote_ident;
use super::lexer::skip_quoted;
use super::rows::byte_form;
use crate::catalog::model::{Flavor, SqlType};
use crate::data::table::{DataColumn, KeySource, TableData};
use crate::data::value::{Row, Value};
use crate::engine::{WriteError, WriteErrorKind, WriteOp};

/// The statements that write `op`, each at most `max_statement_bytes` long
/// unless a single row is longer (it then goes alone).
pub fn render(
    flavor: &Flavor,
    table: &TableData,
    op: WriteOp,
    max_statement_bytes: usize,
) -> Vec<String> {
    render_with(flavor, table, op, max_statement_bytes, &[])
}

/// As `render`, but the values of the columns in `variables` are taken
/// from the user variables named there (which hold their bytes), not
/// written as literals.
pub(super) fn render_with(
    flavor: &Flavor,
    table: &TableData,
    op: WriteOp,
    max_statement_bytes: usize,
    variables: &[(usize, String)],
) -> Vec<String> {
    let w = Writer {
        flavor,
        table,
        variables,
    };
    match op {
        WriteOp::Insert(rows) => w.insert(rows, "", max_statement_bytes),
        WriteOp::Update(rows) => w.update(rows, max_statement_bytes),
        WriteOp::Delete(rows) => w.delete(rows, max_statement_bytes),
        WriteOp::DeleteAll => vec![format!("DELETE FROM {}", w.table_name())],
    }
}

struct Writer<'a> {
    flavor: &'a Flavor,
    table: &'a TableData,
    /// Columns whose value is in a user variable: (position, `@name`).
    variables: &'a [(usize, String)],
}

impl Writer<'_> {
    fn table_name(&self) -> String {
        quote_ident(&self.table.name)
    }

    fn literal(&self, column: usize, value: &Value) -> String {
        let data_column = &self.table.columns[column];
        match self.variables.iter().find(|(i, _)| *i == column) {
            // As `text_literal` would take the bytes.
            Some((_, variable))
                if matches!(value, Value::Text(_))
                    && needs_text_charset(self.flavor, &data_column.sql_type) =>
            {
                format!("CONVERT({variable} USING utf8mb4)")
            }
            Some((_, variable)) => variable.clone(),
            None => literal(self.flavor, data_column, value),
        }
    }

    /// `(v1, v2, ...)` of a whole row.
    fn tuple(&self, row: &Row) -> String {
        let values: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, v)| self.literal(i, v))
            .collect();
        format!("({})", values.join(", "))
    }

    /// Positions of the columns outside the key.
    fn non_key(&self) -> Vec<usize> {
        (0..self.table.columns.len())
            .filter(|i| !self.table.key.contains(i))
            .collect()
    }

    /// Multi-row `INSERT ... VALUES`, followed by `tail` in every statement.
    fn insert(&self, rows: &[Row], tail: &str, max: usize) -> Vec<String> {
        let columns: Vec<String> = self
            .table
            .columns
            .iter()
            .map(|c| quote_ident(&c.name))
            .collect();
        let head = format!(
            "INSERT INTO {} ({}) VALUES ",
            self.table_name(),
            columns.join(", ")
        );
        batch(&head, rows.iter().map(|r| self.tuple(r)), tail, max)
    }

    /// Upserts on the primary key (the primary key is checked before any
    /// other unique index, so a row can only ever update itself); other
    /// keys update row by row.
    fn update(&self, rows: &[Row], max: usize) -> Vec<String> {
        let non_key = self.non_key();
        if non_key.is_empty() || rows.is_empty() {
            // Every column is part of the key: an equal key is an equal row.
            return Vec::new();
        }
        if self.table.key_source == KeySource::PrimaryKey {
            let sets: Vec<String> = non_key
                .iter()
                .map(|&i| {
                    let name = quote_ident(&self.table.columns[i].name);
                    format!("{name} = VALUES({name})")
                })
                .collect();
            let tail = format!(" ON DUPLICATE KEY UPDATE {}", sets.join(", "));
            return self.insert(rows, &tail, max);
        }
        rows.iter()
            .map(|row| {
                let sets: Vec<String> = non_key
                    .iter()
                    .map(|&i| {
                        format!(
                            "{} = {}",
                            quote_ident(&self.table.columns[i].name),
                            self.literal(i, &row[i])
                        )
                    })
                    .collect();
                format!(
                    "UPDATE {} SET {} WHERE {}",
                    self.table_name(),
                    sets.join(", "),
                    self.row_condition(row)
                )
            })
            .collect()
    }

    /// The condition that finds a row's target copy: by key, or, without
    /// one, by every column. Matches compare exact bytes unless a unique
    /// index guarantees a single match (then the index can be used as is).
    fn row_condition(&self, row: &Row) -> String {
        let exact = !matches!(
            self.table.key_source,
            KeySource::PrimaryKey | KeySource::UniqueIndex(_)
        );
        let positions: Vec<usize> = if self.table.key.is_empty() {
            (0..self.table.columns.len()).collect()
        } else {
            self.table.key.clone()
        };
        let terms: Vec<String> = positions
            .iter()
            .map(|&i| {
                let column = &self.table.columns[i];
                let value = &row[i];
                if exact {
                    exact_match(self.flavor, column, value)
                } else if *value == Value::Null {
                    format!("{} IS NULL", quote_ident(&column.name))
                } else {
                    format!("{} = {}", quote_ident(&column.name), self.literal(i, value))
                }
            })
            .collect();
        terms.join(" AND ")
    }

    /// Deletes by key in `IN` lists when the key is unique and has no NULL,
    /// else row by row (one copy of each row without a key).
    fn delete(&self, rows: &[Row], max: usize) -> Vec<String> {
        let unique_key = matches!(
            self.table.key_source,
            KeySource::PrimaryKey | KeySource::UniqueIndex(_)
        );
        let (listed, single): (Vec<&Row>, Vec<&Row>) = rows
            .iter()
            .partition(|row| unique_key && self.table.key.iter().all(|&i| row[i] != Value::Null));
        let mut out = Vec::new();
        if !listed.is_empty() {
            let key = &self.table.key;
            let names: Vec<String> = key
                .iter()
                .map(|&i| quote_ident(&self.table.columns[i].name))
                .collect();
            let items = listed.iter().map(|row| {
                let values: Vec<String> = key.iter().map(|&i| self.literal(i, &row[i])).collect();
                if key.len() == 1 {
                    values.join("")
                } else {
                    format!("({})", values.join(", "))
                }
            });
            let target = if key.len() == 1 {
                names.join("")
            } else {
                format!("({})", names.join(", "))
            };
            let head = format!("DELETE FROM {} WHERE {target} IN (", self.table_name());
            out.extend(batch(&head, items, ")", max));
        }
        let limit = if self.table.key.is_empty() {
            " LIMIT 1"
        } else {
            ""
        };
        out.extend(single.into_iter().map(|row| {
            format!(
                "DELETE FROM {} WHERE {}{limit}",
                self.table_name(),
                self.row_condition(row)
            )
        }));
        out
    }
}

/// Joins `items` after `head` with `, ` and closes with `tail`, starting a
/// new statement whenever the next item would pass `max` bytes.
pub(crate) fn batch(
    head: &str,
    items: impl Iterator<Item = String>,
    tail: &str,
    max: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for item in items {
        if !current.is_empty() && current.len() + 2 + item.len() + tail.len() > max {
            current.push_str(tail);
            out.push(std::mem::take(&mut current));
        }
        if current.is_empty() {
            current.push_str(head);
        } else {
            current.push_str(", ");
        }
        current.push_str(&item);
    }
    if !current.is_empty() {
        current.push_str(tail);
        out.push(current);
    }
    out
}

/// A condition true for exactly the stored value: character data compared
/// as bytes (a collation would match `'a'` to `'A'` or `'a '`), beside a
/// plain comparison an index can serve.
fn exact_match(flavor: &Flavor, column: &DataColumn, value: &Value) -> String {
    let name = quote_ident(&column.name);
    let plain = || format!("{name} = {}", literal(flavor, column, value));
    match (value, byte_form(column)) {
        (Value::Null, _) => format!("{name} IS NULL"),
        (Value::Text(b) | Value::Bytes(b), Some(bytes)) => {
            let bytes = format!("{bytes} = {}", hex(b));
            match column.sql_type {
                // JSON compares as JSON and geometry as shapes: bytes only.
                SqlType::Json | SqlType::Spatial { .. } => bytes,
                _ => format!("{} AND {bytes}", plain()),
            }
        }
        _ => plain(),
    }
}

/// The SQL literal of a value written to `column`.
pub fn literal(flavor: &Flavor, column: &DataColumn, value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_string(),
        Value::Int(v) => v.to_string(),
        Value::UInt(v) => v.to_string(),
        Value::Float(v) => float_literal(f64::from(*v)),
        Value::Double(v) => float_literal(*v),
        Value::Decimal(d) if is_decimal(d) => d.clone(),
        // Not a number: the server parses it (and refuses it if it must).
        Value::Decimal(d) => format!("CONVERT({} USING ascii)", hex(d.as_bytes())),
        Value::Text(b) => text_literal(flavor, &column.sql_type, b),
        // BIT compares with a binary string as a number gone wrong: bits
        // go as the unsigned integer they spell.
        Value::Bytes(b) if matches!(column.sql_type, SqlType::Bit { .. }) && b.len() <= 8 => b
            .iter()
            .fold(0u64, |n, &byte| (n << 8) | u64::from(byte))
            .to_string(),
        Value::Bytes(b) => hex(b),
        Value::DateTime {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            micros: 0,
        } if column.sql_type == SqlType::Date => format!("'{year:04}-{month:02}-{day:02}'"),
        Value::DateTime { .. } | Value::Time { .. } => {
            format!("'{}'", value.temporal_text().unwrap_or_default())
        }
    }
}

/// A hex literal holds the bytes as a binary string, which the server
/// stores unchanged in a column of any charset. MySQL's JSON refuses binary
/// strings and types such as UUID or INET6 read 16 binary bytes as their
/// packed form: those get the text as utf8mb4.
fn text_literal(flavor: &Flavor, sql_type: &SqlType, bytes: &[u8]) -> String {
    if needs_text_charset(flavor, sql_type) {
        format!("CONVERT({} USING utf8mb4)", hex(bytes))
    } else {
        hex(bytes)
    }
}

/// Whether the column must get its bytes as utf8mb4 text rather than as a
/// binary string (see `text_literal`).
fn needs_text_charset(flavor: &Flavor, sql_type: &SqlType) -> bool {
    match sql_type {
        SqlType::Json => matches!(flavor, Flavor::MySql { .. }),
        SqlType::Uuid | SqlType::Other { .. } => true,
        _ => false,
    }
}

/// A bulk copy as `LOAD DATA LOCAL INFILE`: the statement, reading a file
/// of `load_data_rows` (tab-separated, backslash escapes, `\N` for NULL,
/// read as binary so every byte lands as it is). Values go exactly as in
/// `literal`: columns the server would read otherwise (BIT, text-typed
/// JSON/UUID) pass through a variable and a `SET`.
pub fn load_data_sql(flavor: &Flavor, table: &TableData) -> String {
    let mut targets = Vec::with_capacity(table.columns.len());
    let mut sets = Vec::new();
    for (i, column) in table.columns.iter().enumerate() {
        let name = quote_ident(&column.name);
        let variable = format!("@v{i}");
        if matches!(column.sql_type, SqlType::Bit { .. }) {
            sets.push(format!("{name} = CAST({variable} AS UNSIGNED)"));
            targets.push(variable);
        } else if needs_text_charset(flavor, &column.sql_type) {
            sets.push(format!("{name} = CONVERT({variable} USING utf8mb4)"));
            targets.push(variable);
        } else {
            targets.push(name);
        }
    }
    let mut sql = format!(
        "LOAD DATA LOCAL INFILE 'lockstep-rows' INTO TABLE {} CHARACTER SET binary \
         FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({})",
        quote_ident(&table.name),
        targets.join(", ")
    );
    if !sets.is_empty() {
        sql.push_str(" SET ");
        sql.push_str(&sets.join(", "));
    }
    sql
}

/// Rows as lines of the file `load_data_sql` reads, appended to `file`.
pub fn load_data_rows(file: &mut Vec<u8>, columns: &[DataColumn], rows: &[Row]) {
    for row in rows {
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                file.push(b'\t');
            }
            tsv_field(file, &columns[i], value);
        }
        file.push(b'\n');
    }
}

/// One value as a `LOAD DATA` field.
fn tsv_field(out: &mut Vec<u8>, column: &DataColumn, value: &Value) {
    let text = match value {
        Value::Null => {
            out.extend_from_slice(b"\\N");
            return;
        }
        // A YEAR read from text takes "0" for 2000 and "1" for 2001: four digits.
        Value::Int(v) if column.sql_type == SqlType::Year => format!("{v:04}"),
        Value::Int(v) => v.to_string(),
        Value::UInt(v) => v.to_string(),
        Value::Float(v) => format!("{:e}", f64::from(*v)),
        Value::Double(v) => format!("{v:e}"),
        Value::Decimal(d) => d.clone(),
        Value::Bytes(b) if matches!(column.sql_type, SqlType::Bit { .. }) && b.len() <= 8 => b
            .iter()
            .fold(0u64, |n, &byte| (n << 8) | u64::from(byte))
            .to_string(),
        Value::Text(b) | Value::Bytes(b) => {
            for &byte in b {
                match byte {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    0 => out.extend_from_slice(b"\\0"),
                    _ => out.push(byte),
                }
            }
            return;
        }
        Value::DateTime { .. } | Value::Time { .. } => value.temporal_text().unwrap_or_default(),
    };
    out.extend_from_slice(text.as_bytes());
}

/// The bytes that go to the server for a statement `render` wrote: each
/// hex literal `X'…'` as `_binary'…'` holding the bytes themselves where
/// that is shorter (a backslash and a quote are escaped, every other byte,
/// NUL included, goes as it is), the rest of the text unchanged. Quoted
/// strings and identifiers are skipped whole, so only literals change.
///
/// The escapes mean what they say only while backslashes escape: the data
/// session's `sql_mode` (`DATA_SESSION_SETTINGS`) leaves out
/// NO_BACKSLASH_ESCAPES. A `_binary` string is a binary string like a hex
/// literal, so the server stores and compares it the same way; a multibyte
/// client charset cannot misread it, as utf8mb4 (the session's) never has
/// a backslash or a quote inside a character.
pub(super) fn wire_form(sql: &str) -> Vec<u8> {
    let bytes = sql.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' | b'`' => i = skip_quoted(sql, i).unwrap_or(bytes.len()),
            b'X' if bytes.get(i + 1) == Some(&b'\'') && (i == 0 || !is_word_byte(bytes[i - 1])) => {
                let Some(len) = bytes[i + 2..].iter().position(|&b| b == b'\'') else {
                    break;
                };
                let digits = &bytes[i + 2..i + 2 + len];
                let end = i + 2 + len + 1;
                if let Some(escapes) = escapes_in_hex(digits) {
                    if len / 2 + escapes + "_binary''".len() < end - i {
                        out.extend_from_slice(&bytes[copied..i]);
                        out.extend_from_slice(b"_binary'");
                        push_escaped_unhex(&mut out, digits);
                        out.push(b'\'');
                        copied = end;
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    out.extend_from_slice(&bytes[copied..]);
    out
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The value of one hex digit.
fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// How many bytes of the hex `digits` need a backslash in a quoted string
/// (backslashes and quotes); `None` if they are not whole bytes of hex.
fn escapes_in_hex(digits: &[u8]) -> Option<usize> {
    let pairs = digits.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    let mut escapes = 0;
    for pair in pairs {
        let byte = hex_digit(pair[0])? << 4 | hex_digit(pair[1])?;
        escapes += usize::from(byte == b'\\' || byte == b'\'');
    }
    Some(escapes)
}

/// The bytes of hex `digits` (checked by `escapes_in_hex`), a backslash
/// before each backslash and quote.
fn push_escaped_unhex(out: &mut Vec<u8>, digits: &[u8]) {
    for pair in digits.chunks_exact(2) {
        let high = hex_digit(pair[0]).unwrap_or(0);
        let byte = high << 4 | hex_digit(pair[1]).unwrap_or(0);
        if byte == b'\\' || byte == b'\'' {
            out.push(b'\\');
        }
        out.push(byte);
    }
}

/// `X'...'`, upper-case hex.
pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(bytes.len() * 2 + 3);
    out.extend_from_slice(b"X'");
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0xF)]);
    }
    out.push(b'\'');
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// The shortest decimal that reads back to exactly `v` (an `e` exponent
/// makes it a DOUBLE literal, not a DECIMAL). An f32 widened to f64 is the
/// same number, so FLOAT columns get their exact value back. Infinities and
/// NaN, which MySQL cannot store, go as strings the server refuses.
fn float_literal(v: f64) -> String {
    if v.is_finite() {
        format!("{v:e}")
    } else {
        format!("'{v}'")
    }
}

/// `-12.50`, `3`, `.5`: digits with an optional sign and point.
fn is_decimal(d: &str) -> bool {
    let digits = d.strip_prefix(['-', '+']).unwrap_or(d);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// Classifies a refused write: 1451/1452 foreign key (naming the
/// constraint), 1062/1586 duplicate (naming the index), access denied.
pub(super) fn write_error(flavor: &Flavor, error: &mysql_async::Error) -> WriteError {
    let mysql_async::Error::Server(server) = error else {
        return WriteError {
            kind: match super::transient::is_transient(error) {
                true => WriteErrorKind::Transient,
                false => WriteErrorKind::Other,
            },
            message: error.to_string(),
        };
    };
    let message = &server.message;
    let kind = match server.code {
        1451 | 1452 => WriteErrorKind::ForeignKey {
            constraint: message
                .find("CONSTRAINT `")
                .and_then(|at| super::lexer::read_ident(&message[at + "CONSTRAINT ".len()..]))
                .map(|(name, _)| name),
        },
        1062 | 1586 => WriteErrorKind::Duplicate {
            index: duplicate_index(flavor, message),
        },
        // Access denied to the table, a column, the database, for an
        // operation; a read-only server or transaction.
        1142 | 1143 | 1044 | 1227 | 1290 | 1792 => WriteErrorKind::Denied,
        _ if super::transient::is_transient(error) => WriteErrorKind::Transient,
        _ => WriteErrorKind::Other,
    };
    WriteError {
        kind,
        message: format!("ERROR {}: {message}", server.code),
    }
}

/// The index of "Duplicate entry '...' for key 'name'"; MySQL 8 writes
/// `table.name`.
fn duplicate_index(flavor: &Flavor, message: &str) -> Option<String> {
    const MARK: &str = "for key '";
    let at = message.rfind(MARK)?;
    let name = message[at + MARK.len()..].strip_suffix('\'')?;
    let name = match flavor {
        Flavor::MySql { .. } => name.split_once('.').map_or(name, |(_, index)| index),
        _ => name,
    };
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_back_exactly() {
        for x in [
            1234567.0f32,
            0.1,
            3.402_823_5e38,
            1.175_494_4e-38,
            1e-45,
            -0.0,
            f32::MIN_POSITIVE / 3.0,
        ] {
            let text = float_literal(f64::from(x));
            let back: f64 = text.parse().unwrap();
            assert_eq!((back as f32).to_bits(), x.to_bits(), "{text}");
        }
        for x in [0.1f64, 1e308, 5e-324, -0.0, f64::MAX] {
            let text = float_literal(x);
            assert_eq!(text.parse::<f64>().unwrap().to_bits(), x.to_bits());
            assert!(text.contains('e'), "{text} must be a DOUBLE literal");
        }
    }

    #[test]
    fn decimals_are_checked() {
        assert!(is_decimal("-12.50"));
        assert!(is_decimal("3"));
        assert!(!is_decimal("1; DROP TABLE t"));
        assert!(!is_decimal("-"));
        assert!(!is_decimal("1e5"));
    }

    #[test]
    fn batches_respect_the_limit() {
        let items = (0..10).map(|i| format!("({i})"));
        let out = batch("INSERT INTO t VALUES ", items, ";", 30);
        assert!(out.len() > 1);
        assert!(out.iter().all(|s| s.len() <= 30), "{out:?}");
        let joined: usize = out.iter().map(|s| s.matches('(').count()).sum();
        assert_eq!(joined, 10);
    }

    #[test]
    fn the_wire_form_sends_bytes_as_they_are() {
        let sql = format!(
            "INSERT INTO `a X'41' b` (`c`) VALUES ({}, X'41', 'X''4142434445464748', \
             CONVERT({} USING utf8mb4), X'')",
            hex(b"it's a \\ \0 \xff byte"),
            hex("é😀 long enough".as_bytes())
        );
        let mut expected =
            b"INSERT INTO `a X'41' b` (`c`) VALUES (_binary'it\\'s a \\\\ \0 \xff byte', \
            X'41', 'X''4142434445464748', CONVERT(_binary'"
                .to_vec();
        expected.extend_from_slice("é😀 long enough' USING utf8mb4), X'')".as_bytes());
        assert_eq!(wire_form(&sql), expected);
        // Quotes only are no shorter escaped: they stay hex.
        let quotes = hex(b"''''''''''");
        assert_eq!(wire_form(&quotes), quotes.as_bytes());
    }

    #[test]
    fn duplicate_index_names() {
        let maria = Flavor::MariaDb {
            version: String::new(),
        };
        let mysql = Flavor::MySql {
            version: String::new(),
        };
        let m = "Duplicate entry 'x' for key 'u_email'";
        assert_eq!(duplicate_index(&maria, m).as_deref(), Some("u_email"));
        let m = "Duplicate entry 'x' for key 't.u_email'";
        assert_eq!(duplicate_index(&mysql, m).as_deref(), Some("u_email"));
    }
}
