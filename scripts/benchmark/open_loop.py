"""Open-loop load: postbacks at a constant arrival rate, latency from each intended send time.

wrk keeps K senders busy (closed loop): when the server stalls, the senders wait and send
less, so the stall shows in few samples. An advertiser's server does not wait: postbacks arrive
at their own rate. Here request i is due at start + i/rate whatever happened before; it goes out
on the next free keep-alive connection, and its latency runs from when it was due, so time spent
waiting for a connection (a stall) counts. (wrk2 does this, but Debian has no package of it.)
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import resource
import time
from collections import Counter
from pathlib import Path

from .load import SITE_TOKEN

_TIMEOUT = 10.0
_STATUSES = ("hold", "processing", "pending", "wait", "on_hold", "approve", "cancel")


def paths(seeded: list[str], tag: str):
    """The wrk script's mix: 40% creations (by flow + a unique exto), 50% status changes,
    10% goal or payout changes of seeded leads."""
    base = f"/api/site/{{}}.json?token={SITE_TOKEN}"
    for counter in range(1, 1 << 62):
        roll, click = random.random(), random.choice(seeded)
        if roll < 0.4:
            yield base.format("click") + f"&flow=101&exto={tag}-{counter}"
        elif roll < 0.9:
            yield base.format("status") + f"&click={click}&status={random.choice(_STATUSES)}"
        else:
            extra = f"goal={random.choice(('dep', 'reg'))}" if roll < 0.95 else "pay=12.50"
            yield base.format("status") + f"&click={click}&status=hold&{extra}"


async def _answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        (int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length")),
        0,
    )
    await reader.readexactly(length)
    return int(lines[0].split()[1])


async def _drive(port: int, rate: float, seconds: float, seeded: list[str], senders: int) -> dict:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    latencies: list[float] = []
    codes: Counter = Counter()
    errors = Counter()

    async def sender() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (item := await queue.get()) is not None:
            due, path = item
            try:
                writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                codes[await asyncio.wait_for(_answer(reader), _TIMEOUT)] += 1
                latencies.append(loop.time() - due)
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
                errors[type(error).__name__] += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()

    tasks = [asyncio.create_task(sender()) for _ in range(senders)]
    source = paths(seeded, f"open-{int(time.time())}")
    start = loop.time() + 0.5
    for index in range(int(rate * seconds)):
        due = start + index / rate
        if (delay := due - loop.time()) > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((due, next(source)))
    for _ in tasks:
        queue.put_nowait(None)
    await asyncio.gather(*tasks)
    return _summary(rate, latencies, codes, errors, loop.time() - start)


def _summary(rate, latencies, codes, errors, elapsed) -> dict:
    ordered = sorted(latencies) or [0.0]

    def ms(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000, 2)

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "rate": rate,
        "answered": len(latencies),
        "answered_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": {"p50": ms(0.5), "p99": ms(0.99), "p999": ms(0.999), "max": ms(1.0)},
        "codes": dict(sorted(codes.items())),
        "errors": dict(errors),
        "generator_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
    }


def _child(port, rate, seconds, seeded_file, senders, out) -> None:
    seeded = Path(seeded_file).read_text().split()
    out.send(asyncio.run(_drive(port, rate, seconds, seeded, senders)))


def measure(port: int, rate: float, seconds: float, seeded: Path, senders: int = 64) -> dict:
    """Runs in a process of its own (its CPU is the load generator's, not the bench's)."""
    receiver, sender = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.Process(
        target=_child, args=(port, rate, seconds, str(seeded), senders, sender), daemon=True
    )
    process.start()
    found = receiver.recv() if receiver.poll(seconds + 120) else {"failed": "no answer"}
    process.join(30)
    if process.is_alive():
        process.kill()
    return found
