//! The engine-neutral schema layer: the model, the changes between two
//! models, the diff that finds them, and the FK dependency graph.

pub mod change;
pub mod deps;
pub mod diff;
pub mod model;
