//! An exact byte form of rows, for rows kept in a temporary file rather
//! than in memory: every value comes back as it went in (floats by their
//! bits), with no text form in between.

use std::io::{self, Read};

use super::value::{Row, Value};

/// Appends `row` to `out`.
pub fn write_row(out: &mut Vec<u8>, row: &Row) {
    out.extend_from_slice(&(row.len() as u32).to_le_bytes());
    for value in row {
        write_value(out, value);
    }
}

fn write_bytes(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    out.push(tag);
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(0),
        Value::Int(v) => {
            out.push(1);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::UInt(v) => {
            out.push(2);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::Float(v) => {
            out.push(3);
            out.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        Value::Double(v) => {
            out.push(4);
            out.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        Value::Decimal(v) => write_bytes(out, 5, v.as_bytes()),
        Value::Text(v) => write_bytes(out, 6, v),
        Value::Bytes(v) => write_bytes(out, 7, v),
        Value::DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            micros,
        } => {
            out.push(8);
            out.extend_from_slice(&year.to_le_bytes());
            out.extend_from_slice(&[*month, *day, *hour, *minute, *second]);
            out.extend_from_slice(&micros.to_le_bytes());
        }
        Value::Time {
            negative,
            days,
            hours,
            minutes,
            seconds,
            micros,
        } => {
            out.push(9);
            out.push(u8::from(*negative));
            out.extend_from_slice(&days.to_le_bytes());
            out.extend_from_slice(&[*hours, *minutes, *seconds]);
            out.extend_from_slice(&micros.to_le_bytes());
        }
    }
}

/// The next row `write_row` wrote to `input`; `None` at its end.
pub fn read_row(input: &mut impl Read) -> io::Result<Option<Row>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    (0..u32::from_le_bytes(len))
        .map(|_| read_value(input))
        .collect::<io::Result<Row>>()
        .map(Some)
}

fn read_array<const N: usize>(input: &mut impl Read) -> io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    input.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn read_bytes(input: &mut impl Read) -> io::Result<Vec<u8>> {
    let len = u64::from_le_bytes(read_array(input)?);
    let mut bytes = Vec::new();
    input.take(len).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != len {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(bytes)
}

fn read_value(input: &mut impl Read) -> io::Result<Value> {
    let [tag] = read_array(input)?;
    Ok(match tag {
        0 => Value::Null,
        1 => Value::Int(i64::from_le_bytes(read_array(input)?)),
        2 => Value::UInt(u64::from_le_bytes(read_array(input)?)),
        3 => Value::Float(f32::from_bits(u32::from_le_bytes(read_array(input)?))),
        4 => Value::Double(f64::from_bits(u64::from_le_bytes(read_array(input)?))),
        5 => Value::Decimal(
            String::from_utf8(read_bytes(input)?)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
        ),
        6 => Value::Text(read_bytes(input)?),
        7 => Value::Bytes(read_bytes(input)?),
        8 => {
            let year = u16::from_le_bytes(read_array(input)?);
            let [month, day, hour, minute, second] = read_array(input)?;
            let micros = u32::from_le_bytes(read_array(input)?);
            Value::DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                micros,
            }
        }
        9 => {
            let [negative] = read_array(input)?;
            let days = u32::from_le_bytes(read_array(input)?);
            let [hours, minutes, seconds] = read_array(input)?;
            let micros = u32::from_le_bytes(read_array(input)?);
            Value::Time {
                negative: negative != 0,
                days,
                hours,
                minutes,
                seconds,
                micros,
            }
        }
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("no value is tagged {other}"),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_comes_back_exactly() {
        let rows: Vec<Row> = vec![
            vec![
                Value::Null,
                Value::Int(-7),
                Value::UInt(u64::MAX),
                Value::Float(-0.0),
                Value::Double(f64::NAN),
                Value::Decimal("-12.50".to_string()),
            ],
            vec![
                Value::Text("é 😀".as_bytes().to_vec()),
                Value::Bytes(vec![0, 255, 10]),
                Value::DateTime {
                    year: 0,
                    month: 0,
                    day: 0,
                    hour: 23,
                    minute: 59,
                    second: 58,
                    micros: 999_999,
                },
                Value::Time {
                    negative: true,
                    days: 34,
                    hours: 22,
                    minutes: 59,
                    seconds: 59,
                    micros: 1,
                },
            ],
            vec![],
        ];
        let mut bytes = Vec::new();
        for row in &rows {
            write_row(&mut bytes, row);
        }
        let mut input = bytes.as_slice();
        for row in &rows {
            let back = read_row(&mut input).unwrap().unwrap();
            assert_eq!(back.len(), row.len());
            for (a, b) in back.iter().zip(row) {
                assert!(a.same_as(b), "{a:?} came back for {b:?}");
            }
        }
        assert!(read_row(&mut input).unwrap().is_none());
    }

    #[test]
    fn a_cut_file_is_an_error_not_a_row() {
        let mut bytes = Vec::new();
        write_row(&mut bytes, &vec![Value::Text(b"abcdef".to_vec())]);
        bytes.truncate(bytes.len() - 2);
        assert!(read_row(&mut bytes.as_slice()).is_err());
    }
}
