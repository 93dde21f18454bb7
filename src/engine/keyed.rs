//! The condition that picks a table's rows by their keys, for the server
//! engines (MySQL/MariaDB and PostgreSQL): `IN` over the key columns, so
//! the key's index serves it, and keys holding a NULL (which `IN` never
//! matches) each by the engine's null-safe equality. The engines supply
//! the quoted columns, their literals and that equality.

use crate::data::value::Value;

/// `columns IN (keys...)`, or `FALSE` for no key. `literal(i, v)` is the
/// literal of `v` for key column `i`; `null_safe_eq` joins a column and a
/// literal (`<=>`, `IS NOT DISTINCT FROM`).
pub fn keyed_condition(
    columns: &[String],
    keys: &[Vec<Value>],
    literal: impl Fn(usize, &Value) -> String,
    null_safe_eq: &str,
) -> String {
    let grouped = |items: &[String]| match items {
        [one] => one.clone(),
        many => format!("({})", many.join(", ")),
    };
    let tuple = |key: &[Value]| -> Vec<String> {
        key.iter().enumerate().map(|(i, v)| literal(i, v)).collect()
    };
    let (with_null, plain): (Vec<&Vec<Value>>, Vec<&Vec<Value>>) =
        keys.iter().partition(|k| k.contains(&Value::Null));
    let mut any = Vec::new();
    if !plain.is_empty() {
        let lists: Vec<String> = plain.iter().map(|k| grouped(&tuple(k))).collect();
        any.push(format!("{} IN ({})", grouped(columns), lists.join(", ")));
    }
    for key in with_null {
        let terms: Vec<String> = columns
            .iter()
            .zip(tuple(key))
            .map(|(c, v)| format!("{c} {null_safe_eq} {v}"))
            .collect();
        any.push(format!("({})", terms.join(" AND ")));
    }
    match any.as_slice() {
        [] => "FALSE".to_string(),
        [one] => one.clone(),
        many => format!("({})", many.join(" OR ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(_: usize, v: &Value) -> String {
        match v {
            Value::Int(n) => n.to_string(),
            Value::Null => "NULL".to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn single_and_composite_keys_use_in() {
        let one = ["`a`".to_string()];
        let keys = vec![vec![Value::Int(1)], vec![Value::Int(2)]];
        assert_eq!(
            keyed_condition(&one, &keys, literal, "<=>"),
            "`a` IN (1, 2)"
        );
        let two = ["a".to_string(), "b".to_string()];
        let keys = vec![vec![Value::Int(1), Value::Int(2)]];
        assert_eq!(
            keyed_condition(&two, &keys, literal, "<=>"),
            "(a, b) IN ((1, 2))"
        );
    }

    #[test]
    fn keys_with_null_are_matched_null_safe() {
        let two = ["a".to_string(), "b".to_string()];
        let keys = vec![
            vec![Value::Int(1), Value::Int(2)],
            vec![Value::Int(3), Value::Null],
        ];
        assert_eq!(
            keyed_condition(&two, &keys, literal, "IS NOT DISTINCT FROM"),
            "((a, b) IN ((1, 2)) OR (a IS NOT DISTINCT FROM 3 AND b IS NOT DISTINCT FROM NULL))"
        );
        assert_eq!(keyed_condition(&two, &[], literal, "<=>"), "FALSE");
    }
}
