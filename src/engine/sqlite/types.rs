//! The neutral reading of a SQLite declared type: common type names first
//! (`VARCHAR(n)`, `DECIMAL(p,s)`, `DATETIME`, `BOOLEAN` ...), then SQLite's
//! own affinity rules for anything else.

use crate::catalog::model::SqlType;

/// SQLite's default maximum length of a string or blob (`SQLITE_MAX_LENGTH`).
const MAX_LENGTH: u64 = 1_000_000_000;

/// Reads a declared type in the canonical lower-case form of
/// [`super::parse::ColumnBody::data_type`].
pub fn sql_type(declared: &str) -> SqlType {
    let (base, args) = match declared.split_once('(') {
        Some((b, rest)) => (
            b.trim(),
            rest.trim_end_matches(')')
                .split(',')
                .filter_map(|a| a.trim().parse::<u32>().ok())
                .collect::<Vec<_>>(),
        ),
        None => (declared.trim(), Vec::new()),
    };
    let unsigned = base.split(' ').any(|w| w == "unsigned");
    let base_words: Vec<&str> = base.split(' ').filter(|w| *w != "unsigned").collect();
    let base = base_words.join(" ");
    let first = args.first().copied();
    let fsp = first.map_or(0, |n| u8::try_from(n).unwrap_or(u8::MAX));
    match base.as_str() {
        "tinyint" => SqlType::Integer { bytes: 1, unsigned },
        "smallint" | "int2" => SqlType::Integer { bytes: 2, unsigned },
        "mediumint" => SqlType::Integer { bytes: 3, unsigned },
        "int" | "int4" => SqlType::Integer { bytes: 4, unsigned },
        "integer" | "bigint" | "big int" | "int8" => SqlType::Integer { bytes: 8, unsigned },
        "bool" | "boolean" => SqlType::Boolean,
        "decimal" | "numeric" | "dec" if first.is_some() => SqlType::Decimal {
            precision: first.unwrap_or(10),
            scale: args.get(1).copied().unwrap_or(0),
            unsigned,
        },
        "decimal" | "dec" => SqlType::Decimal {
            precision: 10,
            scale: 0,
            unsigned,
        },
        "float" => SqlType::Float {
            double: false,
            unsigned,
        },
        "real" | "double" | "double precision" => SqlType::Float {
            double: true,
            unsigned,
        },
        "varchar" | "character varying" | "varying character" | "nvarchar" => match first {
            Some(length) => SqlType::Char {
                length,
                varying: true,
            },
            None => SqlType::Text {
                max_bytes: MAX_LENGTH,
            },
        },
        "char" | "character" | "nchar" | "native character" => SqlType::Char {
            length: first.unwrap_or(1),
            varying: false,
        },
        "tinytext" => SqlType::Text { max_bytes: 255 },
        "mediumtext" => SqlType::Text {
            max_bytes: 16_777_215,
        },
        "longtext" => SqlType::Text {
            max_bytes: 4_294_967_295,
        },
        "text" | "clob" => SqlType::Text {
            max_bytes: MAX_LENGTH,
        },
        "binary" => SqlType::Binary {
            length: first.unwrap_or(1),
            varying: false,
        },
        "varbinary" => SqlType::Binary {
            length: first.unwrap_or(u32::MAX),
            varying: true,
        },
        "tinyblob" => SqlType::Blob { max_bytes: 255 },
        "mediumblob" => SqlType::Blob {
            max_bytes: 16_777_215,
        },
        "longblob" => SqlType::Blob {
            max_bytes: 4_294_967_295,
        },
        "blob" => SqlType::Blob {
            max_bytes: MAX_LENGTH,
        },
        "date" => SqlType::Date,
        "time" => SqlType::Time { fsp },
        "datetime" => SqlType::DateTime { fsp },
        "timestamp" => SqlType::Timestamp { fsp },
        "year" => SqlType::Year,
        "json" | "jsonb" => SqlType::Json,
        "uuid" => SqlType::Uuid,
        _ => by_affinity(&base),
    }
}

/// SQLite's affinity rules (section 3.1 of "Datatypes In SQLite").
fn by_affinity(base: &str) -> SqlType {
    if base.contains("int") {
        SqlType::Integer {
            bytes: 8,
            unsigned: false,
        }
    } else if base.contains("char") || base.contains("clob") || base.contains("text") {
        SqlType::Text {
            max_bytes: MAX_LENGTH,
        }
    } else if base.contains("blob") {
        SqlType::Blob {
            max_bytes: MAX_LENGTH,
        }
    } else if base.contains("real") || base.contains("floa") || base.contains("doub") {
        SqlType::Float {
            double: true,
            unsigned: false,
        }
    } else {
        SqlType::Other {
            name: base.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names_and_affinity() {
        assert_eq!(
            sql_type("varchar(40)"),
            SqlType::Char {
                length: 40,
                varying: true
            }
        );
        assert_eq!(
            sql_type("decimal(10,2)"),
            SqlType::Decimal {
                precision: 10,
                scale: 2,
                unsigned: false
            }
        );
        assert_eq!(
            sql_type("unsigned big int"),
            SqlType::Integer {
                bytes: 8,
                unsigned: true
            }
        );
        assert_eq!(sql_type("datetime"), SqlType::DateTime { fsp: 0 });
        assert_eq!(sql_type("boolean"), SqlType::Boolean);
        assert_eq!(
            sql_type("varying text"),
            SqlType::Text {
                max_bytes: MAX_LENGTH
            }
        );
        // The documented surprise: "point" contains "int".
        assert_eq!(
            sql_type("floating point"),
            SqlType::Integer {
                bytes: 8,
                unsigned: false
            }
        );
        assert_eq!(
            sql_type("double"),
            SqlType::Float {
                double: true,
                unsigned: false
            }
        );
        assert_eq!(
            sql_type(""),
            SqlType::Other {
                name: String::new()
            }
        );
        assert_eq!(
            sql_type("numeric"),
            SqlType::Other {
                name: "numeric".into()
            }
        );
    }
}
