//! The foreign-key dependency graph between tables: which table depends on
//! which, the order to sync them in, and the cycles (strongly connected
//! components) that no order can satisfy; and the order of views by what
//! they read (`read_order`).

use std::collections::{BTreeMap, BTreeSet};

use petgraph::algo::tarjan_scc;
use petgraph::graphmap::DiGraphMap;
use serde::Serialize;

use super::model::Catalog;

/// `pending` ordered so each item comes after the items it reads
/// (`reads(item, name)`), or, `dependents_first`, before them; items keep
/// their order where nothing forces another. A loop cannot be ordered:
/// its items keep their order.
pub fn read_order<T>(
    mut pending: Vec<T>,
    name: impl Fn(&T) -> &str,
    reads: impl Fn(&T, &str) -> bool,
    dependents_first: bool,
) -> Vec<T> {
    let mut ordered = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = (0..pending.len())
            .position(|i| {
                pending.iter().enumerate().all(|(j, other)| {
                    j == i
                        || match dependents_first {
                            // No other pending item reads this one.
                            true => !reads(other, name(&pending[i])),
                            // This one reads no other pending item.
                            false => !reads(&pending[i], name(other)),
                        }
                })
            })
            .unwrap_or(0);
        ordered.push(pending.remove(ready));
    }
    ordered
}

/// How tables are ordered for the data phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Order {
    /// Parents before children (reverse for deletes); cycles kept together.
    Dependency,
    Alphabetical,
    /// These tables first, in this order; the rest after, in dependency order.
    Custom(Vec<String>),
}

/// `table` has foreign keys to each of `depends_on` (self-references left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub table: String,
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyGraph {
    /// Every table, sorted by name, with its parents (may be empty).
    pub dependencies: Vec<Dependency>,
    /// Groups of two or more tables that reference each other in a loop,
    /// each sorted by name; the list sorted by its first table.
    pub cycles: Vec<Vec<String>>,
    /// Tables with a foreign key to themselves.
    pub self_references: Vec<String>,
}

impl DependencyGraph {
    /// Builds the graph of the given tables; FKs to tables outside the set
    /// are ignored (they cannot be ordered against).
    pub fn build(catalog: &Catalog, tables: &[String]) -> DependencyGraph {
        let set: BTreeSet<&str> = tables.iter().map(String::as_str).collect();
        let mut parents: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut self_references = Vec::new();
        for table in catalog
            .tables
            .iter()
            .filter(|t| set.contains(t.name.as_str()))
        {
            let entry = parents.entry(&table.name).or_default();
            for fk in &table.foreign_keys {
                // The parent as the catalog names it: SQLite keeps the
                // REFERENCES clause's spelling, and its names fold case.
                let parent = catalog
                    .table(&fk.referenced_table)
                    .map_or(fk.referenced_table.as_str(), |t| t.name.as_str());
                if parent == table.name {
                    if self_references.last() != Some(&table.name) {
                        self_references.push(table.name.clone());
                    }
                } else if set.contains(parent) {
                    entry.insert(parent);
                }
            }
        }
        let mut graph = DiGraphMap::<&str, ()>::new();
        for (child, ps) in &parents {
            graph.add_node(child);
            for parent in ps {
                graph.add_edge(parent, child, ());
            }
        }
        let mut cycles: Vec<Vec<String>> = tarjan_scc(&graph)
            .into_iter()
            .filter(|scc| scc.len() > 1)
            .map(|scc| {
                let mut names: Vec<String> = scc.into_iter().map(str::to_string).collect();
                names.sort();
                names
            })
            .collect();
        cycles.sort();
        DependencyGraph {
            dependencies: parents
                .into_iter()
                .map(|(table, ps)| Dependency {
                    table: table.to_string(),
                    depends_on: ps.into_iter().map(str::to_string).collect(),
                })
                .collect(),
            cycles,
            self_references,
        }
    }

    /// The cycle a table belongs to, if any.
    pub fn cycle_of(&self, table: &str) -> Option<&[String]> {
        self.cycles
            .iter()
            .find(|c| c.iter().any(|t| t == table))
            .map(Vec::as_slice)
    }

    /// Whether a table sits in a cycle or references itself: its rows
    /// cannot all be written with FK checks on in any order.
    pub fn in_cycle(&self, table: &str) -> bool {
        self.cycle_of(table).is_some() || self.self_references.iter().any(|t| t == table)
    }

    /// Whether a table takes part in foreign keys: it references another
    /// table, is referenced, or sits in a cycle.
    pub fn takes_part(&self, table: &str) -> bool {
        self.dependencies.iter().any(|d| {
            (d.table == table && !d.depends_on.is_empty())
                || d.depends_on.iter().any(|p| p == table)
        }) || self.in_cycle(table)
    }

    /// All tables in sync order (parents first for `Dependency`). Deletes
    /// run in the reverse of this order.
    pub fn order(&self, order: &Order) -> Vec<String> {
        match order {
            Order::Alphabetical => self.dependencies.iter().map(|d| d.table.clone()).collect(),
            Order::Dependency => self.topological(&BTreeSet::new()),
            Order::Custom(first) => {
                let pinned: BTreeSet<&str> = first.iter().map(String::as_str).collect();
                let mut out: Vec<String> = first
                    .iter()
                    .filter(|t| self.dependencies.iter().any(|d| &d.table == *t))
                    .cloned()
                    .collect();
                out.extend(self.topological(&pinned));
                out
            }
        }
    }

    /// Kahn's algorithm over the condensation (a cycle counts as one node,
    /// its tables listed together), smallest name first among the ready ones
    /// so the order is stable from run to run. `placed` tables count as
    /// already done and are left out.
    fn topological(&self, placed: &BTreeSet<&str>) -> Vec<String> {
        let group_of = |t: &str| -> String {
            self.cycle_of(t)
                .map(|c| c[0].clone())
                .unwrap_or_else(|| t.to_string())
        };
        let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut waiting_on: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for dep in &self.dependencies {
            if placed.contains(dep.table.as_str()) {
                continue;
            }
            let group = group_of(&dep.table);
            members
                .entry(group.clone())
                .or_default()
                .push(dep.table.clone());
            let waits = waiting_on.entry(group.clone()).or_default();
            for parent in &dep.depends_on {
                let pg = group_of(parent);
                if pg != group && !placed.contains(parent.as_str()) {
                    waits.insert(pg);
                }
            }
        }
        let mut out = Vec::new();
        while !waiting_on.is_empty() {
            let ready = waiting_on
                .iter()
                .find(|(_, w)| w.is_empty())
                .map(|(g, _)| g.clone())
                // Unreachable for a condensation (it is acyclic); kept total.
                .unwrap_or_else(|| waiting_on.keys().next().cloned().unwrap_or_default());
            waiting_on.remove(&ready);
            for waits in waiting_on.values_mut() {
                waits.remove(&ready);
            }
            out.extend(members.remove(&ready).unwrap_or_default());
        }
        out
    }
}
