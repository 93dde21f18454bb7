//! Catalog diff (filled in by the workflow author).
