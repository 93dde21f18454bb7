//! Row values as lockstep carries them between engines, exactly: no value
//! ever goes through a lossy text form. Each value has one exact equality
//! (bit for bit, for comparing rows) and one total order (the key order
//! both sides stream in).

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    UInt(u64),
    /// FLOAT, bit for bit as stored.
    Float(f32),
    /// DOUBLE / REAL, bit for bit as stored.
    Double(f64),
    /// DECIMAL / NUMERIC as its exact digits (`-12.50`).
    Decimal(String),
    /// Character data (CHAR, VARCHAR, TEXT, JSON, ENUM/SET labels; SQLite
    /// TEXT): the stored bytes, in the column's own charset.
    Text(Vec<u8>),
    /// Binary data (BINARY, VARBINARY, BLOB, BIT, spatial; SQLite BLOB):
    /// the stored bytes.
    Bytes(Vec<u8>),
    /// DATE / DATETIME / TIMESTAMP by components (zero dates allowed).
    DateTime {
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        micros: u32,
    },
    /// TIME, a signed duration (MySQL's range is ±838:59:59.999999).
    Time {
        negative: bool,
        days: u32,
        hours: u8,
        minutes: u8,
        seconds: u8,
        micros: u32,
    },
}

/// A row: values in the table's column order.
pub type Row = Vec<Value>;

impl Value {
    /// Exact equality, as stored: floats by their bits (so -0.0 differs
    /// from 0.0 and a NaN equals itself), everything else by value. Rows
    /// are equal when every value is, so no value may pass for another.
    pub fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::Double(a), Value::Double(b)) => a.to_bits() == b.to_bits(),
            (a, b) => a == b,
        }
    }

    /// About the bytes the value takes as stored (for progress).
    pub fn data_len(&self) -> usize {
        match self {
            Value::Null => 0,
            Value::Float(_) => 4,
            Value::Int(_) | Value::UInt(_) | Value::Double(_) => 8,
            Value::DateTime { .. } | Value::Time { .. } => 8,
            Value::Decimal(d) => d.len(),
            Value::Text(b) | Value::Bytes(b) => b.len(),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Int(_) | Value::UInt(_) | Value::Float(_) | Value::Double(_) => 1,
            Value::Decimal(_) => 2,
            Value::Text(_) => 4,
            Value::Bytes(_) => 5,
            Value::DateTime { .. } => 6,
            Value::Time { .. } => 7,
        }
    }

    /// The key order: NULL first, numbers by value (integers and floats
    /// compared with each other, as SQLite does), text and bytes by byte,
    /// dates and times chronologically. Engines stream keys in this order.
    pub fn key_cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        match (self, other) {
            (Int(_) | UInt(_) | Float(_) | Double(_), Int(_) | UInt(_) | Float(_) | Double(_)) => {
                number_cmp(self.number(), other.number())
            }
            (Decimal(a), Decimal(b)) => decimal_cmp(a, b),
            (Text(a), Text(b)) | (Bytes(a), Bytes(b)) => a.cmp(b),
            (
                DateTime {
                    year,
                    month,
                    day,
                    hour,
                    minute,
                    second,
                    micros,
                },
                DateTime {
                    year: y2,
                    month: m2,
                    day: d2,
                    hour: h2,
                    minute: mi2,
                    second: s2,
                    micros: u2,
                },
            ) => {
                (year, month, day, hour, minute, second, micros).cmp(&(y2, m2, d2, h2, mi2, s2, u2))
            }
            (Time { .. }, Time { .. }) => self.time_micros().cmp(&other.time_micros()),
            _ => self.rank().cmp(&other.rank()),
        }
    }

    /// DATE/DATETIME/TIMESTAMP as `YYYY-MM-DD HH:MM:SS[.ffffff]` and TIME
    /// as `[-]HH:MM:SS[.ffffff]` (hours counting whole days), the text
    /// every engine reads back as the same value; `None` for other values.
    pub fn temporal_text(&self) -> Option<String> {
        let fraction = |micros: u32| {
            if micros == 0 {
                String::new()
            } else {
                format!(".{micros:06}")
            }
        };
        match *self {
            Value::DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                micros,
            } => Some(format!(
                "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}{}",
                fraction(micros)
            )),
            Value::Time {
                negative,
                days,
                hours,
                minutes,
                seconds,
                micros,
            } => Some(format!(
                "{}{:02}:{minutes:02}:{seconds:02}{}",
                if negative { "-" } else { "" },
                u64::from(days) * 24 + u64::from(hours),
                fraction(micros)
            )),
            _ => None,
        }
    }

    /// Integers exactly, floats as f64 (every f32 is exactly an f64).
    fn number(&self) -> Number {
        match self {
            Value::Int(v) => Number::Int(i128::from(*v)),
            Value::UInt(v) => Number::Int(i128::from(*v)),
            Value::Float(v) => Number::Float(f64::from(*v)),
            Value::Double(v) => Number::Float(*v),
            _ => Number::Int(0),
        }
    }

    fn time_micros(&self) -> i128 {
        match self {
            Value::Time {
                negative,
                days,
                hours,
                minutes,
                seconds,
                micros,
            } => {
                let secs = i128::from(*days) * 86_400
                    + i128::from(*hours) * 3_600
                    + i128::from(*minutes) * 60
                    + i128::from(*seconds);
                let total = secs * 1_000_000 + i128::from(*micros);
                if *negative {
                    -total
                } else {
                    total
                }
            }
            _ => 0,
        }
    }
}

enum Number {
    Int(i128),
    Float(f64),
}

/// Numbers by value; an integer and a float that are equal as f64 are
/// told apart exactly (2^53 + 1 is not 2^53).
fn number_cmp(a: Number, b: Number) -> Ordering {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => x.cmp(&y),
        (Number::Float(x), Number::Float(y)) => x.total_cmp(&y),
        (Number::Int(x), Number::Float(y)) => {
            (x as f64).total_cmp(&y).then_with(|| x.cmp(&(y as i128)))
        }
        (Number::Float(x), Number::Int(y)) => {
            x.total_cmp(&(y as f64)).then_with(|| (x as i128).cmp(&y))
        }
    }
}

/// Compares two decimal strings (`-12.50`, `3`, `0.001`) by value.
fn decimal_cmp(a: &str, b: &str) -> Ordering {
    let (neg_a, ia, fa) = split_decimal(a);
    let (neg_b, ib, fb) = split_decimal(b);
    let zero = |i: &str, f: &str| i.is_empty() && f.is_empty();
    let neg_a = neg_a && !zero(ia, fa);
    let neg_b = neg_b && !zero(ib, fb);
    let magnitude = ia
        .len()
        .cmp(&ib.len())
        .then_with(|| ia.cmp(ib))
        .then_with(|| {
            let width = fa.len().max(fb.len());
            format!("{fa:0<width$}").cmp(&format!("{fb:0<width$}"))
        });
    match (neg_a, neg_b) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

/// Sign, integer digits without leading zeros, fraction digits without
/// trailing zeros.
fn split_decimal(d: &str) -> (bool, &str, &str) {
    let (neg, digits) = match d.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, d.strip_prefix('+').unwrap_or(d)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    (neg, int.trim_start_matches('0'), frac.trim_end_matches('0'))
}

/// Compares two keys column by column.
pub fn key_cmp(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match x.key_cmp(y) {
            Ordering::Equal => continue,
            other => return other,
        }
    }
    a.len().cmp(&b.len())
}

impl std::fmt::Display for Value {
    /// A short human form for messages (not SQL): text shown quoted, binary
    /// as hex, long values cut.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Int(v) => write!(f, "{v}"),
            Value::UInt(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{v}"),
            Value::Double(v) => write!(f, "{v}"),
            Value::Decimal(d) => f.write_str(d),
            Value::Text(b) => {
                let s = String::from_utf8_lossy(b);
                let cut: String = s.chars().take(40).collect();
                let more = if cut.len() < s.len() { "…" } else { "" };
                write!(f, "'{cut}{more}'")
            }
            Value::Bytes(b) => {
                let hex: String = b.iter().take(20).map(|x| format!("{x:02x}")).collect();
                let more = if b.len() > 20 { "…" } else { "" };
                write!(f, "0x{hex}{more}")
            }
            Value::DateTime { .. } | Value::Time { .. } => {
                f.write_str(&self.temporal_text().unwrap_or_default())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_compare_by_value() {
        assert_eq!(decimal_cmp("10.5", "9.25"), Ordering::Greater);
        assert_eq!(decimal_cmp("-10.5", "-9.25"), Ordering::Less);
        assert_eq!(decimal_cmp("1.50", "1.5"), Ordering::Equal);
        assert_eq!(decimal_cmp("-0.00", "0"), Ordering::Equal);
        assert_eq!(decimal_cmp("0.001", "0.01"), Ordering::Less);
        assert_eq!(decimal_cmp("007", "7.000"), Ordering::Equal);
    }

    #[test]
    fn exact_equality_is_bitwise() {
        assert!(!Value::Null.same_as(&Value::Bytes(Vec::new())));
        assert!(!Value::Text(b"a".to_vec()).same_as(&Value::Bytes(b"a".to_vec())));
        assert!(!Value::Float(0.0).same_as(&Value::Float(-0.0)));
        assert!(!Value::Double(0.0).same_as(&Value::Double(-0.0)));
        assert!(Value::Double(f64::NAN).same_as(&Value::Double(f64::NAN)));
        assert!(!Value::Int(1).same_as(&Value::UInt(1)));
        assert!(Value::Decimal("1.50".into()).same_as(&Value::Decimal("1.50".into())));
        assert!(!Value::Decimal("1.50".into()).same_as(&Value::Decimal("1.5".into())));
    }

    #[test]
    fn times_order_by_signed_duration() {
        let t = |negative, hours| Value::Time {
            negative,
            days: 0,
            hours,
            minutes: 0,
            seconds: 0,
            micros: 0,
        };
        assert_eq!(t(true, 5).key_cmp(&t(false, 1)), Ordering::Less);
        assert_eq!(t(true, 5).key_cmp(&t(true, 1)), Ordering::Less);
    }
}
