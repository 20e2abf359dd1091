"""Fixtures of the command line's tests: the `callmem` program run as a real process.

The program is $CALLMEM_BIN (scripts/test-cli sets it to the build's
`callmem`). `run` gives it pipes (so it prints the library's JSON), `run_tty`
a pseudo-terminal on stdout (so it prints for a person). The database is a
real SQLite file, read afterwards with Python's sqlite3; PostgreSQL tests use
$CALLMEM_TEST_PG_DSN (scripts/test starts a server).
"""

import json
import os
import pty
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest

CALLMEM = os.environ.get("CALLMEM_BIN", str(Path(__file__).resolve().parents[2] / "build" / "cli" / "callmem"))

# Exit statuses, docs/cli.md.
OK, ERROR, USAGE, INVALID, NOT_FOUND, CONFLICT, CREDITS, BUSY, STORE, CHECK_FAILED, REJECTED = range(11)

ANI = "+14155551234"


def run(*args, input=None, env=None):
    """Runs callmem with pipes; answers the CompletedProcess (text)."""
    return subprocess.run([CALLMEM, *args], input=input, capture_output=True, text=True, env=env, timeout=120,
                          stdin=None if input is not None else subprocess.DEVNULL)


def run_json(*args, input=None):
    """Runs callmem, which must succeed, and parses its stdout."""
    p = run(*args, input=input)
    assert p.returncode == OK, f"callmem {' '.join(args)} exited {p.returncode}: {p.stderr}"
    return json.loads(p.stdout)


class Terminal:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_tty(*args, stderr_tty=False, stdin_tty=False):
    """Runs callmem with stdout (and optionally stderr and stdin) on a pseudo-terminal."""
    master, slave = pty.openpty()
    p = subprocess.Popen([CALLMEM, *args], stdout=slave, stderr=slave if stderr_tty else subprocess.PIPE,
                         stdin=slave if stdin_tty else subprocess.DEVNULL)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the program closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    err = p.stderr.read().decode() if p.stderr else ""
    p.wait(timeout=120)
    return Terminal(p.returncode, out.decode().replace("\r\n", "\n"), err)


def count(path, table, where="1=1"):
    with sqlite3.connect(path) as c:
        return c.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]


def start_request(call_id, ani=ANI, **extra):
    return json.dumps({"call_id": call_id, "identity_hints": {"ani": ani}, "telco": {"line_type": "mobile"}, **extra})


@pytest.fixture
def db(tmp_path):
    return tmp_path / "calls.db"


@pytest.fixture
def store(db):
    return ["--db", str(db)]


@pytest.fixture
def pg_store():
    dsn = os.environ.get("CALLMEM_TEST_PG_DSN")
    if not dsn:
        pytest.fail("CALLMEM_TEST_PG_DSN is not set: scripts/test starts a PostgreSQL server for these tests")
    # A schema of its own, so that runs never see each other's rows.
    return ["--dsn", dsn, "--schema", f"cli_{uuid.uuid4().hex[:12]}"]
