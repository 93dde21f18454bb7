//! A small SQLite tokenizer: enough to take stored `CREATE TABLE` and
//! `CREATE INDEX` texts apart (quoted identifiers `"x"`, `` `x` ``, `[x]`,
//! strings, numbers, comments, nested parentheses) and to put slices of them
//! back together with normalised whitespace.
//!
//! It never fails: text it does not understand becomes single-character
//! punctuation, and an unterminated quote or comment runs to the end.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A bare word: keyword or unquoted identifier.
    Word,
    /// A quoted identifier: `"x"`, `` `x` `` or `[x]`.
    Quoted,
    /// A string literal `'x'`.
    String,
    Number,
    /// Any other character (operators, parentheses, commas, dots).
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    /// Byte offset of the token in the tokenized text.
    pub start: usize,
    /// True when whitespace or a comment separates it from the previous token.
    pub space_before: bool,
}

impl Token<'_> {
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// True for the bare word `kw`, in any case.
    pub fn is_kw(&self, kw: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(kw)
    }

    pub fn is_punct(&self, p: &str) -> bool {
        self.kind == Kind::Punct && self.text == p
    }

    /// True for a token that can name something (word or quoted).
    pub fn is_name(&self) -> bool {
        matches!(self.kind, Kind::Word | Kind::Quoted | Kind::String)
    }

    /// The name a word, quoted identifier or string stands for, unquoted.
    pub fn ident(&self) -> String {
        let t = self.text;
        match self.kind {
            Kind::Quoted | Kind::String if t.len() >= 2 => {
                let open = t.as_bytes()[0];
                let inner = &t[1..t.len() - 1];
                match open {
                    b'"' => inner.replace("\"\"", "\""),
                    b'`' => inner.replace("``", "`"),
                    b'\'' => inner.replace("''", "'"),
                    _ => inner.to_string(),
                }
            }
            _ => t.to_string(),
        }
    }
}

/// Splits `sql` into tokens, dropping whitespace and comments.
pub fn tokenize(sql: &str) -> Vec<Token<'_>> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut space = false;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        let kind = match b {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => {
                i += 1;
                space = true;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n + 1);
                space = true;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
                space = true;
                continue;
            }
            b'\'' => {
                i = quoted_end(bytes, i, b'\'');
                Kind::String
            }
            b'"' | b'`' => {
                i = quoted_end(bytes, i, b);
                Kind::Quoted
            }
            b'[' => {
                i = sql[i..].find(']').map_or(bytes.len(), |n| i + n + 1);
                Kind::Quoted
            }
            b'0'..=b'9' => {
                i = number_end(bytes, i);
                Kind::Number
            }
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = number_end(bytes, i);
                Kind::Number
            }
            _ if is_word_byte(b) && !b.is_ascii_digit() => {
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                Kind::Word
            }
            _ => {
                // One character, whatever its UTF-8 length.
                i += sql[i..].chars().next().map_or(1, char::len_utf8);
                Kind::Punct
            }
        };
        tokens.push(Token {
            kind,
            text: &sql[start..i],
            start,
            space_before: space && !tokens.is_empty(),
        });
        space = false;
    }
    tokens
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// End (exclusive) of a quoted run opened at `i`, where a doubled quote
/// character stands for itself.
fn quoted_end(bytes: &[u8], mut i: usize, quote: u8) -> usize {
    i += 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

fn number_end(bytes: &[u8], start: usize) -> usize {
    let hex = bytes[start..].starts_with(b"0x") || bytes[start..].starts_with(b"0X");
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        let exponent_sign = (b == b'+' || b == b'-') && !hex && matches!(bytes[i - 1], b'e' | b'E');
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || exponent_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// The tokens joined back into text, each run of whitespace and comments
/// collapsed to one space, none at either end.
pub fn join(tokens: &[Token<'_>]) -> String {
    let mut out = String::new();
    for (n, t) in tokens.iter().enumerate() {
        if n > 0 && t.space_before {
            out.push(' ');
        }
        out.push_str(t.text);
    }
    out
}

/// `sql` with whitespace normalised the same way as [`join`].
pub fn normalize(sql: &str) -> String {
    join(&tokenize(sql))
}

/// Index of the token that closes the parenthesis opened at `open`, or the
/// last index when it is never closed.
pub fn matching_paren(tokens: &[Token<'_>], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return i;
            }
        }
    }
    tokens.len().saturating_sub(1)
}

/// Splits tokens at the commas that are not inside parentheses.
pub fn split_top_level<'t, 'a>(tokens: &'t [Token<'a>]) -> Vec<&'t [Token<'a>]> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut from = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth = depth.saturating_sub(1);
        } else if t.is_punct(",") && depth == 0 {
            parts.push(&tokens[from..i]);
            from = i + 1;
        }
    }
    if from < tokens.len() {
        parts.push(&tokens[from..]);
    }
    parts
}

/// True when one of the tokens names `name` (case-insensitively, as SQLite
/// compares identifiers).
pub fn mentions(tokens: &[Token<'_>], name: &str) -> bool {
    tokens
        .iter()
        .any(|t| t.is_name() && t.ident().eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_identifiers_strings_and_comments() {
        let sql = "CREATE TABLE [a b](\"x\"\"y\" TEXT DEFAULT 'it''s', -- c\n `z` /* k */ INT)";
        let toks = tokenize(sql);
        let texts: Vec<&str> = toks.iter().map(|t| t.text).collect();
        assert_eq!(
            texts,
            [
                "CREATE",
                "TABLE",
                "[a b]",
                "(",
                "\"x\"\"y\"",
                "TEXT",
                "DEFAULT",
                "'it''s'",
                ",",
                "`z`",
                "INT",
                ")"
            ]
        );
        assert_eq!(toks[2].ident(), "a b");
        assert_eq!(toks[4].ident(), "x\"y");
        assert_eq!(toks[7].ident(), "it's");
        assert_eq!(
            normalize(sql),
            "CREATE TABLE [a b](\"x\"\"y\" TEXT DEFAULT 'it''s', `z` INT)"
        );
    }

    #[test]
    fn numbers_and_nesting() {
        let toks = tokenize("f(1.5e-3, (a+b)) x'00'");
        assert_eq!(toks[2].text, "1.5e-3");
        assert_eq!(matching_paren(&toks, 1), 9);
        assert_eq!(split_top_level(&toks[2..9]).len(), 2);
        assert_eq!(join(&toks[10..]), "x'00'");
    }
}
