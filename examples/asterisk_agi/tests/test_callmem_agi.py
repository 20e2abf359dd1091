"""Replays transcript.txt through callmem_agi.py: the script runs as Asterisk
runs it (a subprocess, the AGI conversation on stdin and stdout) against a
real database, and must write exactly the recorded commands."""

from __future__ import annotations

import importlib.util
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import callmem

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parent / "callmem_agi.py"

Run = Tuple[List[str], List[str], List[str]]  # arguments, lines to stdin, lines expected on stdout


def read_transcript(path: Path) -> List[Run]:
    runs: List[Run] = []
    for line in path.read_text().splitlines():
        if line.startswith("== "):
            runs.append((shlex.split(line[3:]), [], []))
        elif line == "<<" or line.startswith("<< "):
            runs[-1][1].append(line[3:])
        elif line.startswith(">> "):
            runs[-1][2].append(line[3:])
    return runs


def matches(expected: str, actual: str, refs: Dict[str, str]) -> bool:
    """expected with its placeholders (<ref:NAME>, <confidence>) matches actual."""
    pattern = ""
    names: List[str] = []
    for part in re.split(r"(<ref:\w+>|<confidence>)", expected):
        if part == "<confidence>":
            pattern += r"(?:0|1|0\.\d+)"
        elif part.startswith("<ref:"):
            names.append(part[5:-1])
            pattern += r"([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})"
        else:
            pattern += re.escape(part)
    m = re.fullmatch(pattern, actual)
    if not m:
        return False
    for name, value in zip(names, m.groups()):
        if refs.setdefault(name, value) != value:
            return False
        if any(other != name and v == value for other, v in refs.items()):
            return False
    return True


def test_recorded_conversation(tmp_path: Path) -> None:
    env = dict(os.environ, CALLMEM_DB=str(tmp_path / "calls.db"), CALLMEM_TENANT="acme")
    refs: Dict[str, str] = {}
    runs = read_transcript(HERE / "transcript.txt")
    assert len(runs) == 6
    for args, stdin, expected in runs:
        result = subprocess.run([sys.executable, str(SCRIPT), *args], input="\n".join(stdin) + "\n",
                                env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        written = result.stdout.splitlines()
        assert len(written) == len(expected), f"{args}: wrote {written}"
        for want, got in zip(expected, written):
            assert matches(want, got, refs), f"{args}: expected {want!r}, wrote {got!r}"
    assert set(refs) == {"caller", "withheld"}

    # What the ends saved: call 1's open intent and name, and call 4's standalone end.
    with callmem.CallMemory(env["CALLMEM_DB"]) as memory:
        customer = memory.get_customer("acme", customer_ref=refs["caller"])
    assert {i["intent"]: i["status"] for i in customer["intents"]} == {
        "refund_request": "open", "address_change": "resolved"}
    assert customer["variables"]["name"]["value"] == "John Doe"


def test_values_stay_on_one_quoted_line() -> None:
    spec = importlib.util.spec_from_file_location("callmem_agi", SCRIPT)
    assert spec and spec.loader
    agi_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(agi_module)
    out = io.StringIO()
    agi = agi_module.Agi(io.StringIO("agi_uniqueid: 1.1\n\n200 result=1\n"), out)
    agi.set_variable("CALLMEM_NAME", 'Jo "JJ" \\ Doe\nHANGUP\r\nEXEC Dial')
    assert out.getvalue() == 'SET VARIABLE CALLMEM_NAME "Jo \\"JJ\\" \\\\ Doe HANGUP EXEC Dial"\n'
