#!/usr/bin/env python3
"""Turns bench/.work/results.tsv into a markdown table (stdout) and bench/results.md
(bench/results-remote.md for a run over the emulated link).

Input lines: scenario, tool, run, seconds, peak RSS (KB), status, found; with
--link, link-bytes lines: scenario, tool, run, bytes up, bytes down. A tool's
figure is the median over its runs; the ratio is that median divided by
lockstep's median in the same scenario (above 1: lockstep was faster).
"""

import argparse
import datetime
import json
import os
import platform
import statistics
from collections import OrderedDict

TITLES = {
    "initial": "initial copy into an empty target",
    "resync-dense": "re-sync after drift, dense (2.5% of rows differ)",
    "resync-sparse": "re-sync after drift, sparse (0.04% of rows differ)",
    "validate-insync": "validate only, databases in sync",
    "validate-dense": "validate only, dense drift",
}


def mem_total():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                return "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
    return "?"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def fmt_secs(s):
    return "%.2f" % s if s < 100 else "%.0f" % s


def main():
    p = argparse.ArgumentParser()
    for a in ("results", "notes", "data", "out", "commit", "server", "tools", "command"):
        p.add_argument("--" + a, required=True)
    p.add_argument("--fact", action="append", default=[], help="one more line for the facts")
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--runs", type=int, required=True)
    p.add_argument("--link", help="the emulated link, e.g. 20ms/100mbit")
    p.add_argument("--link-bytes", help="bytes the relay carried per run")
    a = p.parse_args()

    carried = {}  # (scenario, tool) -> [(up, down)]
    if a.link_bytes:
        with open(a.link_bytes, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    scenario, tool, _run, up, down = line.rstrip("\n").split("\t")
                    carried.setdefault((scenario, tool), []).append((int(up), int(down)))

    groups = OrderedDict()
    with open(a.results, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            scenario, tool, _run, secs, rss, status, found = line.rstrip("\n").split("\t")
            groups.setdefault(scenario, OrderedDict()).setdefault(tool, []).append(
                (float(secs), int(rss or 0), status, found))

    with open(os.path.join(a.data, "base.json")) as f:
        total_rows = json.load(f)["rows"]
    diverge, jobs = {}, {}
    for prof in ("dense", "sparse"):
        path = os.path.join(a.data, "diverge-%s.json" % prof)
        if os.path.exists(path):
            with open(path) as f:
                d = json.load(f)
            diverge[prof] = d["differing_rows"]
            j = d["tables"]["job_orders"]
            jobs[prof] = j["updated"] + j["extra"] + j["missing"]

    link_head = " link MB down/up |" if a.link else ""
    lines = ["| scenario | tool | median s | rows/s | peak RSS MB | runs ok | differences found "
             "|%s ratio other/lockstep |" % link_head,
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |%s ---: |" % (" ---: |" if a.link else "")]
    failures = []
    for scenario, tools in groups.items():
        base = None
        if "lockstep" in tools:
            ok = [r[0] for r in tools["lockstep"] if r[2] == "ok"]
            base = statistics.median(ok) if ok else None
        for tool, runs in tools.items():
            ok_runs = [r for r in runs if r[2] == "ok"]
            use = ok_runs or runs
            med = statistics.median(r[0] for r in use)
            rss = statistics.median(r[1] for r in use) / 1024
            found = sorted({r[3] for r in ok_runs if r[3]})
            found = "/".join(found) if found else "—"
            rate = "%d" % (total_rows / med) if scenario == "initial" and ok_runs else "—"
            if tool == "lockstep":
                ratio = "1.00 (baseline)" if ok_runs else "—"
            elif base and ok_runs:
                ratio = "%.2f×" % (med / base)
            else:
                ratio = "—"
            med_txt = fmt_secs(med) if ok_runs else "(%s)" % fmt_secs(med)
            link_cell = ""
            if a.link:
                moved = carried.get((scenario, tool))
                link_cell = " %.1f / %.1f |" % (
                    statistics.median(d for _, d in moved) / 1e6,
                    statistics.median(u for u, _ in moved) / 1e6) if moved else " — |"
            lines.append("| %s | %s | %s | %s | %.0f | %d/%d | %s |%s %s |" % (
                scenario, tool, med_txt, rate, rss, len(ok_runs), len(runs), found, link_cell,
                ratio))
            for _, _, st, _ in runs:
                if st != "ok":
                    failures.append("%s / %s: %s" % (scenario, tool, st))
    table = "\n".join(lines)
    print(table)

    with open(a.notes, encoding="utf-8") as f:
        notes = [n.rstrip("\n") for n in f if n.strip()]
    seen = set()
    for fl in failures:
        if fl not in seen:
            seen.add(fl)
            notes.append("- run not counted: " + fl)

    facts = [
        "- date: %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "- machine: %d cores (%s), %s memory, %s" % (os.cpu_count(), cpu_model(), mem_total(),
                                                     platform.platform()),
        "- %s" % a.server,
        "- lockstep commit: %s (release build)" % a.commit,
        "- other tools: %s" % a.tools,
        "- dataset: %d rows in 6 tables (bench/gen.py); dense drift = %s differing rows, "
        "sparse = %s" % (total_rows, diverge.get("dense", "?"), diverge.get("sparse", "?")),
        "- differences found (validate scenarios) should be 0 in sync and %s dense "
        "(%s in job_orders, the only table reladiff compares)" % (
            diverge.get("dense", "?"), jobs.get("dense", "?")),
        *("- %s" % f for f in a.fact),
        "- runs per tool: %d; figures are medians of the runs that succeeded "
        "(a value in parentheses had no successful run)" % a.runs,
    ]
    if a.link:
        facts.append(
            "- link: %s round trip / bandwidth each way, emulated by bench/relay in front of the "
            "source (remote) server only; every tool reaches the source through it; link MB = "
            "bytes the relay carried (down: source to tool, up: tool to source)" % a.link)
    legend = "\n".join("- **%s**: %s" % (k, v) for k, v in TITLES.items() if k in groups)
    doc = ["# lockstep benchmark results", "",
           "Produced by `%s --rows %d --runs %d%s`; see bench/README.md for what each "
           "scenario does and how to read the ratios." % (
               a.command, a.rows, a.runs, " --link %s" % a.link if a.link else ""), "",
           "## Machine", "", *facts, "", "## Scenarios", "", legend, "",
           "## Results", "",
           "Time is wall-clock time of the tool alone (the starting state is restored "
           "before each run and not timed). Peak RSS is the client-side processes' "
           "(the servers' memory is not counted). Ratio = other tool's median / "
           "lockstep's median: above 1 means lockstep was faster.", "",
           table, "", "## Notes", "",
           *(notes or ["- nothing failed"]), ""]
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("\n".join(doc))


if __name__ == "__main__":
    main()
