//! lockstep: make a target database identical to a source database, schema
//! first, then rows, and prove it.
//!
//! The binary (`src/main.rs` with its `cli` module) is a thin face over
//! this library: it maps its flags to plain library types
//! (`config::Overrides`, `workflow::Mode`, `report::graph::GraphFormat`), so
//! nothing here depends on the argument parser or the command line's shape.

pub mod catalog;
pub mod config;
pub mod data;
pub mod engine;
pub mod error;
pub mod memory;
pub mod report;
pub mod sync;
pub mod tunnel;
pub mod url;
pub mod workflow;
