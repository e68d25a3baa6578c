"""The postback load: Debian's `wrk` with a Lua script, so the sender is never the bottleneck.

wrk keeps K connections busy for T seconds; `postbacks.lua` builds every request's path from
files of click ids and counts the answers by HTTP code. Every answered postback that is not a
5xx was committed before its answer was sent (rejections are stored too): those are the
acknowledged durable postbacks.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
from pathlib import Path

LUA = Path(__file__).with_name("postbacks.lua")
SITE_TOKEN = "7-s3cr3t"


def ensure_wrk() -> str:
    """wrk from Debian's package; installed on first use (the benchmark runs as root here)."""
    found = shutil.which("wrk")
    if found:
        return found
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=True)
        subprocess.run(install, capture_output=True, check=True)
    return shutil.which("wrk") or "wrk"


def drive(
    base: str,
    seconds: int,
    connections: int,
    seeded: Path,
    fresh: Path,
    tag: str,
    threads: int = 2,
    share: tuple[int, int] | None = None,
) -> dict:
    """`share` (first thread, threads of all wrk processes) splits the fresh clicks between
    several wrk processes run at once."""
    first, total = share or (0, threads)
    command = [
        ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(LUA), base, "--", str(seeded), str(fresh), SITE_TOKEN, tag, str(total),
        str(first),
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK_JSON "))
    raw = json.loads(line.removeprefix("WRK_JSON "))
    return summarise(raw)


def summarise(raw: dict) -> dict:
    seconds = raw["duration_us"] / 1e6
    codes = {int(code): count for code, count in raw["codes"].items()}
    acknowledged = sum(count for code, count in codes.items() if code < 500)
    return {
        "seconds": round(seconds, 2),
        "requests": raw["requests"],
        "acknowledged": acknowledged,
        "acknowledged_per_second": round(acknowledged / seconds, 1),
        "ok_per_second": round(codes.get(200, 0) / seconds, 1),
        "latency_ms": {
            name: round(raw[f"{name}_us"] / 1000, 2) for name in ("p50", "p95", "p99", "max")
        },
        "codes": dict(sorted(codes.items())),
        "socket_errors": {k: v for k, v in raw["socket_errors"].items() if v},
    }


def children_cpu_seconds() -> float:
    """CPU time of the finished child processes (wrk) of this process."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
