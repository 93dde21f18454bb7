//! The engine-neutral schema layer: the model, the changes between two
//! models, the diff that finds them, the FK dependency graph,
//! user-defined types, extensions, sequences, schemas, row-level
//! security and privileges.

mod called_routines;
pub mod change;
pub mod deps;
pub mod diff;
pub mod extensions;
pub mod grants;
pub mod model;
mod own_columns;
pub mod row_security;
pub mod schemas;
pub mod sequences;
pub mod user_types;

#[cfg(test)]
mod deps_tests;
#[cfg(test)]
mod diff_tests;
#[cfg(test)]
mod objects_tests;
#[cfg(test)]
mod safety_tests;
#[cfg(test)]
pub(crate) mod testing;
