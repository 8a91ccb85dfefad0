#!/usr/bin/env python3
"""Prints the table of scripts/bench/llm-latency.sh from the JSON lines llm-load wrote.

Usage: llm-latency-report.py PASS.jsonl [PASS.jsonl ...]
       llm-latency-report.py --sustained NAME PASS.jsonl   (exit 0 when NAME kept up with the rate)

Each file is one run of llm-load (one rate, legs interleaved). "added" is a leg's latency minus the direct leg's
in the same file, for the median and for p99, from the scheduled send time. Optional companion files
PASS.cpu.json ({"leg": cpu_seconds, ...}) add the servers' CPU time per request.
"""
import json
import os
import sys

# The requirement for the gateway: what it adds to a call, at 1,000 requests/s.
ADDED_P50_LIMIT_MS = 0.5
ADDED_P99_LIMIT_MS = 2.0


def load(path):
    legs = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                report = json.loads(line)
                legs[report["target"]] = report
    return legs


def sustained(report):
    """Kept up: no errors, at least 97% of the rate answered, and no queue building up (median under 100 ms)."""
    latency = report.get("latency_ms") or {}
    return (
        report["errors"] == 0
        and report["achieved_rate"] >= 0.97 * report["rate"]
        and latency.get("p50", float("inf")) < 100.0
    )


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def fmt(value):
    return "-" if value is None else f"{value:.3f}"


def table(path):
    legs = load(path)
    if not legs:
        print(f"{path}: no results")
        return
    cpu = {}
    cpu_path = path[: -len(".jsonl")] + ".cpu.json" if path.endswith(".jsonl") else None
    if cpu_path and os.path.exists(cpu_path):
        with open(cpu_path) as f:
            cpu = json.load(f)
    rate = next(iter(legs.values()))["rate"]
    direct = legs.get("direct")
    base = direct["latency_ms"] if direct and direct.get("latency_ms") else None
    print(f"rate {rate:g}/s ({os.path.basename(path)})")
    header = (
        f"{'leg':<9} {'achieved/s':>10} {'errors':>6} {'p50 ms':>9} {'p99 ms':>9} "
        f"{'added p50':>9} {'added p99':>9} {'send p50':>9} {'send p99':>9} {'rounds p50 (ms)':<30}"
    )
    print(header)
    print("-" * len(header))
    for name, report in legs.items():
        latency = report.get("latency_ms") or {}
        send = report.get("latency_from_send_ms") or {}
        p50, p99 = latency.get("p50"), latency.get("p99")
        added50 = added99 = None
        if base and name != "direct" and p50 is not None:
            added50, added99 = p50 - base["p50"], p99 - base["p99"]
        rounds = " ".join(f"{r['p50']:.3f}" for r in report.get("rounds", []))
        print(
            f"{name:<9} {report['achieved_rate']:>10.1f} {report['errors']:>6} {fmt(p50):>9} {fmt(p99):>9} "
            f"{fmt(added50):>9} {fmt(added99):>9} {fmt(send.get('p50')):>9} {fmt(send.get('p99')):>9} {rounds:<30}"
        )
    if direct:
        # The same difference round by round: each leg's slice runs next to the direct leg's slice of the same
        # round, so a noisy stretch of the machine shows up as one odd round rather than moving the totals.
        direct_rounds = {r["round"]: r for r in direct.get("rounds", [])}
        for name, report in legs.items():
            if name == "direct":
                continue
            pairs = [(r, direct_rounds[r["round"]]) for r in report.get("rounds", []) if r["round"] in direct_rounds]
            if not pairs:
                continue
            d50 = [a["p50"] - b["p50"] for a, b in pairs]
            d99 = [a["p99"] - b["p99"] for a, b in pairs]
            print(
                f"  {name}: added per round, p50 {' '.join(f'{d:.3f}' for d in d50)} (median {median(d50):.3f}); "
                f"p99 {' '.join(f'{d:.3f}' for d in d99)} (median {median(d99):.3f})"
            )
    for name, report in legs.items():
        if report.get("first_error"):
            print(f"  {name}: first error: {report['first_error'][:300]}")
        if not sustained(report):
            print(f"  {name}: did not keep up with {rate:g}/s (errors, under 97% answered, or a growing queue)")
    if cpu:
        parts = []
        for process, seconds in cpu.items():
            # The simulator answers every leg's requests: the direct ones and the gateways' calls alike.
            if process == "upstream":
                requests = sum(r.get("sent", 0) for r in legs.values())
            else:
                requests = legs[process].get("sent", 0) if process in legs else 0
            if requests:
                parts.append(f"{process} {seconds * 1e6 / requests:,.0f} µs ({requests} requests)")
        if parts:
            print("  server CPU time per request: " + ", ".join(parts))
    chorus = legs.get("chorus")
    if chorus and base and chorus.get("latency_ms") and rate >= 1000:
        added50 = chorus["latency_ms"]["p50"] - base["p50"]
        added99 = chorus["latency_ms"]["p99"] - base["p99"]
        verdict = "meets" if added50 <= ADDED_P50_LIMIT_MS and added99 <= ADDED_P99_LIMIT_MS else "misses"
        print(
            f"  chorus {verdict} the requirement: added p50 {added50:.3f} ms (limit {ADDED_P50_LIMIT_MS}), "
            f"added p99 {added99:.3f} ms (limit {ADDED_P99_LIMIT_MS})"
        )
    print()


def main(argv):
    if len(argv) >= 3 and argv[0] == "--sustained":
        legs = load(argv[2])
        return 0 if argv[1] in legs and sustained(legs[argv[1]]) else 1
    for path in argv:
        table(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
