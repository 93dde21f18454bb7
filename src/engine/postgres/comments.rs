//! Comments on what PostgreSQL keeps them apart from: `COMMENT ON ... IS`
//! for indexes and constraints (kept with their table's options, set
//! when the part is created and changed in place), and for views,
//! routines and triggers, whose comment statement follows their
//! definition text (`<definition>\n;\nCOMMENT ON ...`): a comment that
//! changes there changes the object, which is created again (a routine
//! replaced) with it. User-defined types carry theirs the same way, and
//! are commented in place.

use super::names::{beside, relation};
use super::types::{quote_ident, quote_text};
use crate::catalog::model::{PartComment, Table, TableOptions, TablePart};

/// What separates an object's definition from its comment statement.
const TAIL: &str = "\n;\nCOMMENT ON ";

/// `COMMENT ON <what> IS '<text>'`, or `IS NULL` for no comment.
pub(super) fn comment_on(what: &str, text: &str) -> String {
    let text = if text.is_empty() {
        "NULL".to_string()
    } else {
        quote_text(text.as_bytes())
    };
    format!("COMMENT ON {what} IS {text}")
}

/// `definition` followed by its comment statement, if it has a comment.
pub(super) fn with_comment(definition: String, what: &str, text: &str) -> String {
    if text.is_empty() {
        return definition;
    }
    format!("{definition}\n;\n{}", comment_on(what, text))
}

/// A definition without its comment statement, and that statement.
pub(super) fn split(definition: &str) -> (&str, Option<&str>) {
    match definition.rfind(TAIL) {
        Some(at) => (&definition[..at], Some(&definition[at + 3..])),
        None => (definition, None),
    }
}

/// The statement that takes the comment `current` has off the object,
/// when `desired` (the same object) has none: replacing a routine keeps
/// its comment.
pub(super) fn cleared(current: &str, desired: &str) -> Option<String> {
    let (_, Some(statement)) = split(current) else {
        return None;
    };
    if split(desired).1.is_some() {
        return None;
    }
    // `COMMENT ON <what> IS '...'`: `<what>` is a kind and a name with
    // its argument types, which hold no ` IS `.
    let (what, _) = statement.strip_prefix("COMMENT ON ")?.split_once(" IS ")?;
    Some(comment_on(what, ""))
}

/// The statement that gives an object changed in place (a type) the
/// comment `desired` has, where `current` has another.
pub(super) fn changed(current: &str, desired: &str) -> Option<String> {
    match (split(current).1, split(desired).1) {
        (a, b) if a == b => None,
        (_, Some(statement)) => Some(statement.to_string()),
        (Some(_), None) => cleared(current, desired),
        (None, None) => None,
    }
}

/// What an index or constraint of `table` is called in `COMMENT ON`.
fn part_name(table: &str, part: TablePart, name: &str) -> String {
    match part {
        TablePart::Index => format!("INDEX {}", beside(table, name)),
        TablePart::Constraint => {
            format!("CONSTRAINT {} ON {}", quote_ident(name), relation(table))
        }
    }
}

fn part_comment(table: &str, comment: &PartComment) -> String {
    comment_on(
        &part_name(table, comment.part, &comment.name),
        &comment.text,
    )
}

/// The comments of every index and constraint a new `table` is created
/// with (a foreign key that closes a cycle is added later, `of_part`).
pub(super) fn of_parts(table: &Table) -> Vec<String> {
    table
        .options
        .part_comments
        .iter()
        .filter(|c| part_definition(table, c.part, &c.name).is_some())
        .map(|c| part_comment(&table.name, c))
        .collect()
}

/// The comment of the index or constraint `name` of `table`, just created.
pub(super) fn of_part(table: &Table, part: TablePart, name: &str) -> Option<String> {
    table
        .options
        .part_comments
        .iter()
        .find(|c| c.part == part && c.name == name)
        .map(|c| part_comment(&table.name, c))
}

/// The definition of `table`'s index or constraint `name`.
fn part_definition<'a>(table: &'a Table, part: TablePart, name: &str) -> Option<&'a str> {
    let constraint = |definition: &str| definition.starts_with("CONSTRAINT ");
    let index = table
        .primary_key
        .iter()
        .chain(&table.indexes)
        .find(|i| i.name == name && constraint(&i.definition) == (part == TablePart::Constraint))
        .map(|i| i.definition.as_str());
    match part {
        TablePart::Index => index,
        TablePart::Constraint => index
            .or_else(|| table.check(name).map(|c| c.definition.as_str()))
            .or_else(|| table.foreign_key(name).map(|f| f.definition.as_str())),
    }
}

/// The comments that change from `from` to `to` on the indexes and
/// constraints `current` keeps as `desired` has them (one created or
/// created again gets its comment with it, `of_part`).
pub(super) fn changed_parts(
    current: &Table,
    desired: &Table,
    from: &TableOptions,
    to: &TableOptions,
) -> Vec<String> {
    fn text<'a>(options: &'a TableOptions, part: TablePart, name: &str) -> &'a str {
        options
            .part_comments
            .iter()
            .find(|c| c.part == part && c.name == name)
            .map_or("", |c| c.text.as_str())
    }
    let mut keys: Vec<(TablePart, &str)> = from
        .part_comments
        .iter()
        .chain(&to.part_comments)
        .map(|c| (c.part, c.name.as_str()))
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|(part, name)| text(from, *part, name) != text(to, *part, name))
        .filter(|(part, name)| {
            let kept = part_definition(current, *part, name);
            kept.is_some() && kept == part_definition(desired, *part, name)
        })
        .map(|(part, name)| comment_on(&part_name(&desired.name, part, name), text(to, part, name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_follows_its_definition_and_comes_off_when_the_source_has_none() {
        let plain = "CREATE VIEW \"v\" AS\n SELECT 1";
        let commented = with_comment(plain.to_string(), "VIEW \"v\"", "it's one");
        assert_eq!(
            commented,
            "CREATE VIEW \"v\" AS\n SELECT 1\n;\nCOMMENT ON VIEW \"v\" IS 'it''s one'"
        );
        assert_eq!(with_comment(plain.to_string(), "VIEW \"v\"", ""), plain);
        assert_eq!(
            split(&commented),
            (plain, Some("COMMENT ON VIEW \"v\" IS 'it''s one'"))
        );
        assert_eq!(split(plain), (plain, None));
        assert_eq!(
            cleared(&commented, plain).as_deref(),
            Some("COMMENT ON VIEW \"v\" IS NULL")
        );
        assert_eq!(cleared(plain, &commented), None);
        assert_eq!(cleared(&commented, &commented), None);
        assert_eq!(changed(&commented, &commented), None);
        assert_eq!(changed(plain, plain), None);
        assert_eq!(
            changed(plain, &commented).as_deref(),
            Some("COMMENT ON VIEW \"v\" IS 'it''s one'")
        );
        assert_eq!(
            changed(&commented, plain).as_deref(),
            Some("COMMENT ON VIEW \"v\" IS NULL")
        );
    }
}
