//! Choosing, per table, how its differences are found from what the link
//! to the source costs: streaming every row ships the table's bytes
//! (compressed size over the measured throughput); row hashes by key
//! ship a key and 8 bytes a row while the servers hash every row once
//! (the two overlap: the rows' hashes cross as they are computed);
//! bisection ships only checksums but pays round trips (one per level of
//! the tree, the two servers asked at the same time) and the servers'
//! hashing of every row. A table with a key, on engines that hash rows by
//! key, chooses between streaming and row hashes; any other between
//! streaming and bisection (whose cost depends on where the changes lie:
//! changes spread over the table hash every row again at each level, so
//! row hashes, one pass whatever the spread, are preferred where they
//! can be had). The cheaper estimate wins. The same figures size
//! bisection's leaves: a leaf holds about what crosses the link in one
//! round trip, so going one level deeper never costs more than the rows
//! it saves.

use std::time::Duration;

use crate::engine::TableSize;

/// Ranges a differing range is split into at the next level.
pub(crate) const FANOUT: usize = 16;
/// The largest leaf (the leaf size when nothing is known of the link).
pub(crate) const MAX_LEAF_ROWS: u64 = 5_000;
/// The smallest leaf: below this, the checksums' own round trips and
/// statement size outweigh the rows they save.
const MIN_LEAF_ROWS: u64 = 200;
/// At most this many leaves (the split points of a table are read in one
/// answer before the first level).
const MAX_LEAVES: u64 = 1 << 16;
/// Server time one pass of row hashing spends per stored byte (the
/// checksums of a bisection's first level, or the row hashes by key; the
/// two servers at the same time). Measured on the benchmark's
/// `job_orders` (590,000 rows, 181 MB stored, MariaDB 10.11, CRC32 +
/// CRC32C): 2.1 s for a whole-table checksum, 11.6 ns a byte, with the
/// server's cores shared only with low-priority builds; the same table's
/// key-and-hash stream took 2.4-3.0 s. Earlier figures on a smaller
/// table were 22 ns a byte at load 8 and 95 ns at load 14, where both
/// servers shared 2 cores with other builds at full priority: a real
/// source has its own cores.
const HASH_SECS_PER_STORED_BYTE: f64 = 15.0e-9;
/// InnoDB's stored bytes (`DATA_LENGTH`, pages included) per byte the
/// rows take on the wire, uncompressed and compressed. Compressed:
/// measured on the benchmark's dataset, 29.3 MB stored crossed as 10.7
/// MB. Uncompressed: taken as the text protocol's size of the rows (a
/// third below the stored size), not measured.
const STORED_PER_WIRE_BYTE: [f64; 2] = [1.5, 2.7];
/// A row's bytes on the wire when the server has no statistics.
const UNKNOWN_ROW_WIRE_BYTES: f64 = 200.0;
/// Round trips of a bisection besides its levels (counting and splitting
/// the table, and reading the differing leaves), and of row hashes
/// besides one a part (splitting, and reading the differing rows).
const FIXED_ROUND_TRIPS: u32 = 3;
/// A row's key and hash on the wire (a 4 to 8-byte key, the 8-byte hash
/// and the protocol's framing), uncompressed and compressed. The hash
/// is random and does not compress.
const KEY_HASH_WIRE_BYTES: [f64; 2] = [22.0, 16.0];
/// Rows hashed in one part at most (see `hash_parts`).
pub(crate) const HASH_PART_ROWS: u64 = 250_000;

/// The link to the source as measured at connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkCost {
    pub rtt: Duration,
    pub bytes_per_sec: u64,
    pub compressed: bool,
    /// Whether keys and row hashes travel compressed (`Link`).
    pub hashes_compressed: bool,
}

/// The way besides streaming that a table's differences may be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    Bisect,
    Hashes,
}

impl Alternative {
    /// How the report names its estimate ("about N ms bisecting").
    pub fn as_str(self) -> &'static str {
        match self {
            Alternative::Bisect => "bisecting",
            Alternative::Hashes => "by row hashes",
        }
    }
}

/// What streaming and the alternative are estimated to cost, in
/// milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostEstimate {
    pub stream_ms: u64,
    pub alternative: Alternative,
    pub alternative_ms: u64,
}

impl CostEstimate {
    /// Whether the alternative is the cheaper.
    pub fn prefers_alternative(self) -> bool {
        self.alternative_ms < self.stream_ms
    }
}

impl LinkCost {
    /// A row's bytes on the wire, from the table's statistics.
    fn row_wire_bytes(&self, size: Option<TableSize>) -> f64 {
        match size {
            Some(s) if s.rows > 0 && s.bytes > 0 => {
                s.bytes as f64 / s.rows as f64 / STORED_PER_WIRE_BYTE[usize::from(self.compressed)]
            }
            _ => UNKNOWN_ROW_WIRE_BYTES,
        }
    }

    /// Rows per bisection leaf: about what crosses the link in one round
    /// trip, between `MIN_LEAF_ROWS` and `MAX_LEAF_ROWS`.
    pub fn leaf_rows(&self, size: Option<TableSize>) -> u64 {
        let per_round_trip = self.bytes_per_sec as f64 * self.rtt.as_secs_f64();
        ((per_round_trip / self.row_wire_bytes(size)) as u64).clamp(MIN_LEAF_ROWS, MAX_LEAF_ROWS)
    }

    /// Streaming a table of `size` against `alternative`.
    pub fn estimate(&self, size: TableSize, alternative: Alternative) -> CostEstimate {
        let rows = size.rows as f64;
        let rtt = self.rtt.as_secs_f64();
        let bytes_per_sec = self.bytes_per_sec.max(1) as f64;
        let hashing = size.bytes as f64 * HASH_SECS_PER_STORED_BYTE;
        let stream = rtt + rows * self.row_wire_bytes(Some(size)) / bytes_per_sec;
        let other = match alternative {
            Alternative::Bisect => {
                let round_trips =
                    FIXED_ROUND_TRIPS + levels(leaves(size.rows, self.leaf_rows(Some(size))));
                f64::from(round_trips) * rtt + hashing
            }
            Alternative::Hashes => {
                let wire = KEY_HASH_WIRE_BYTES[usize::from(self.hashes_compressed)];
                let round_trips = FIXED_ROUND_TRIPS + hash_parts(size.rows) as u32;
                f64::from(round_trips) * rtt + hashing.max(rows * wire / bytes_per_sec)
            }
        };
        CostEstimate {
            stream_ms: (stream * 1e3) as u64,
            alternative,
            alternative_ms: (other * 1e3) as u64,
        }
    }
}

/// The parts a table of `rows` rows is hashed in, one after the other,
/// each holding at most `HASH_PART_ROWS` (so the differing keys kept for
/// reading stay bounded however big the table).
pub(crate) fn hash_parts(rows: u64) -> u64 {
    rows.div_ceil(HASH_PART_ROWS).max(1)
}

/// How many leaves `rows` rows are cut into for leaves of `leaf_rows`.
pub(crate) fn leaves(rows: u64, leaf_rows: u64) -> u64 {
    rows.div_ceil(leaf_rows.max(1)).clamp(1, MAX_LEAVES)
}

/// The levels of checksums a tree of `leaves` leaves has.
fn levels(leaves: u64) -> u32 {
    let mut levels = 1;
    let mut span = FANOUT as u64;
    while span < leaves {
        span = span.saturating_mul(FANOUT as u64);
        levels += 1;
    }
    levels
}

/// Whether the differing ranges at a level look dense: every range asked
/// differs. Fewer say the differences are scattered thinly (rows
/// differing at random: 12 of 16 ranges differing suggest about 21 rows,
/// under two a range, so one level deeper drops most rows), while all of
/// them differing says nothing of how many there are, and one level
/// deeper would hash every row again for what may be nothing.
pub(crate) fn looks_dense(differing: usize, asked: usize) -> bool {
    differing > 0 && differing >= asked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(ms: u64, mbit: u64) -> LinkCost {
        LinkCost {
            rtt: Duration::from_millis(ms),
            bytes_per_sec: mbit * 1_000_000 / 8,
            compressed: true,
            hashes_compressed: mbit < 40,
        }
    }

    #[test]
    fn slow_links_bisect_and_fast_ones_stream() {
        // 60,000 rows of about 250 stored bytes.
        let size = TableSize {
            rows: 60_000,
            bytes: 15_000_000,
        };
        let bisect = |l: LinkCost, size| l.estimate(size, Alternative::Bisect);
        assert!(
            bisect(link(50, 5), size).prefers_alternative(),
            "{:?}",
            bisect(link(50, 5), size)
        );
        assert!(
            !bisect(link(1, 1000), size).prefers_alternative(),
            "{:?}",
            bisect(link(1, 1000), size)
        );
        // Tiny tables stream: a handful of round trips cost more than their bytes.
        let tiny = TableSize {
            rows: 50,
            bytes: 16_384,
        };
        assert!(!bisect(link(20, 100), tiny).prefers_alternative());
    }

    #[test]
    fn row_hashes_win_where_rows_are_wide_and_the_link_slow() {
        // 600,000 rows of about 300 stored bytes (the benchmark's job_orders).
        let size = TableSize {
            rows: 600_000,
            bytes: 184_000_000,
        };
        let hashes = |l: LinkCost, size| l.estimate(size, Alternative::Hashes);
        assert!(hashes(link(20, 100), size).prefers_alternative());
        assert!(!hashes(link(1, 1000), size).prefers_alternative());
        // Narrow rows: a key and a hash are most of the row.
        let narrow = TableSize {
            rows: 600_000,
            bytes: 24_000_000,
        };
        assert!(!hashes(link(20, 100), narrow).prefers_alternative());
        assert_eq!(hash_parts(600_000), 3);
        assert_eq!(hash_parts(0), 1);
    }

    #[test]
    fn leaves_hold_about_one_round_trip_of_rows() {
        let size = Some(TableSize {
            rows: 100_000,
            bytes: 27_000_000,
        });
        // 100 bytes a row on the wire; 20 ms at 100 Mbit/s carry 250 kB.
        assert_eq!(link(20, 100).leaf_rows(size), 2_500);
        let uncompressed = LinkCost {
            compressed: false,
            ..link(20, 100)
        };
        assert_eq!(uncompressed.leaf_rows(size), 1_388);
        assert_eq!(link(50, 2).leaf_rows(size), MIN_LEAF_ROWS);
        assert_eq!(link(20, 1000).leaf_rows(size), MAX_LEAF_ROWS);
    }

    #[test]
    fn levels_cover_the_leaves() {
        assert_eq!(levels(1), 1);
        assert_eq!(levels(16), 1);
        assert_eq!(levels(17), 2);
        assert_eq!(levels(256), 2);
        assert_eq!(levels(257), 3);
        assert_eq!(leaves(100_000, 2_500), 40);
        assert_eq!(leaves(0, 2_500), 1);
    }

    #[test]
    fn only_every_range_differing_is_dense() {
        assert!(!looks_dense(12, 16));
        assert!(!looks_dense(15, 16));
        assert!(looks_dense(16, 16));
        assert!(looks_dense(1, 1));
        assert!(!looks_dense(0, 16));
    }
}
