"""Fixtures of the server tests: real `callmem serve` processes on loopback ports.

The program is $CALLMEM_BIN (scripts/test-server sets it to the build's
`callmem`). A server is started with --listen 127.0.0.1:0 and its port read
from the line it prints on stderr; its access log goes to a file the test can
read. PostgreSQL tests use $CALLMEM_TEST_PG_DSN (scripts/test starts a server).
"""

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

CALLMEM = os.environ.get("CALLMEM_BIN", str(Path(__file__).resolve().parents[2] / "build" / "cli" / "callmem"))


def run_cli(*args, check=True, env=None):
    """Runs the callmem program; answers the CompletedProcess."""
    p = subprocess.run([CALLMEM, *args], capture_output=True, text=True, env=env, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"callmem {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def create_key(store_args, tenant, name=""):
    p = run_cli("keys", "create", *store_args, "--tenant", tenant, "--json", *(["--name", name] if name else []))
    return json.loads(p.stdout)


class Server:
    """A `callmem serve` process."""

    def __init__(self, store_args, log_path, extra=()):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [CALLMEM, "serve", *store_args, "--listen", "127.0.0.1:0", "--threads", "8", *extra],
            stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 30
        self.port = None
        while time.time() < deadline and self.port is None:
            text = Path(log_path).read_text(errors="replace")
            m = re.search(r"listening on https?://[^:]+:(\d+)", text)
            if m:
                self.port = int(m.group(1))
            elif self.proc.poll() is not None:
                raise AssertionError(f"callmem serve exited {self.proc.returncode}: {text}")
            else:
                time.sleep(0.05)
        if self.port is None:
            raise AssertionError("callmem serve did not say where it listens")
        self.base = f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None, key=None, headers=None, raw=None):
        """Answers (status, headers, parsed JSON body or text)."""
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if key is not None:
            h["Authorization"] = f"Bearer {key}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, hdrs, text = r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            status, hdrs, text = e.code, e.headers, e.read().decode()
        try:
            return status, hdrs, json.loads(text)
        except ValueError:
            return status, hdrs, text

    def access_log(self):
        return Path(self.log_path).read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
        self.log.close()
        return self.proc.returncode


@pytest.fixture
def sqlite_store(tmp_path):
    return ["--db", str(tmp_path / "calls.db")]


@pytest.fixture
def server(sqlite_store, tmp_path):
    s = Server(sqlite_store, tmp_path / "server.log")
    yield s
    s.stop()


@pytest.fixture
def key(sqlite_store):
    return create_key(sqlite_store, "acme", "tests")["key"]


@pytest.fixture
def pg_store():
    dsn = os.environ.get("CALLMEM_TEST_PG_DSN")
    if not dsn:
        pytest.fail("CALLMEM_TEST_PG_DSN is not set: scripts/test starts a PostgreSQL server for these tests")
    # A schema of its own, so that runs never see each other's rows.
    return ["--dsn", dsn, "--schema", f"srv_{uuid.uuid4().hex[:12]}"]
