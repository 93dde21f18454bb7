//! `lockstep graph`: the FK dependency graph as text, Graphviz DOT or
//! Mermaid, with cycles marked. It owns `GraphFormat` (the binary maps
//! `--format` to it) and uses only `catalog::deps`.

use std::fmt::Write;

use crate::catalog::deps::DependencyGraph;

/// How `lockstep graph` draws the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// Indented plain text.
    Text,
    /// Graphviz dot.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

pub fn render(graph: &DependencyGraph, order: &[String], format: GraphFormat) -> String {
    match format {
        GraphFormat::Text => text(graph, order),
        GraphFormat::Dot => dot(graph),
        GraphFormat::Mermaid => mermaid(graph),
    }
}

fn text(graph: &DependencyGraph, order: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Tables: {}", graph.dependencies.len());
    let _ = writeln!(out, "\nForeign key dependencies:");
    for dep in graph
        .dependencies
        .iter()
        .filter(|d| !d.depends_on.is_empty())
    {
        let _ = writeln!(
            out,
            "   {} depends on: {}",
            dep.table,
            dep.depends_on.join(", ")
        );
    }
    let _ = writeln!(out, "\nCycles: {}", graph.cycles.len());
    for cycle in &graph.cycles {
        let _ = writeln!(out, "   cycle: {} -> {}", cycle.join(" -> "), cycle[0]);
    }
    for table in &graph.self_references {
        let _ = writeln!(out, "   self-reference: {table} -> {table}");
    }
    let _ = writeln!(out, "\nSync order (parents first):");
    for (i, table) in order.iter().enumerate() {
        let mark = if graph.in_cycle(table) {
            "  (cycle)"
        } else {
            ""
        };
        let _ = writeln!(out, "   {:>3}. {table}{mark}", i + 1);
    }
    out
}

fn dot_id(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

fn dot(graph: &DependencyGraph) -> String {
    let mut out = String::from("digraph fk {\n  rankdir=LR;\n  node [shape=box];\n");
    for dep in &graph.dependencies {
        let style = if graph.in_cycle(&dep.table) {
            " [color=red]"
        } else {
            ""
        };
        let _ = writeln!(out, "  {}{style};", dot_id(&dep.table));
    }
    for dep in &graph.dependencies {
        for parent in &dep.depends_on {
            let cyclic = graph
                .cycle_of(&dep.table)
                .is_some_and(|c| c.contains(parent));
            let style = if cyclic { " [color=red]" } else { "" };
            let _ = writeln!(
                out,
                "  {} -> {}{style};",
                dot_id(&dep.table),
                dot_id(parent)
            );
        }
    }
    for table in &graph.self_references {
        let _ = writeln!(out, "  {} -> {} [color=red];", dot_id(table), dot_id(table));
    }
    out.push_str("}\n");
    out
}

fn mermaid_id(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn mermaid(graph: &DependencyGraph) -> String {
    let mut out = String::from("graph LR\n");
    for dep in &graph.dependencies {
        let _ = writeln!(
            out,
            "  {}[\"{}\"]",
            mermaid_id(&dep.table),
            dep.table.replace('"', "#quot;")
        );
    }
    for dep in &graph.dependencies {
        for parent in &dep.depends_on {
            let cyclic = graph
                .cycle_of(&dep.table)
                .is_some_and(|c| c.contains(parent));
            let arrow = if cyclic { "==>|cycle|" } else { "-->" };
            let _ = writeln!(
                out,
                "  {} {arrow} {}",
                mermaid_id(&dep.table),
                mermaid_id(parent)
            );
        }
    }
    for table in &graph.self_references {
        let _ = writeln!(
            out,
            "  {} ==>|self| {}",
            mermaid_id(table),
            mermaid_id(table)
        );
    }
    for dep in graph
        .dependencies
        .iter()
        .filter(|d| graph.in_cycle(&d.table))
    {
        let _ = writeln!(
            out,
            "  style {} stroke:#d00,stroke-width:2px",
            mermaid_id(&dep.table)
        );
    }
    out
}
