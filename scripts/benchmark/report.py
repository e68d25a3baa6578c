"""The figures of one benchmark run: printed for people, written as JSON for later comparison."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path

from . import cpu, deliveries, nodes, sender_levers, writes
from .environment import ROOT


def machine() -> dict:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "commit": commit,
    }


def write(results: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


def _load_lines(name: str, run: dict) -> list[str]:
    latency, lag = run["load"]["latency_ms"], run["lag"]
    return [
        f"{name}: {run['load']['acknowledged_per_second']:,.0f} acknowledged durable postbacks/s"
        f" ({run['load']['acknowledged']:,} in {run['load']['seconds']} s,"
        f" max batch {run['max_batch']}, {run['workers']} worker(s),"
        f" read models: {run['projections']})",
        f"  latency ms: p50 {latency['p50']}  p95 {latency['p95']}  p99 {latency['p99']}"
        f"  max {latency['max']}",
        f"  answers by HTTP code: {run['load']['codes']}"
        + (
            f"  socket errors: {run['load']['socket_errors']}"
            if run["load"]["socket_errors"]
            else ""
        ),
        f"  projection lag ms: p50 {lag.get('p50_ms')}  p99 {lag.get('p99_ms')}"
        f"  max {lag.get('max_ms')}  ({lag.get('samples', 0)} samples,"
        f" {lag.get('unseen', 0)} not visible within 15 s after the load; shown as None)",
        "  CPU ms per acknowledged postback: " + cpu.text(run["cpu_ms_per_postback"]),
        *(
            ["  PostgreSQL writes per postback: " + writes.text(found)]
            if (found := run.get("postgres_writes_per_postback"))
            else []
        ),
        f"  server peak RSS: {run['peak_rss_mb']['largest_process']} MB largest process,"
        f" {run['peak_rss_mb']['all_processes']} MB all processes",
    ]


def _empty_lines(found: dict | None) -> list[str]:
    if not found:
        return []
    latency = found["latency_ms"]
    return [
        f"empty Litestar handler ({found['workers']} worker(s), same granian and wrk load):"
        f" {found['requests_per_second']:,.0f} requests/s; latency ms p50 {latency['p50']}"
        f"  p99 {latency['p99']}"
    ] + [f"  {line}" for line in _open_loop_lines(found.get("open_loop"))]


def _open_loop_lines(found: dict | None) -> list[str]:
    if not found:
        return []
    if "latency_ms" not in found:
        return [f"open loop: {found}"]
    latency = found["latency_ms"]
    return [
        f"open loop at {found['rate']:,.0f} postbacks/s (latency from each intended send time):"
        f" p50 {latency['p50']}  p99 {latency['p99']}  p99.9 {latency['p999']}"
        f"  max {latency['max']} ms; {found['answered']:,} answered"
        f" ({found['answered_per_second']:,.0f}/s), codes {found['codes']}"
        + (f", errors {found['errors']}" if found["errors"] else "")
        + f"; generator CPU {found['generator_cpu_seconds']} s"
    ]


def text(results: dict) -> str:
    lines = [
        f"machine: {results['machine']['cpus']} CPU {results['machine']['cpu']},"
        f" {results['machine']['memory_gb']} GB; PostgreSQL {results['postgres']}"
        f" ({results['database']}); commit {results['machine']['commit']}",
        f"command: {results['command']}",
    ]
    base = results.get("baseline")
    if base:
        lines.append(
            f"baseline ({base['tool']}, {results['connections']} clients):"
            f" {base['insert_commits_per_second']:,.0f} single-row INSERT commits/s"
            + (
                f"; with eventsourcing's LOCK TABLE + NOTIFY: "
                f"{base['locked_append_commits_per_second']:,.0f}/s"
                if "locked_append_commits_per_second" in base
                else ""
            )
        )
    lines += _empty_lines(results.get("empty_handler"))
    for name in ("batched", "naive", "with_deliveries", "deliveries_flat", "at_ref"):
        if name in results:
            lines += _load_lines(name, results[name])
        if name == "batched":
            lines += _open_loop_lines(results.get("open_loop"))
    if "nodes" in results:
        lines += nodes.text(results["nodes"])
    lines += deliveries.text(results.get("deliveries"))
    if flat := results.get("deliveries_flat", {}).get("deliveries"):
        lines.append("every process of serve at one CPU priority (the priority lever's A):")
        lines += deliveries.text(flat)
    if "sender_levers" in results:
        lines.append("sender levers (the sender alone, one run):")
        lines.append(sender_levers.text(results["sender_levers"]))
    for name, value in results.get("ratios", {}).items():
        lines.append(f"ratio {name}: {value}")
    live = results.get("live_catch_up")
    if live:
        lines.append(
            f"live read models taking in the copied events (not timed as rebuild):"
            f" {live['events']:,} events in {live['seconds']} s"
            f" = {live['events_per_second']:,.0f} events/s"
        )
    for name in ("rebuild", "rebuild_at_ref"):
        if rebuild := results.get(name):
            lines.append(
                f"{name.replace('_', ' ')} ({rebuild['command']}): {rebuild['events']:,} events in"
                f" {rebuild['seconds']} s = {rebuild['events_per_second']:,.0f} events/s,"
                f" peak RSS {rebuild['peak_rss_mb']} MB"
                + (f" (code at {rebuild['ref']})" if "ref" in rebuild else "")
            )
    return "\n".join(lines)
