//! A small lexer for the SQL text MySQL/MariaDB print (`SHOW CREATE TABLE`,
//! `SHOW CREATE VIEW`, `COLUMN_TYPE`): it knows quoted strings (with doubled
//! quotes and backslash escapes), backquoted identifiers, balanced
//! parentheses and `/* ... */` comments, so names, defaults, comments and
//! expressions containing commas, quotes or parentheses never confuse it.

/// Byte index just past the quoted token that starts at `start` (which holds
/// the opening quote). Backquoted identifiers escape by doubling only;
/// strings also by backslash. `None` when the quote is never closed.
pub(super) fn skip_quoted(s: &str, start: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' && quote != b'`' {
            i += 2;
        } else if b == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return Some(i + 1);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// Byte index just past the `/* ... */` comment that starts at `start`.
fn skip_comment(s: &str, start: usize) -> Option<usize> {
    s[start + 2..].find("*/").map(|p| start + 2 + p + 2)
}

/// Byte index just past the parenthesised group that starts at `start`
/// (which holds `(`), skipping quotes inside it.
pub fn skip_parens(s: &str, start: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' | b'`' => i = skip_quoted(s, i)?,
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// One whitespace-separated token and its byte span in the source text. A
/// token runs until whitespace outside quotes, parentheses and comments, so
/// `current_timestamp(3)`, `'a b'`, `COMMENT='x y'` and `(a + b)` are one
/// token each.
#[derive(Debug, Clone, Copy)]
pub struct Token<'a> {
    pub text: &'a str,
    pub start: usize,
}

impl Token<'_> {
    /// Case-insensitive keyword comparison.
    pub fn is(&self, keyword: &str) -> bool {
        self.text.eq_ignore_ascii_case(keyword)
    }
}

/// Splits `s` into tokens (see [`Token`]). Unclosed quotes or parentheses
/// make the rest of the text one token.
pub fn tokens(s: &str) -> Vec<Token<'_>> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i = match bytes[i] {
                b'\'' | b'"' | b'`' => skip_quoted(s, i),
                b'(' => skip_parens(s, i),
                b'/' if bytes.get(i + 1) == Some(&b'*') => skip_comment(s, i),
                _ => Some(i + 1),
            }
            .unwrap_or(bytes.len());
        }
        out.push(Token {
            text: &s[start..i],
            start,
        });
    }
    out
}

/// Splits `s` at commas outside quotes and parentheses; parts are trimmed.
pub fn split_commas(s: &str) -> Vec<&str> {
    let bytes = s.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' | b'`' => i = skip_quoted(s, i).unwrap_or(bytes.len()),
            b'(' => i = skip_parens(s, i).unwrap_or(bytes.len()),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = skip_comment(s, i).unwrap_or(bytes.len())
            }
            b',' => {
                parts.push(s[start..i].trim());
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    let last = s[start..].trim();
    if !last.is_empty() || !parts.is_empty() {
        parts.push(last);
    }
    parts
}

/// Reads a backquoted identifier at the start of `s` (after leading
/// whitespace): its unescaped name and the text after it.
pub fn read_ident(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    if !s.starts_with('`') {
        return None;
    }
    let end = skip_quoted(s, 0)?;
    Some((s[1..end - 1].replace("``", "`"), &s[end..]))
}

/// The inside of a parenthesised token `(...)`, or `None` if `s` is not one.
pub fn inside_parens(s: &str) -> Option<&str> {
    let s = s.trim();
    if s.starts_with('(') && skip_parens(s, 0) == Some(s.len()) {
        Some(&s[1..s.len() - 1])
    } else {
        None
    }
}

/// The value of a quoted string token (`'it''s'` -> `it's`), undoing
/// doubled quotes and backslash escapes; `None` if `s` is not one string.
pub fn unquote_string(s: &str) -> Option<String> {
    let quote = *s.as_bytes().first()?;
    if !(quote == b'\'' || quote == b'"') || skip_quoted(s, 0) != Some(s.len()) {
        return None;
    }
    let inner = &s[1..s.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('0') => out.push('\0'),
                Some('Z') => out.push('\u{1a}'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else if c == quote as char {
            // A doubled quote: keep one.
            chars.next();
            out.push(c);
        } else {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_groups_together() {
        let t: Vec<&str> = tokens("varchar(20) DEFAULT 'a''b, c)' COMMENT='x y' CHECK (`a` > ')')")
            .iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(
            t,
            [
                "varchar(20)",
                "DEFAULT",
                "'a''b, c)'",
                "COMMENT='x y'",
                "CHECK",
                "(`a` > ')')"
            ]
        );
    }

    #[test]
    fn splits_and_unquotes() {
        assert_eq!(
            split_commas("`a,b` int, 'x,y', f(1,2)"),
            ["`a,b` int", "'x,y'", "f(1,2)"]
        );
        assert_eq!(read_ident("`we``ird` x").unwrap(), ("we`ird".into(), " x"));
        assert_eq!(unquote_string(r"'it''s \\ ok'").unwrap(), r"it's \ ok");
        assert_eq!(inside_parens("(a (b))"), Some("a (b)"));
        assert_eq!(inside_parens("(a) (b)"), None);
    }
}
