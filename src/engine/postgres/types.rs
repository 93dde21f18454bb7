//! PostgreSQL's types in lockstep's terms: the neutral [`SqlType`] of a
//! column's declared type, and the [`Kind`] that decides how its values
//! are read, ordered, compared and written.
//!
//! Integers, floats, booleans and bytea travel in the binary protocol as
//! their exact bits; text types as their stored bytes; numeric as its
//! exact digits; every other type (dates and times, uuid, json, arrays,
//! enums, domains, ranges ...) as its canonical text under the session
//! settings of `connect`, which reads back as the same value.

use crate::catalog::model::SqlType;
use crate::data::table::DataColumn;

/// How a column's values are carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// smallint, integer, bigint: `Value::Int`.
    Int,
    /// boolean: `Value::Int` 0 or 1.
    Bool,
    /// real: `Value::Float`, bit for bit.
    Float,
    /// double precision: `Value::Double`, bit for bit.
    Double,
    /// numeric: `Value::Decimal`, its digits as the server prints them.
    Decimal,
    /// bytea: `Value::Bytes`.
    Bytes,
    /// text, character varying, character, name: `Value::Text`, the
    /// stored bytes, ordered and compared by bytes (`COLLATE "C"`).
    Text,
    /// Everything else: `Value::Text` of the value's text form, ordered
    /// and compared by that text's bytes.
    Rendered,
}

impl Kind {
    /// The kind of a column of the type `format_type()` spells `data_type`.
    pub fn of_type(data_type: &str) -> Kind {
        match data_type {
            "smallint" | "integer" | "bigint" => Kind::Int,
            "boolean" => Kind::Bool,
            "real" => Kind::Float,
            "double precision" => Kind::Double,
            "bytea" => Kind::Bytes,
            "text" | "name" | "character varying" | "character" => Kind::Text,
            t if t.starts_with("numeric") && !t.ends_with(']') => Kind::Decimal,
            t if (t.starts_with("character varying(") || t.starts_with("character("))
                && !t.ends_with(']') =>
            {
                Kind::Text
            }
            _ => Kind::Rendered,
        }
    }

    pub fn of(column: &DataColumn) -> Kind {
        Kind::of_type(&column.data_type)
    }
}

/// The neutral reading of a type as `format_type()` spells it.
pub fn sql_type(data_type: &str) -> SqlType {
    let (base, args) = match data_type.split_once('(') {
        Some((base, rest)) if !data_type.ends_with(']') => {
            let inner = rest.split_once(')').map_or(rest, |(inner, _)| inner);
            let args: Vec<u32> = inner
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect();
            (base.trim(), args)
        }
        _ => (data_type, Vec::new()),
    };
    let after_paren = data_type
        .split_once(')')
        .map_or("", |(_, rest)| rest.trim());
    let with_zone = data_type.ends_with("with time zone");
    let fsp = |default: u8| args.first().map_or(default, |&p| p as u8);
    match base {
        "smallint" => SqlType::Integer {
            bytes: 2,
            unsigned: false,
        },
        "integer" => SqlType::Integer {
            bytes: 4,
            unsigned: false,
        },
        "bigint" => SqlType::Integer {
            bytes: 8,
            unsigned: false,
        },
        "real" => SqlType::Float {
            double: false,
            unsigned: false,
        },
        "double precision" => SqlType::Float {
            double: true,
            unsigned: false,
        },
        "numeric" if args.len() == 2 => SqlType::Decimal {
            precision: args[0],
            scale: args[1],
            unsigned: false,
        },
        "numeric" if args.len() == 1 => SqlType::Decimal {
            precision: args[0],
            scale: 0,
            unsigned: false,
        },
        "boolean" => SqlType::Boolean,
        "bytea" => SqlType::Blob { max_bytes: 1 << 30 },
        "text" => SqlType::Text { max_bytes: 1 << 30 },
        "character varying" if args.len() == 1 => SqlType::Char {
            length: args[0],
            varying: true,
        },
        "character varying" => SqlType::Text { max_bytes: 1 << 30 },
        "character" => SqlType::Char {
            length: args.first().copied().unwrap_or(1),
            varying: false,
        },
        "bit" if args.len() == 1 => SqlType::Bit { width: args[0] },
        "date" => SqlType::Date,
        "json" | "jsonb" => SqlType::Json,
        "uuid" => SqlType::Uuid,
        "timestamp" | "timestamp without time zone" | "timestamp with time zone"
            if after_paren.is_empty() || after_paren.starts_with("with") =>
        {
            if with_zone {
                SqlType::Timestamp { fsp: fsp(6) }
            } else {
                SqlType::DateTime { fsp: fsp(6) }
            }
        }
        "time" | "time without time zone" if !with_zone => SqlType::Time { fsp: fsp(6) },
        _ => SqlType::Other {
            name: data_type.to_string(),
        },
    }
}

/// The one way an identifier is quoted: `"name"`, inner quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A string literal (`standard_conforming_strings` is on in every
/// session and script: a backslash is itself). PostgreSQL text holds no
/// NUL byte, so every text value has one.
pub fn quote_text(bytes: &[u8]) -> String {
    format!("'{}'", String::from_utf8_lossy(bytes).replace('\'', "''"))
}

/// `'\x0a1b'::bytea`.
pub fn bytea_literal(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2 + 12);
    out.push_str("'\\x");
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out.push_str("'::bytea");
    out
}

/// A float's text that `float4in`/`float8in` read back as exactly its
/// bits: Rust's shortest round-trip digits, PostgreSQL's names for the
/// special values, and the sign of -0.
pub fn float_text(v: f64, single: bool) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if single {
        format!("{:e}", v as f32)
    } else {
        format!("{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_declared_type() {
        assert_eq!(Kind::of_type("integer"), Kind::Int);
        assert_eq!(Kind::of_type("integer[]"), Kind::Rendered);
        assert_eq!(Kind::of_type("numeric(10,2)"), Kind::Decimal);
        assert_eq!(Kind::of_type("numeric(10,2)[]"), Kind::Rendered);
        assert_eq!(Kind::of_type("character varying(20)"), Kind::Text);
        assert_eq!(Kind::of_type("character(3)"), Kind::Text);
        assert_eq!(
            Kind::of_type("timestamp(3) without time zone"),
            Kind::Rendered
        );
        assert_eq!(Kind::of_type("\"Mood\""), Kind::Rendered);
    }

    #[test]
    fn types_read_into_the_neutral_model() {
        assert_eq!(
            sql_type("numeric(10,2)"),
            SqlType::Decimal {
                precision: 10,
                scale: 2,
                unsigned: false
            }
        );
        assert_eq!(
            sql_type("timestamp(3) with time zone"),
            SqlType::Timestamp { fsp: 3 }
        );
        assert_eq!(
            sql_type("timestamp without time zone"),
            SqlType::DateTime { fsp: 6 }
        );
        assert_eq!(
            sql_type("character varying(20)[]"),
            SqlType::Other {
                name: "character varying(20)[]".into()
            }
        );
    }

    #[test]
    fn floats_keep_their_bits_as_text() {
        for v in [0.1, -0.0, 5e-324, f64::MAX, f64::MIN_POSITIVE, 1e308] {
            assert_eq!(
                float_text(v, false).parse::<f64>().unwrap().to_bits(),
                v.to_bits()
            );
        }
        assert_eq!(float_text(-0.0, false), "-0e0");
        assert_eq!(float_text(f64::NEG_INFINITY, false), "-Infinity");
    }
}
