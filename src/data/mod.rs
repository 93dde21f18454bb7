//! The row model, with no I/O: values and their exact equality and key
//! order (`value`), a table's columns and comparison key as the data phase
//! sees them (`table`), key ranges and checksums (`segment`), and the
//! merge of two key-ordered row streams into inserts, updates and deletes
//! (`rowdiff`), and an exact byte form of rows for rows kept on disk
//! (`encode`). Uses `catalog` only; engines and the sync layer build on it.

pub mod encode;
pub mod rowdiff;
pub mod segment;
pub mod table;
pub mod value;
