//! lockstep: make a target database identical to a source database, schema
//! first, then rows, and prove it.
//!
//! The binary (`src/main.rs`) is a thin face over this library.

pub mod catalog;
pub mod cli;
pub mod config;
pub mod data;
pub mod engine;
pub mod error;
pub mod report;
pub mod sync;
pub mod url;
pub mod workflow;
