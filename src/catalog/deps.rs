//! FK dependency graph (filled in by the workflow author).
