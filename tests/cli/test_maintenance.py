"""callmem purge, and what every command says about itself."""

import json
from datetime import datetime, timedelta, timezone

from conftest import CALLMEM, INVALID, OK, STORE, USAGE, count, run, run_json, run_tty, start_request


def old(days):
    t = datetime.now(timezone.utc) - timedelta(days=days)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def make_history(store, expired, live):
    for i in range(expired):
        run_json("call", "start", *store, "--tenant", "acme" if i % 2 else "beta",
                 start_request(f"old{i}", ani=f"+1415555{i:04d}", at=old(60)))
    for i in range(live):
        run_json("call", "start", *store, "--tenant", "acme", start_request(f"new{i}", ani=f"+1415666{i:04d}"))


def test_purge_runs_batches_until_nothing_expired_is_left(store, db):
    make_history(store, expired=5, live=2)
    assert count(db, "calls") == 7
    p = run("purge", *store, "--limit", "4")
    assert p.returncode == OK, p.stderr
    batches = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(batches) >= 3 and [b["more"] for b in batches] == [True] * (len(batches) - 1) + [False]
    assert all(sum(b["deleted"].values()) <= 4 for b in batches)
    assert sum(b["deleted"]["calls"] for b in batches) == 5
    assert sum(b["deleted"]["customers"] for b in batches) == 5
    assert count(db, "calls") == 2 and count(db, "customers") == 2
    # Nothing left: one batch, nothing deleted.
    assert [json.loads(l) for l in run("purge", *store).stdout.splitlines()] == [
        {"deleted": {k: 0 for k in batches[0]["deleted"]}, "more": False}]


def test_purge_on_a_terminal_shows_progress_and_a_summary(store, db):
    make_history(store, expired=3, live=1)
    t = run_tty("purge", *store, "--limit", "2", stderr_tty=True)
    assert t.returncode == OK
    assert "purge: " in t.stdout and "rows deleted" in t.stdout  # progress (stderr, on the terminal)
    summary = t.stdout[t.stdout.index("Purged "):].splitlines()
    assert summary[0].startswith("Purged ") and "batches of at most 2" in summary[0]
    rows = dict(l.split() for l in summary[2:])
    assert rows["calls"] == "3" and rows["customers"] == "3"
    assert count(db, "calls") == 1
    # Without a terminal on stderr, no progress.
    t = run_tty("purge", *store)
    assert t.returncode == OK and t.stdout.startswith("Purged 0 expired rows in 1 batch of at most 10000\n")
    assert t.stderr == ""


def test_bad_purge_arguments(store, db, tmp_path):
    make_history(store, expired=1, live=0)
    p = run("purge", *store, "--limit", "0")
    assert p.returncode == INVALID and "limit" in p.stderr and p.stdout == ""
    p = run("purge", *store, "--limit", "lots")
    assert p.returncode == USAGE and "--limit" in p.stderr
    assert count(db, "calls") == 1
    p = run("purge", "--db", str(tmp_path / "typo.db"))
    assert p.returncode == STORE and not (tmp_path / "typo.db").exists()


COMMANDS = [
    ["call", "start"], ["call", "end"],
    ["customer", "get"], ["customer", "export"], ["customer", "forget"],
    ["tenant", "show"], ["tenant", "set"],
    ["credits", "grant"], ["usage"], ["feedback"], ["unmerge"], ["purge"],
    ["tenant", "list"], ["stats"], ["check"],
]


def test_every_command_explains_itself_with_an_example():
    top = run("--help")
    assert top.returncode == OK
    for group in {c[0] for c in COMMANDS}:
        assert f"  {group}" in top.stdout, group
    for command in COMMANDS:
        p = run(*command, "--help")
        assert p.returncode == OK, command
        assert "Example:" in p.stdout and f"callmem {' '.join(command)} " in p.stdout, command
        assert "--db" in p.stdout and "--dsn" in p.stdout, command
    p = run("customer")
    assert p.returncode == USAGE and "subcommand" in p.stderr.lower()
    p = run("call", "begin")
    assert p.returncode == USAGE


def test_docs_list_every_exit_status():
    import re
    from pathlib import Path
    import conftest
    doc = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    codes = [int(m) for m in re.findall(r"^\| (\d+) \|", doc, re.M)]
    assert codes == list(range(11))
    assert [conftest.OK, conftest.ERROR, conftest.USAGE, conftest.INVALID, conftest.NOT_FOUND, conftest.CONFLICT,
            conftest.CREDITS, conftest.BUSY, conftest.STORE, conftest.CHECK_FAILED, conftest.REJECTED] == codes
