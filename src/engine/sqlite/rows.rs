//! Reading SQLite rows exactly, in key order.
