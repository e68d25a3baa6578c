"""Whether a follower process `serve` watches (read models, notifier) keeps failing.

`serve` restarts a follower that ends; one that ends again and again (a bad setting, a bug at
start) would otherwise crash-loop unseen while `/health/ready` answers 200. The watcher notes
such a follower in a file of `LEDGER_DATA_DIR` (the HTTP workers are other processes of the same
server, on the same disk) and removes the note once the follower stays up; readiness reads it.
"""

from __future__ import annotations

from pathlib import Path

FAILING_AFTER = 3  # ends in a row, each before it was up HEALTHY_SECONDS
HEALTHY_SECONDS = 10.0
_FOLDER = "followers"


def _note(data_dir: Path, group: str) -> Path:
    return data_dir / _FOLDER / f"{group}.failing"


def mark_failing(data_dir: Path, group: str, detail: str) -> None:
    path = _note(data_dir, group)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(detail)


def mark_healthy(data_dir: Path, group: str) -> None:
    _note(data_dir, group).unlink(missing_ok=True)


def failing(data_dir: Path) -> dict[str, str]:
    """Followers noted as failing, with what was last seen of them."""
    folder = data_dir / _FOLDER
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.glob("*.failing")):
        try:
            found[path.stem] = path.read_text()
        except OSError:  # removed meanwhile: it recovered
            continue
    return found
