"""callmem tenant list, stats and check: the database as a whole, on SQLite and PostgreSQL."""

import json
import os
import sqlite3
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from conftest import BUSY, CHECK_FAILED, OK, STORE, USAGE, run, run_json, run_tty, start_request


def old(days):
    return (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def populate(store):
    """acme: 2 customers (3 calls, 1 open intent, 1 resolved), an expired customer; beta: configured only;
    gamma: one key."""
    run_json("call", "start", *store, "--tenant", "acme", start_request("a1"))
    run_json("call", "end", *store, "--tenant", "acme", json.dumps({
        "call_id": "a1", "intent": "refund", "external_ids": {"crm_id": "C1"}}))
    run_json("call", "start", *store, "--tenant", "acme", start_request("a2"))
    run_json("call", "start", *store, "--tenant", "acme", start_request("a3", ani="+14155550000"))
    run_json("call", "end", *store, "--tenant", "acme", json.dumps({
        "call_id": "a3", "intent": "billing", "intent_status": "resolved"}))
    run_json("call", "start", *store, "--tenant", "acme", start_request("gone", ani="+14155559999", at=old(90)))
    run_json("tenant", "set", *store, "--tenant", "beta", "ttl_days=7")
    run_json("keys", "create", *store, "--tenant", "gamma", "--json")


EXPECTED = [
    {"tenant": "acme", "configured": False, "customers": 2, "identifiers": 3, "calls": 3, "open_intents": 1,
     "keys": 0},
    {"tenant": "beta", "configured": True, "customers": 0, "identifiers": 0, "calls": 0, "open_intents": 0,
     "keys": 0},
    {"tenant": "gamma", "configured": False, "customers": 0, "identifiers": 0, "calls": 0, "open_intents": 0,
     "keys": 1},
]


def check_counts(store, store_name):
    populate(store)
    assert run_json("tenant", "list", *store, "--json") == EXPECTED
    stats = run_json("stats", *store, "--json")
    assert stats["store"] == store_name and stats["tenants"] == EXPECTED
    assert stats["schema_version"] == stats["library_schema_version"] > 0 and stats["size_bytes"] > 0
    checked = run_json("check", *store, "--json")
    assert checked == {"ok": True, "store": store_name, "schema_version": stats["schema_version"],
                       "library_schema_version": stats["schema_version"], "problems": []}
    return stats


def test_counts_stats_and_check_on_sqlite(store, db):
    stats = check_counts(store, "sqlite")
    assert stats["size_bytes"] == os.path.getsize(db)
    # Tables unless --json, also in a pipe.
    listed = run("tenant", "list", *store)
    assert listed.returncode == OK
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["TENANT", "CONFIGURED", "CUSTOMERS", "IDENTIFIERS", "CALLS", "OPEN_INTENTS", "KEYS"]
    assert lines[1].split() == ["acme", "no", "2", "3", "3", "1", "0"]
    assert lines[2].split() == ["beta", "yes", "0", "0", "0", "0", "0"]
    t = run_tty("stats", *store)
    assert t.returncode == OK and t.stdout.startswith("Database statistics\nstore                   sqlite\n")
    assert "tenants:" in t.stdout and any(l.split()[:2] == ["gamma", "false"] for l in t.stdout.splitlines())
    c = run("check", *store)
    assert c.returncode == OK and c.stdout.startswith("ok: sqlite, schema version ")


def test_counts_stats_and_check_on_postgres(pg_store):
    check_counts(pg_store, "postgres")
    c = run("check", *pg_store)
    assert c.returncode == OK and c.stdout.startswith("ok: postgres, schema version ")


def test_check_finds_a_damaged_sqlite_database(store, db):
    populate(store)
    # An index whose definition no longer matches its entries, as a damaged file would have.
    with sqlite3.connect(db) as c:
        c.execute("PRAGMA writable_schema = ON")
        c.execute("UPDATE sqlite_master SET sql = replace(sql, 'ON customers(expiry_day)', 'ON customers(created_at)') "
                  "WHERE name = 'customers_expiry'")
    p = run("check", *store)
    assert p.returncode == CHECK_FAILED, p.stderr
    assert "problem: integrity_check: " in p.stdout and "customers_expiry" in p.stdout
    assert "problem" in p.stderr
    report = json.loads(run("check", *store, "--json").stdout)
    assert report["ok"] is False and any("customers_expiry" in x for x in report["problems"])
    # A table gone.
    with sqlite3.connect(db) as c:
        c.execute("DROP TABLE merge_rows")
    p = run("check", *store)
    assert p.returncode == CHECK_FAILED and "problem: table merge_rows is missing" in p.stdout


def test_check_finds_an_invalid_postgres_index(pg_store):
    populate(pg_store)
    dsn, schema = pg_store[1], pg_store[3]
    made = subprocess.run(["psql", dsn, "-v", "ON_ERROR_STOP=0", "-c",
                           f'CREATE UNIQUE INDEX CONCURRENTLY broken ON "{schema}".calls(tenant)'],
                          capture_output=True, text=True, timeout=60)
    assert "could not create unique index" in made.stderr
    p = run("check", *pg_store)
    assert p.returncode == CHECK_FAILED and "problem: index broken is invalid" in p.stdout


def test_the_database_commands_refuse_what_is_not_there(tmp_path):
    for command in (["stats"], ["check"], ["tenant", "list"]):
        missing = tmp_path / "typo.db"
        p = run(*command, "--db", str(missing))
        assert p.returncode == STORE and "typo.db" in p.stderr and not missing.exists(), command
        p = run(*command, "--bogus")
        assert p.returncode == USAGE and "--bogus" in p.stderr, command
        p = run(*command, "--help")
        assert p.returncode == OK and "Example:" in p.stdout and f"callmem {' '.join(command)} " in p.stdout
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    p = run("check", "--db", str(notes))
    assert p.returncode == STORE and notes.read_text() == "not a database\n"
    p = run("stats", "--dsn", "postgresql://nobody@127.0.0.1:1/none", "--json")
    assert p.returncode == BUSY and "cannot connect" in p.stderr and p.stdout == ""  # unreachable: retry later
