//! Reads a MySQL/MariaDB column type (`information_schema.COLUMNS.COLUMN_TYPE`,
//! e.g. `bigint(20) unsigned`, `decimal(65,30)`, `enum('a','b')`) into the
//! neutral [`SqlType`].

use super::lexer::{split_commas, unquote_string};
use crate::catalog::model::SqlType;

/// The neutral type of a MySQL column type text (any case).
pub fn parse(column_type: &str) -> SqlType {
    let text = column_type.trim().to_ascii_lowercase();
    let name_end = text
        .find(|c: char| c == '(' || c.is_whitespace())
        .unwrap_or(text.len());
    let name = &text[..name_end];
    let rest = &text[name_end..];
    let args: Vec<&str> = match rest.strip_prefix('(') {
        Some(after) => {
            let close = super::lexer::skip_parens(rest, 0).unwrap_or(rest.len());
            split_commas(&after[..close.saturating_sub(2)])
        }
        None => Vec::new(),
    };
    let unsigned = rest.split_whitespace().any(|w| w == "unsigned");
    let num = |i: usize| args.get(i).and_then(|a| a.parse::<u32>().ok());
    let fsp = || num(0).and_then(|n| u8::try_from(n).ok()).unwrap_or(0);
    let integer = |bytes| SqlType::Integer { bytes, unsigned };
    match name {
        "tinyint" | "bool" | "boolean" => integer(1),
        "smallint" => integer(2),
        "mediumint" => integer(3),
        "int" | "integer" => integer(4),
        "bigint" => integer(8),
        "decimal" | "numeric" | "dec" | "fixed" => SqlType::Decimal {
            precision: num(0).unwrap_or(10),
            scale: num(1).unwrap_or(0),
            unsigned,
        },
        "float" => SqlType::Float {
            double: false,
            unsigned,
        },
        "double" | "real" => SqlType::Float {
            double: true,
            unsigned,
        },
        "bit" => SqlType::Bit {
            width: num(0).unwrap_or(1),
        },
        "char" | "varchar" => SqlType::Char {
            length: num(0).unwrap_or(1),
            varying: name == "varchar",
        },
        "tinytext" => SqlType::Text { max_bytes: 255 },
        "text" => SqlType::Text { max_bytes: 65_535 },
        "mediumtext" => SqlType::Text {
            max_bytes: 16_777_215,
        },
        "longtext" => SqlType::Text {
            max_bytes: 4_294_967_295,
        },
        "binary" | "varbinary" => SqlType::Binary {
            length: num(0).unwrap_or(1),
            varying: name == "varbinary",
        },
        "tinyblob" => SqlType::Blob { max_bytes: 255 },
        "blob" => SqlType::Blob { max_bytes: 65_535 },
        "mediumblob" => SqlType::Blob {
            max_bytes: 16_777_215,
        },
        "longblob" => SqlType::Blob {
            max_bytes: 4_294_967_295,
        },
        "date" => SqlType::Date,
        "time" => SqlType::Time { fsp: fsp() },
        "datetime" => SqlType::DateTime { fsp: fsp() },
        "timestamp" => SqlType::Timestamp { fsp: fsp() },
        "year" => SqlType::Year,
        "enum" | "set" => {
            // Values keep their case: read them from the original text.
            let original = &column_type.trim()[name_end..];
            let values = original
                .strip_prefix('(')
                .and_then(|a| a.strip_suffix(')'))
                .map(|inner| {
                    split_commas(inner)
                        .into_iter()
                        .map(|v| unquote_string(v).unwrap_or_else(|| v.to_string()))
                        .collect()
                })
                .unwrap_or_default();
            if name == "enum" {
                SqlType::Enum { values }
            } else {
                SqlType::Set { values }
            }
        }
        "json" => SqlType::Json,
        "uuid" => SqlType::Uuid,
        "geometry" | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
        | "multipolygon" | "geometrycollection" | "geomcollection" => SqlType::Spatial {
            kind: name.to_string(),
        },
        _ => SqlType::Other { name: text },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_common_types() {
        assert_eq!(
            parse("bigint(20) unsigned"),
            SqlType::Integer {
                bytes: 8,
                unsigned: true
            }
        );
        assert_eq!(
            parse("decimal(65,30)"),
            SqlType::Decimal {
                precision: 65,
                scale: 30,
                unsigned: false
            }
        );
        assert_eq!(parse("datetime(3)"), SqlType::DateTime { fsp: 3 });
        assert_eq!(
            parse("enum('A','b''c,d')"),
            SqlType::Enum {
                values: vec!["A".into(), "b'c,d".into()]
            }
        );
        assert_eq!(
            parse("inet6"),
            SqlType::Other {
                name: "inet6".into()
            }
        );
    }
}
