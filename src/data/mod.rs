//! Row-level sync, engine-neutral: values and their exact equality, and the
//! merge of two key-ordered row streams into inserts, updates and deletes.

pub mod apply;
pub(crate) mod bisect;
pub mod pipeline;
pub mod rowdiff;
pub mod segment;
pub mod sync;
pub mod table;
pub mod value;
