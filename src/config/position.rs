//! Where a setting came from: a place in a config file (1-based line and
//! column) or the command line. Also turns TOML parse errors into
//! `Error::Config` without echoing secrets.

use std::fmt;
use std::ops::Range;

use crate::error::Error;
use crate::url::mask_password;

/// A place in a config file, 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl Origin {
    /// A configuration error at this place.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::Config {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A value with the place it was written; `origin` is `None` when it came
/// from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub origin: Option<Origin>,
}

impl<T> Located<T> {
    /// A value given on the command line.
    pub fn cli(value: T) -> Self {
        Located {
            value,
            origin: None,
        }
    }

    /// An error about this value: at its place in the config file, or a
    /// usage error when it came from the command line.
    pub fn error(&self, message: String) -> Error {
        match &self.origin {
            Some(origin) => origin.error(message),
            None => Error::Usage(message),
        }
    }
}

/// The text of one config file, to map byte offsets to places.
pub(crate) struct Source<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    /// The place of a byte offset (clamped to the text).
    pub fn origin(&self, offset: usize) -> Origin {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Origin {
            file: self.file.to_string(),
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }

    /// A TOML syntax or type error as `Error::Config`, prefixed with the key
    /// whose value is wrong when there is one. The line itself is not echoed,
    /// and a value written for a `password` key is hidden from the message,
    /// as is any password inside a URL.
    pub fn parse_error(&self, err: &toml::de::Error) -> Error {
        let span = err.span().unwrap_or(0..0);
        let mut message = mask_password(err.message());
        if let Some(key) = self.key_of_value(&span) {
            if key == "password" {
                if let Some(secret) = self.value_text(&span) {
                    message = message.replace(secret, "***");
                }
            }
            if key == "tables" && message.contains("expected a map") {
                message.push_str(
                    "; the list of tables to sync goes in [sync] as tables = [...], \
                     while top-level [tables.<name>] tables hold per-table settings",
                );
            }
            message = format!("`{key}`: {message}");
        }
        self.origin(span.start).error(message)
    }

    /// The key written just before `span` on its line (`key = <span>`, also
    /// inside an inline table or after a dotted key).
    fn key_of_value(&self, span: &Range<usize>) -> Option<&str> {
        let before = self.text.get(..span.start)?;
        let line_before = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
        let key = line_before.trim_end().strip_suffix('=')?.trim_end();
        let key = key
            .rsplit(|c: char| c == '{' || c == ',' || c == '.' || c.is_whitespace())
            .next()?
            .trim_matches(|c| c == '"' || c == '\'');
        (!key.is_empty()).then_some(key)
    }

    /// The text of `span` without quotes, if not empty.
    fn value_text(&self, span: &Range<usize>) -> Option<&str> {
        let raw = self.text.get(span.clone())?;
        let value = raw.trim().trim_matches(|c| c == '"' || c == '\'');
        (!value.is_empty()).then_some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_one_based_and_count_characters() {
        let src = Source {
            file: "f.toml",
            text: "a = 1\nbé = 2\n",
        };
        assert_eq!(src.origin(0).to_string(), "f.toml:1:1");
        assert_eq!(src.origin(6).to_string(), "f.toml:2:1");
        // after "bé " (4 bytes, 3 characters)
        assert_eq!(src.origin(10).to_string(), "f.toml:2:4");
        assert_eq!(src.origin(999).line, 3);
    }
}
