"""Every curl example in README.md runs as written against a live demo server and answers as
documented.

The examples are the `curl` lines of the README's ```sh and ```bash blocks; a line `# → 200`
right after one documents its HTTP status, and `# → 409 ambiguous_lead` also the `error` code of
the refusal (`# → 200 duplicate`: the `outcome` of an accepted call). A postback's 2xx answer must
say `"status":"ok"`; every JSON refusal must carry an `error` code. The whole README runs twice
against one server: its examples must hold on a store that already has data. The blocks' shell
variable lines (`CLICK=$(curl …)`) run too, in document order, so later lines see their values;
other commands (`./scripts/serve`, `postback-ledger …`) do not. The documented address
http://127.0.0.1:8000 becomes the test server's, and the commands run in a folder where
`.ledger/admin-token` holds its admin token.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from domain.statuses import recognition_table_markdown
from tests.servers import REPOSITORY, LiveServer

README = REPOSITORY / "README.md"
DOCUMENTED_BASES = ("http://127.0.0.1:8000", "http://localhost:8000")
_FENCE = re.compile(r"^\s*```\s*(\S*)\s*$")
_STATUS_NOTE = re.compile(r"^\s*#\s*(?:→|->)\s*(\d{3})(?:\s+(\w+))?\s*$")
_ERROR = re.compile(r'"error"\s*:\s*"(\w+)"')
_OUTCOME = re.compile(r'"outcome"\s*:\s*"(\w+)"')
_OK = re.compile(r'"status"\s*:\s*"ok"')
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_RESULT = re.compile(r"^@@ (\d+) (\d{3}) ?(.*)$")
# Runs one documented curl line: prints "@@ <README line> <HTTP status> <start of the body>".
_CHECKED_CURL = """
checked() {
  local line=$1; shift
  local body; body=$(mktemp)
  local status; status=$(curl "$@" -o "$body" -w '%{http_code}')
  echo "@@ $line $status $(head -c 300 "$body" | tr '\\n' ' ')"
  rm -f "$body"
}
"""


@dataclass(frozen=True)
class Example:
    """A curl line of the README and the HTTP status documented for it (None: not given)."""

    line: int
    command: str
    status: int | None
    code: str | None = None  # the refusal's `error`, or the accepted call's `outcome`


def shell_blocks(text: str) -> list[list[tuple[int, str]]]:
    """The lines (numbered as in the file) of every ```sh or ```bash block."""
    blocks: list[list[tuple[int, str]]] = []
    language: str | None = None  # None outside a fenced block
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fence = _FENCE.match(line)
        if fence and language is None:
            language, lines = fence[1], []
        elif fence:
            if language in ("sh", "bash"):
                blocks.append(lines)
            language = None
        elif language is not None:
            lines.append((number, line))
    return blocks


def examples_and_script(blocks: list[list[tuple[int, str]]], base_url: str):
    """The documented curl examples, and a bash script that runs them with their variables."""
    examples: list[Example] = []
    script = ["set -u", _CHECKED_CURL]
    for block in blocks:
        for index, (number, line) in enumerate(block):
            command = line.strip()
            for documented in DOCUMENTED_BASES:
                command = command.replace(documented, base_url)
            if _ASSIGNMENT.match(command):
                script.append(command)
            elif command.startswith("curl "):
                following = block[index + 1][1] if index + 1 < len(block) else ""
                note = _STATUS_NOTE.match(following)
                examples.append(
                    Example(
                        number,
                        line.strip(),
                        int(note[1]) if note else None,
                        note[2] if note else None,
                    )
                )
                script.append(f"checked {number} {command[len('curl ') :]}")
    return examples, "\n".join(script) + "\n"


def readme_text() -> str:
    if not README.exists():
        pytest.fail(
            "README.md does not exist yet: it must show a curl example for every example of the "
            "postback guide, each followed by a `# → <HTTP status>` line"
        )
    return README.read_text()


def run_examples(script: str, server: LiveServer, folder: Path) -> dict[int, tuple[int, str]]:
    """Run the script where `.ledger/admin-token` and `scripts/` are as in a checkout."""
    (folder / ".ledger").mkdir(parents=True)
    (folder / ".ledger" / "admin-token").write_text(server.admin_token + "\n")
    (folder / "scripts").symlink_to(REPOSITORY / "scripts")
    finished = subprocess.run(
        ["bash", "-c", script], cwd=folder, capture_output=True, text=True, timeout=180
    )
    answers = {}
    for output in finished.stdout.splitlines():
        found = _RESULT.match(output)
        if found:
            answers[int(found[1])] = (int(found[2]), found[3])
    return answers


def mismatch(example: Example, status: int | None, body: str) -> str | None:
    """What is wrong with an answer to a documented example, or None."""
    expected = example.status
    if expected is None:
        if not (status and 200 <= status < 300):
            return "2xx (no `# →` line)"
        return None
    if status != expected:
        return str(expected)
    if not body.lstrip().startswith("{"):
        return None  # a page or a redirect: the status says it all
    if 200 <= expected < 300:
        outcome = _OUTCOME.search(body)
        if "/api/site/" in example.command and not _OK.search(body):
            return f'{expected} with "status":"ok"'
        if example.code and (outcome is None or outcome[1] != example.code):
            return f"{expected} with outcome {example.code}"
        return None
    error = _ERROR.search(body)
    if error is None or (example.code and error[1] != example.code):
        return f"{expected} with error {example.code or '(any code)'}"
    return None


def test_every_curl_example_in_the_readme_answers_as_documented(live_server, tmp_path):
    assert shutil.which("curl"), "curl is needed to run the README's examples"
    examples, script = examples_and_script(shell_blocks(readme_text()), live_server.base_url)
    assert examples, "README.md has no curl examples in ```sh or ```bash blocks"

    wrong = []
    for run in ("on a fresh store", "again, on a store with data"):
        answers = run_examples(script, live_server, tmp_path / f"checkout-{len(wrong)}-{run[:5]}")
        if run == "on a fresh store":
            wrong += ledger_figures_that_do_not_hold(examples, answers)
        for example in examples:
            status, body = answers.get(example.line, (None, "(did not run)"))
            wanted = mismatch(example, status, body)
            if wanted:
                wrong.append(
                    f"README.md:{example.line} ({run}): answered {status}, documented {wanted}\n"
                    f"    {example.command}\n    {body[:200]}"
                )
    assert not wrong, "curl examples that do not answer as documented:\n" + "\n".join(wrong)


_STATED_BALANCES = re.compile(
    r"following this README in order on a new store, it reads\s+`(\{.*?\})`"
)


def ledger_figures_that_do_not_hold(examples: list[Example], answers: dict) -> list[str]:
    """The worked ledger example's balances, as README states them for a reader who followed
    it in order from the Quick start, against what the server answered on that first run."""
    stated = _STATED_BALANCES.search(readme_text())
    if stated is None:
        return ["README.md no longer states the worked example's balances (the check needs them)"]
    [example] = [e for e in examples if "/api/balances?webmaster=wm-1&after=" in e.command]
    answered = json.loads(answers.get(example.line, (None, "{}"))[1]).get("balances")
    if answered == json.loads(stated[1]):
        return []
    return [f"README.md:{example.line}: wm-1's balances are {answered}, README says {stated[1]}"]


def test_a_wrong_documented_error_code_is_caught():
    """The check above can fail: a refusal with another code than documented is reported."""
    example = Example(1, "curl …", 409, "ambiguous_lead")
    body = '{"status":"error","error":"lead_not_found","message":"…"}'
    assert mismatch(example, 409, body) is not None
    assert mismatch(example, 409, body.replace("lead_not_found", "ambiguous_lead")) is None
    assert mismatch(
        Example(2, "curl …", 200, "duplicate"), 200, '{"status":"ok","outcome":"created"}'
    )


def test_the_readme_publishes_the_status_recognition_table_the_service_uses():
    assert recognition_table_markdown() in readme_text()
