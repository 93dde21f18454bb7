//! sqldef's YAML case files, read for the per-engine runners: each case's
//! file, name, `current`/`desired` text and flags (see
//! `tests/fixtures/sqldef/README.md` for the format).

use std::collections::BTreeMap;

/// One case of a sqldef YAML file.
pub struct Case {
    pub file: String,
    pub name: String,
    fields: serde_yaml::Value,
}

impl Case {
    /// `file::name`, as the runners print it.
    pub fn id(&self) -> String {
        format!("{}::{}", self.file, self.name)
    }

    /// A text field (`current`, `desired`, `flavor`, ...), if present.
    pub fn text(&self, key: &str) -> Option<String> {
        let value = self.fields.get(key)?;
        match value {
            serde_yaml::Value::String(s) => Some(s.clone()),
            serde_yaml::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// A boolean field (`enable_drop`, `offline`), if present.
    pub fn flag(&self, key: &str) -> Option<bool> {
        self.fields.get(key).and_then(|v| v.as_bool())
    }

    /// Whether the case has `key` at all, whatever its value.
    pub fn has(&self, key: &str) -> bool {
        self.fields.get(key).is_some()
    }
}

/// Every case of the YAML files in a corpus folder (`sqldef/cmd/psqldef`),
/// files sorted by name, cases by name within a file.
pub fn load(folder: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    for path in super::corpus_yaml_files(folder) {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: BTreeMap<String, serde_yaml::Value> =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        cases.extend(doc.into_iter().map(|(name, fields)| Case {
            file: file.clone(),
            name,
            fields,
        }));
    }
    cases
}
