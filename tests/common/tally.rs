//! A corpus suite's outcomes: how many cases converge, why each of the
//! others does not (counted by reason), and a floor the converging count
//! may not fall below.

use std::collections::BTreeMap;

pub struct Tally {
    suite: String,
    converged: usize,
    /// Reason, then the cases it stopped, with their details.
    misses: BTreeMap<String, Vec<(String, String)>>,
}

impl Tally {
    pub fn new(suite: &str) -> Tally {
        Tally {
            suite: suite.to_string(),
            converged: 0,
            misses: BTreeMap::new(),
        }
    }

    pub fn converged(&mut self) {
        self.converged += 1;
    }

    /// A case that did not converge, under `reason` (a short line that
    /// several cases share), with `detail` (what happened to this one).
    pub fn missed(&mut self, id: &str, reason: &str, detail: &str) {
        self.misses
            .entry(reason.to_string())
            .or_default()
            .push((id.to_string(), detail.to_string()));
    }

    pub fn total(&self) -> usize {
        self.converged + self.misses.values().map(Vec::len).sum::<usize>()
    }

    /// Prints every miss with its detail, then the counts per reason
    /// (most first) and the converging count.
    pub fn print(&self) {
        for (reason, cases) in &self.misses {
            for (id, detail) in cases {
                println!(
                    "MISS [{}] {id}: {reason}\n    {}",
                    self.suite,
                    detail.replace('\n', "\n    ")
                );
            }
        }
        let mut by_count: Vec<(&String, usize)> =
            self.misses.iter().map(|(r, c)| (r, c.len())).collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        println!(
            "== {}: {} of {} converge",
            self.suite,
            self.converged,
            self.total()
        );
        for (reason, n) in by_count {
            println!("  {n:>4}  {reason}");
        }
    }

    /// Requires at least `floor` converging cases (the figure recorded
    /// when the suite was last raised).
    pub fn assert_floor(&self, floor: usize) {
        assert!(
            self.converged >= floor,
            "{}: {} cases converge, fewer than the {floor} recorded",
            self.suite,
            self.converged
        );
    }
}
