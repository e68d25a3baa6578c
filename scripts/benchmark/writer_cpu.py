"""The write path alone: CPU ms per postback of deciding and saving, in the calling thread.

`python -m benchmark.writer_cpu [--postbacks N] [--batch B] [--profile] [--read-models]`
(PYTHONPATH=scripts, and a ref's code first on PYTHONPATH for its A). It starts an embedded
PostgreSQL, seeds the demo catalog and clicks, then hands `PostbackProcessor.process` batches of
the bench's mix (40% creations, 50% status changes, 10% goal or payout changes) and reports the
thread's CPU time per postback: what the writer thread spends, without HTTP, read models or the
load of other processes (thread CPU time does not count the time others hold the cores).
`--profile` prints cProfile's top functions. `--read-models` then catches the read models up
over what was written (pages of the runner's size, as `serve`'s projections process does) and
reports that thread's CPU per postback, in all and by projection (and profiles it instead of
the writer with `--profile`).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import shutil
import tempfile
import time
from pathlib import Path

from app.eventstore.application import LedgerApplication
from app.eventstore.database import embedded_address, start_embedded
from app.postbacks.catalog_cache import CatalogCache
from app.postbacks.processing import CREATION, STATUS_CHANGE, PostbackProcessor, PostbackRequest

from .seed import seed

TOKEN = "7-s3cr3t"  # the demo catalog's site token of offer-1
# As in postbacks.lua: mostly working statuses, now and then a final one.
_STATUSES = ("hold", "processing", "pending", "wait", "on_hold") * 2 + ("approve", "cancel")


def requests(fresh: list[str], with_lead: list[str], count: int, rng: random.Random) -> list:
    made = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.4 and fresh:
            endpoint, params = CREATION, {"click": fresh.pop()}
        elif draw < 0.9:
            params = {"click": rng.choice(with_lead), "status": rng.choice(_STATUSES)}
            endpoint = STATUS_CHANGE
        else:
            params = {"click": rng.choice(with_lead), "status": "hold"}
            if rng.random() < 0.5:
                params["goal"] = rng.choice(["dep", "reg"])
            else:
                params["pay"] = f"{rng.randint(10, 99)}.{rng.randint(10, 99)}"
            endpoint = STATUS_CHANGE
        params = {"token": TOKEN, **params}
        made.append(
            PostbackRequest(
                endpoint=endpoint,
                method="GET",
                params=params,
                raw_params={k: [v] for k, v in params.items()},
                source_ip="127.0.0.1",
                request_id=f"r{rng.getrandbits(32):x}",
            )
        )
    return made


def measure(postbacks: int, batch: int, profile: bool, read_models: bool = False) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="plb-w-", dir="/tmp"))
    server = start_embedded(folder / "pg")
    try:
        address = embedded_address(server)
        seeded = seed(address, folder, 5000, int(postbacks * 0.45), 1)
        with_lead = seeded.with_lead.read_text().split()
        fresh = seeded.fresh[0].read_text().split()
        app = LedgerApplication(env=address.eventsourcing_env(pool_size=2))
        try:
            processor = PostbackProcessor(app, CatalogCache(app))
            rng = random.Random(27)
            warm = requests(fresh, with_lead, 2 * batch, rng)
            processor.process(warm[:batch])
            processor.process(warm[batch:])
            runner = _caught_up_runner(app, address) if read_models else None
            work = requests(fresh, with_lead, postbacks, rng)
            profiler = cProfile.Profile() if profile and not read_models else None
            cpu, wall = time.thread_time(), time.monotonic()
            if profiler:
                profiler.enable()
            outcomes: dict[str, int] = {}
            for start in range(0, len(work), batch):
                for result in processor.process(work[start : start + batch]):
                    outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
            if profiler:
                profiler.disable()
            cpu, wall = time.thread_time() - cpu, time.monotonic() - wall
            if read_models:
                profiler = cProfile.Profile() if profile else None
                read_cpu = _catch_up_cpu(runner, profiler) * 1000 / postbacks
        finally:
            app.close()
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(35)
    figures = {}
    if read_models:
        figures["read_models_cpu_ms_per_postback"] = round(read_cpu, 4)
        figures["of_it_by_projection"] = {
            name: round(seconds * 1000 / postbacks, 4)
            for name, seconds in runner.cpu_by_projection.items()
        }
    return {
        **figures,
        "postbacks": postbacks,
        "batch": batch,
        "writer_cpu_ms_per_postback": round(cpu * 1000 / postbacks, 4),
        "wall_ms_per_postback": round(wall * 1000 / postbacks, 4),
        "outcomes": outcomes,
    }


def _caught_up_runner(app, address):
    """The read models' runner, caught up over the seed and the warm-up (not counted)."""
    from app.services import build_projections
    from projections.runner import ProjectionRunner

    projections = build_projections(CatalogCache(app))
    runner = ProjectionRunner(app, address, projections)
    runner.catch_up()
    runner.cpu_by_projection = {}  # thread CPU seconds of each projection's `process`
    for projection in projections:
        for method in ("process", "process_stored"):
            if hasattr(projection, method):
                timed = _timed(
                    getattr(projection, method), projection.name, runner.cpu_by_projection
                )
                setattr(projection, method, timed)
    return runner


def _timed(process, name: str, totals: dict):
    def timed(cursor, *args):
        cpu = time.thread_time()
        try:
            return process(cursor, *args)
        finally:
            totals[name] = totals.get(name, 0.0) + time.thread_time() - cpu

    return timed


def _catch_up_cpu(runner, profiler) -> float:
    """Seconds of thread CPU the read models take to catch up over the measured postbacks,
    with the garbage collector tuned as in `projections run`'s process."""
    from app.ops.gc_tuning import tune_garbage_collector

    tune_garbage_collector()
    cpu = time.thread_time()
    if profiler:
        profiler.enable()
    runner.catch_up()
    if profiler:
        profiler.disable()
    return time.thread_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postbacks", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--read-models", action="store_true")
    args = parser.parse_args()
    print(measure(args.postbacks, args.batch, args.profile, args.read_models))


if __name__ == "__main__":
    main()
