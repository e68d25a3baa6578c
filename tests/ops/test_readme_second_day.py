"""README as a new user follows it on the second day: one address, commands that run as written
in a fresh shell, and nothing the examples write left for git to show."""

from __future__ import annotations

import re
import subprocess

from tests.ops.test_readme_examples import readme_text, shell_blocks
from tests.servers import REPOSITORY

# A file an example writes (`-o FILE`, `dump FILE`) or a data folder it makes (`LEDGER_DATA_DIR=`)
_WRITTEN = re.compile(r"(?:\s-o\s+|\bdump\s+)([\w.-][\w./-]*)|LEDGER_DATA_DIR=([\w.-]+)")


def block_lines() -> list[tuple[int, str]]:
    text = readme_text()
    fenced = re.findall(r"^\s*```[^\n]*\n(.*?)^\s*```", text, flags=re.M | re.S)
    lines = [(0, line.strip()) for block in fenced for line in block.splitlines()]
    return lines + [item for block in shell_blocks(text) for item in block]


def test_the_readme_writes_the_address_once_as_base():
    naming = [line for _, line in block_lines() if re.search(r"(127\.0\.0\.1|localhost):\d", line)]

    assert set(naming) == {"BASE=http://127.0.0.1:8000"}, naming


def test_every_readme_command_runs_in_a_fresh_shell():
    bare = [line for _, line in block_lines() if re.match(r"(\w+=\S+\s+)*postback-ledger\b", line)]

    assert bare == [], "use .venv/bin/postback-ledger (nothing puts it on PATH)"


def test_the_files_readme_examples_write_are_ignored_by_git():
    written = sorted(
        {m[1] or f"{m[2]}/" for _, line in block_lines() for m in _WRITTEN.finditer(line)}
    )
    assert written, "the README's examples write no file? (the check found nothing to check)"

    checked = subprocess.run(
        ["git", "check-ignore", "--no-index", *written],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
    )
    assert sorted(checked.stdout.split()) == written
