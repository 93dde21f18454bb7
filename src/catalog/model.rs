//! The engine-neutral schema model: what a database contains, independent of
//! how any engine spells it. Every engine introspects into these types and
//! renders DDL out of them; `diff` compares two of them.
//!
//! Each object keeps two views of itself:
//! - structured fields (type, nullability, default, ...) that policy code
//!   reads (safety classes, reports, cross-engine rendering), and
//! - `definition`: the engine's own canonical text for the object (for MySQL
//!   the line of `SHOW CREATE TABLE`; for SQLite the column's text in the
//!   stored `CREATE TABLE`), so a same-engine sync reproduces it exactly.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::deps::read_order;

/// Which server dialect produced a catalog; consulted wherever output differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Flavor {
    MySql { version: String },
    MariaDb { version: String },
    Sqlite { version: String },
    Postgres { version: String },
}

impl Flavor {
    /// The engine family, ignoring versions: two catalogs of the same family
    /// can be compared on their native `definition` texts.
    pub fn family(&self) -> EngineFamily {
        match self {
            Flavor::MySql { .. } | Flavor::MariaDb { .. } => EngineFamily::MySql,
            Flavor::Sqlite { .. } => EngineFamily::Sqlite,
            Flavor::Postgres { .. } => EngineFamily::Postgres,
        }
    }
}

impl std::fmt::Display for Flavor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Flavor::MySql { version } => write!(f, "MySQL {version}"),
            Flavor::MariaDb { version } => write!(f, "MariaDB {version}"),
            Flavor::Sqlite { version } => write!(f, "SQLite {version}"),
            Flavor::Postgres { version } => write!(f, "PostgreSQL {version}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EngineFamily {
    MySql,
    Sqlite,
    Postgres,
}

/// One database (schema) as seen by lockstep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Catalog {
    pub flavor: Flavor,
    /// Tables sorted by name.
    pub tables: Vec<Table>,
    /// Views sorted by name.
    pub views: Vec<View>,
    /// Triggers, stored procedures and functions, events: routines first,
    /// then triggers by table and firing order, then events.
    pub objects: Vec<SchemaObject>,
    /// User-defined types (PostgreSQL), in the engine's order.
    pub types: Vec<super::user_types::UserType>,
    /// Extensions (PostgreSQL), by name.
    pub extensions: Vec<super::extensions::Extension>,
    /// Sequences but identity columns' (PostgreSQL), by name.
    pub sequences: Vec<super::sequences::Sequence>,
    /// Schemas but the system's, the extensions' and the connection's
    /// current one (PostgreSQL), by name.
    pub schemas: Vec<super::schemas::Schema>,
    /// The privileges on each routine and schema (PostgreSQL).
    pub granted: Vec<super::grants::GrantedObject>,
    /// Kinds of object the account could not read completely: they were
    /// not compared, so the copy cannot be called identical.
    pub unreadable: Vec<Unreadable>,
    /// Each table's AUTO_INCREMENT counter as read (MySQL), by table
    /// name: the state of its rows, not of its schema, so never diffed;
    /// read with the schema so that following the source's costs no
    /// extra round trip.
    pub counters: BTreeMap<String, u64>,
}

impl Catalog {
    /// The materialized views that read, directly or through other views,
    /// any of the `written` tables: stale once those rows change. In the
    /// order they can be refreshed (a view after the views it reads).
    pub fn stale_materialized_views(&self, written: &BTreeSet<String>) -> Vec<&View> {
        let mut stale: BTreeSet<&str> = BTreeSet::new();
        let reads_stale = |v: &View, stale: &BTreeSet<&str>| {
            v.depends_on
                .iter()
                .any(|d| written.contains(d) || stale.contains(d.as_str()))
        };
        // Up through the views until nothing more goes stale.
        while let Some(v) = self
            .views
            .iter()
            .find(|v| !stale.contains(v.name.as_str()) && reads_stale(v, &stale))
        {
            stale.insert(&v.name);
        }
        // Then each after the stale views it reads.
        let stale: Vec<&View> = self
            .views
            .iter()
            .filter(|v| stale.contains(v.name.as_str()))
            .collect();
        read_order(stale, |v| v.name.as_str(), |v, other| v.reads(other), false)
            .into_iter()
            .filter(|v| v.materialized())
            .collect()
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| self.same_name(&t.name, name))
    }

    pub fn view(&self, name: &str) -> Option<&View> {
        self.views.iter().find(|v| self.same_name(&v.name, name))
    }

    /// This catalog's object of the same kind and name as `other` (for a
    /// trigger, on the same table too: PostgreSQL names triggers per
    /// table, so one name may be on many tables).
    pub fn counterpart(&self, other: &SchemaObject) -> Option<&SchemaObject> {
        let same_table = |o: &SchemaObject| match (&o.table, &other.table) {
            (Some(a), Some(b)) if other.kind == ObjectKind::Trigger => self.same_name(a, b),
            _ => true,
        };
        self.objects.iter().find(|o| {
            o.kind == other.kind
                && self.same_object_name(other.kind, &o.name, &other.name)
                && same_table(o)
        })
    }

    /// Whether this catalog holds every object of `kind`.
    pub fn reads(&self, kind: ObjectKind) -> bool {
        !self.unreadable.iter().any(|u| u.kind == kind)
    }

    /// MySQL names routines and events without regard to case, triggers
    /// like tables; SQLite folds the case of every name.
    fn same_object_name(&self, kind: ObjectKind, a: &str, b: &str) -> bool {
        match kind {
            ObjectKind::Trigger => self.same_name(a, b),
            _ => a.eq_ignore_ascii_case(b),
        }
    }

    /// Whether two table or view names denote the same object: SQLite
    /// folds ASCII case (`USERS` is `users`); the others compare exactly.
    pub fn same_name(&self, a: &str, b: &str) -> bool {
        match self.flavor.family() {
            EngineFamily::Sqlite => a.eq_ignore_ascii_case(b),
            EngineFamily::MySql | EngineFamily::Postgres => a == b,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub name: String,
    /// Columns in ordinal order.
    pub columns: Vec<Column>,
    pub primary_key: Option<Index>,
    /// Secondary indexes (unique, plain, fulltext, spatial), in the engine's
    /// display order; the primary key is not among them.
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<CheckConstraint>,
    pub options: TableOptions,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.name == name)
    }

    pub fn foreign_key(&self, name: &str) -> Option<&ForeignKey> {
        self.foreign_keys.iter().find(|f| f.name == name)
    }

    pub fn check(&self, name: &str) -> Option<&CheckConstraint> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The tables this one is a partition of or inherits from: each must
    /// exist before it, and outlive it.
    pub fn parents(&self) -> impl Iterator<Item = &str> {
        self.options
            .partition_of
            .iter()
            .map(|p| p.parent.as_str())
            .chain(self.options.inherits.iter().map(String::as_str))
    }

    /// Whether the column is this table's only through a parent.
    pub fn inherits_column(&self, name: &str) -> bool {
        self.options.inherited_columns.iter().any(|c| c == name)
    }
}

/// Where a partition sits in its parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionOf {
    pub parent: String,
    /// The partition's bound in the engine's syntax (`FOR VALUES FROM
    /// (1) TO (10)`, `DEFAULT`).
    pub bound: String,
}

/// Table-level options. `None` means "the engine has no such notion".
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TableOptions {
    pub engine: Option<String>,
    pub charset: Option<String>,
    pub collation: Option<String>,
    pub comment: String,
    /// Other creation options in the engine's own syntax, normalised
    /// (e.g. `ROW_FORMAT=DYNAMIC`, `STATS_PERSISTENT=0`, SQLite's
    /// `WITHOUT ROWID` / `STRICT`); never the AUTO_INCREMENT counter.
    pub extra: Vec<String>,
    /// Partitioning clause in the engine's own syntax, if any.
    pub partitioning: Option<String>,
    /// This table is a partition of another (PostgreSQL's `PARTITION OF`):
    /// its columns, keys and the constraints and indexes it has from its
    /// parent are the parent's (not created, altered or dropped on it),
    /// and its rows are read and written through the parent.
    pub partition_of: Option<PartitionOf>,
    /// The tables this one inherits from (PostgreSQL's `INHERITS`), in
    /// order. Its rows are its own: a parent's are read without them.
    pub inherits: Vec<String>,
    /// Columns this table has only from its parents (a partition's, an
    /// inheriting table's): part of its rows, never created, altered or
    /// dropped on it.
    pub inherited_columns: Vec<String>,
    /// The engine's full native CREATE statement for the table (SQLite keeps
    /// the user's text; MySQL's `SHOW CREATE TABLE` without AUTO_INCREMENT).
    pub native_create: String,
    /// Row-level security: its flags and policies (PostgreSQL).
    pub row_security: super::row_security::RowSecurity,
    /// Privileges granted to roles other than the owner (PostgreSQL),
    /// in the order of the table's ACL: granted in that order, compared
    /// in any (`grants::same`).
    pub grants: Vec<super::grants::Grant>,
    /// Comments on the table's indexes and constraints, where the engine
    /// keeps them apart from their definitions (PostgreSQL), by kind and
    /// name.
    pub part_comments: Vec<PartComment>,
}

/// What a [`PartComment`] is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TablePart {
    /// An index that backs no constraint.
    Index,
    /// A primary key, unique, exclusion, foreign key or check constraint.
    Constraint,
}

/// The comment on one of a table's indexes or constraints.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PartComment {
    pub part: TablePart,
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    /// The full type as the engine spells it, lower case (`bigint(20) unsigned`,
    /// `varchar(40)`, `decimal(65,30)`, `enum('a','b')`).
    pub data_type: String,
    /// The neutral reading of `data_type`.
    pub sql_type: SqlType,
    pub nullable: bool,
    pub default: Option<DefaultValue>,
    /// `ON UPDATE` expression (MySQL), e.g. `current_timestamp()`.
    pub on_update: Option<String>,
    pub auto_increment: bool,
    pub charset: Option<String>,
    pub collation: Option<String>,
    pub comment: String,
    pub generated: Option<Generated>,
    pub invisible: bool,
    /// The engine's canonical text of the column after its name (MySQL: the
    /// rest of the `SHOW CREATE TABLE` line; SQLite: the rest of the column's
    /// definition in the stored CREATE TABLE).
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum DefaultValue {
    /// A constant, as the literal text the engine shows (quotes removed for
    /// strings: `abc`, `0`, `10.00`).
    Literal(String),
    /// An expression such as `current_timestamp()` or `(uuid())`.
    Expression(String),
    /// Explicit `DEFAULT NULL`.
    Null,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Generated {
    pub expression: String,
    pub stored: bool,
}

/// The neutral type of a column: enough to judge whether a change can lose
/// data and to map types between engines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SqlType {
    /// Integer of `bytes` storage width (1, 2, 3, 4, 8).
    Integer {
        bytes: u8,
        unsigned: bool,
    },
    Decimal {
        precision: u32,
        scale: u32,
        unsigned: bool,
    },
    Float {
        double: bool,
        unsigned: bool,
    },
    Bit {
        width: u32,
    },
    /// CHAR/VARCHAR: `length` in characters.
    Char {
        length: u32,
        varying: bool,
    },
    /// TEXT family: maximum length in bytes.
    Text {
        max_bytes: u64,
    },
    Binary {
        length: u32,
        varying: bool,
    },
    Blob {
        max_bytes: u64,
    },
    Date,
    Time {
        fsp: u8,
    },
    DateTime {
        fsp: u8,
    },
    Timestamp {
        fsp: u8,
    },
    Year,
    Enum {
        values: Vec<String>,
    },
    Set {
        values: Vec<String>,
    },
    Json,
    Spatial {
        kind: String,
    },
    Boolean,
    Uuid,
    /// Anything else, by its engine name (SQLite declared types with no
    /// affinity rule, PostgreSQL arrays ...).
    Other {
        name: String,
    },
}

impl SqlType {
    /// True when every value of `self` fits into `to` without change.
    /// Used to classify a column type change as safe or lossy.
    pub fn fits_into(&self, to: &SqlType) -> bool {
        use SqlType::*;
        if self == to {
            return true;
        }
        match (self, to) {
            (
                Integer {
                    bytes: a,
                    unsigned: ua,
                },
                Integer {
                    bytes: b,
                    unsigned: ub,
                },
            ) => (ua == ub && a <= b) || (*ua && !*ub && a < b),
            (
                Integer { bytes, unsigned },
                Decimal {
                    precision,
                    scale,
                    unsigned: du,
                },
            ) => {
                let digits = match bytes {
                    1 => 3,
                    2 => 5,
                    3 => 8,
                    4 => 10,
                    _ => 20,
                };
                // Only the digits left of the point hold the integer.
                (!*du || *unsigned) && precision.saturating_sub(*scale) >= digits
            }
            (
                Decimal {
                    precision: p1,
                    scale: s1,
                    unsigned: u1,
                },
                Decimal {
                    precision: p2,
                    scale: s2,
                    unsigned: u2,
                },
            ) => (u1 == u2 || !*u2) && s2 >= s1 && (p2 - s2) >= (p1 - s1),
            (
                Float {
                    double: false,
                    unsigned: u1,
                },
                Float {
                    double: true,
                    unsigned: u2,
                },
            ) => u1 == u2 || !*u2,
            (Bit { width: a }, Bit { width: b }) => a <= b,
            (
                Char { length: a, .. },
                Char {
                    length: b,
                    varying: true,
                },
            ) => a <= b,
            (
                Char {
                    length: a,
                    varying: false,
                },
                Char {
                    length: b,
                    varying: false,
                },
            ) => a <= b,
            (Char { length, .. }, Text { max_bytes }) => u64::from(*length) * 4 <= *max_bytes,
            (Text { max_bytes: a }, Text { max_bytes: b }) => a <= b,
            (
                Binary { length: a, .. },
                Binary {
                    length: b,
                    varying: true,
                },
            ) => a <= b,
            (
                Binary {
                    length: a,
                    varying: false,
                },
                Binary {
                    length: b,
                    varying: false,
                },
            ) => a <= b,
            (Binary { length, .. }, Blob { max_bytes }) => u64::from(*length) <= *max_bytes,
            (Blob { max_bytes: a }, Blob { max_bytes: b }) => a <= b,
            (Time { fsp: a }, Time { fsp: b })
            | (DateTime { fsp: a }, DateTime { fsp: b })
            | (Timestamp { fsp: a }, Timestamp { fsp: b }) => a <= b,
            (Date, DateTime { .. }) => true,
            (Enum { values: a }, Enum { values: b }) | (Set { values: a }, Set { values: b }) => {
                // Appending members keeps every stored value; reordering or
                // removing changes them.
                b.len() >= a.len() && b[..a.len()] == a[..]
            }
            (Boolean, Integer { .. }) => true,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IndexKind {
    Primary,
    Unique,
    Plain,
    Fulltext,
    Spatial,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexPart {
    /// Column name, or `None` for an expression part.
    pub column: Option<String>,
    /// Expression text for functional index parts.
    pub expression: Option<String>,
    /// Prefix length in characters/bytes (MySQL `col(10)`).
    pub prefix: Option<u32>,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Index {
    /// `PRIMARY` for the primary key on MySQL; SQLite may have auto names.
    pub name: String,
    pub kind: IndexKind,
    pub parts: Vec<IndexPart>,
    /// `USING BTREE` / `USING HASH` when stated.
    pub using: Option<String>,
    pub comment: String,
    /// Invisible (MySQL) / IGNORED (MariaDB).
    pub invisible: bool,
    /// Partial index predicate (SQLite, PostgreSQL).
    pub predicate: Option<String>,
    /// The engine's canonical text of the index (MySQL: the `KEY ...` line of
    /// `SHOW CREATE TABLE`; SQLite: the stored `CREATE INDEX`, or empty for
    /// indexes the engine creates itself from a constraint).
    pub definition: String,
}

impl Index {
    pub fn column_names(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter_map(|p| p.column.as_deref())
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FkAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub referenced_table: String,
    pub referenced_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    /// The engine's canonical text (MySQL: the `CONSTRAINT ... FOREIGN KEY`
    /// line of `SHOW CREATE TABLE`).
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckConstraint {
    pub name: String,
    pub expression: String,
    /// The engine's canonical text (MySQL: the `CONSTRAINT ... CHECK` line).
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct View {
    pub name: String,
    /// The engine's canonical CREATE statement for the view (for MySQL, from
    /// `SHOW CREATE VIEW` with DEFINER removed).
    pub definition: String,
    /// Tables and views the view reads, when known.
    pub depends_on: Vec<String>,
    /// Privileges granted to roles other than its owner (PostgreSQL), in
    /// its ACL's order.
    pub grants: Vec<super::grants::Grant>,
}

impl View {
    /// A view that holds rows of its own (PostgreSQL's materialized
    /// views), computed when created or refreshed.
    pub fn materialized(&self) -> bool {
        self.definition.starts_with("CREATE MATERIALIZED VIEW")
    }

    /// Whether this view reads `other` (a table or another view).
    pub fn reads(&self, other: &str) -> bool {
        self.name != other && self.depends_on.iter().any(|d| d == other)
    }
}

/// What kind of stored object a [`SchemaObject`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    Procedure,
    Function,
    Trigger,
    Event,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Procedure => "procedure",
            ObjectKind::Function => "function",
            ObjectKind::Trigger => "trigger",
            ObjectKind::Event => "event",
        }
    }
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A trigger, stored procedure or function, or event, kept as its exact
/// source text and the session context it was created in (which decides
/// how the server parses and runs its body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaObject {
    pub kind: ObjectKind,
    pub name: String,
    /// The table (or, on SQLite, view) a trigger belongs to.
    pub table: Option<String>,
    /// The exact source text: MySQL's `SHOW CREATE TRIGGER|PROCEDURE|
    /// FUNCTION|EVENT` (with its DEFINER clause), SQLite's
    /// `sqlite_master.sql`.
    pub definition: String,
    pub context: ObjectContext,
}

/// The session an object was created in (MySQL/MariaDB; all `None` on
/// SQLite). Two objects with equal text but another context are different
/// objects: `"a"` is a string or a name by `sql_mode`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ObjectContext {
    /// `user@host`, as in information_schema.
    pub definer: Option<String>,
    pub sql_mode: Option<String>,
    /// Events: the time zone their schedule is read in.
    pub time_zone: Option<String>,
    pub character_set_client: Option<String>,
    pub collation_connection: Option<String>,
    /// The database's default collation when the object was created.
    pub database_collation: Option<String>,
    /// Triggers: the position among the table's triggers of the same
    /// timing and event (1 = fires first).
    pub action_order: Option<u32>,
}

/// A kind of object the account could not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    pub kind: ObjectKind,
    pub reason: String,
}
