"""callmem tenant show|set: a tenant's settings."""

import json

from conftest import INVALID, OK, USAGE, count, run, run_json, run_tty


def test_show_reads_the_defaults_without_writing(store, db):
    run_json("call", "start", *store, "--tenant", "acme",
             json.dumps({"call_id": "c1", "identity_hints": {"ani": "+14155551234"}}))
    shown = run_json("tenant", "show", *store, "--tenant", "acme")
    assert shown["ttl_days"] == 30 and shown["billing"]["enabled"] is False
    assert count(db, "tenants") == 0  # never configured: the defaults, and nothing stored
    t = run_tty("tenant", "show", *store, "--tenant", "acme")
    assert t.returncode == OK and t.stdout.splitlines()[0] == "Settings of tenant acme"
    assert any(l.split() == ["ttl_days", "30"] for l in t.stdout.splitlines())
    assert any(l.split() == ["enabled", "false"] for l in t.stdout.splitlines())


def test_set_by_dotted_keys_and_by_json(store):
    got = run_json("tenant", "set", *store, "--tenant", "acme", "ttl_days=60", "billing.enabled=true",
                   "default_region=GB", "billing.prices.start_new=2", "levels.high=0.75")
    assert got["ttl_days"] == 60 and got["billing"]["enabled"] is True and got["default_region"] == "GB"
    assert got["billing"]["prices"]["start_new"] == 2 and got["levels"]["high"] == 0.75
    assert run_json("tenant", "show", *store, "--tenant", "acme") == got
    got = run_json("tenant", "set", *store, "--tenant", "acme", '{"rate_limit": {"requests_per_minute": 600}}')
    assert got["rate_limit"]["requests_per_minute"] == 600 and got["ttl_days"] == 60
    # A quoted VALUE is a string as JSON says it.
    got = run_json("tenant", "set", *store, "--tenant", "acme", 'default_region="US"')
    assert got["default_region"] == "US"
    # Other tenants keep the defaults.
    assert run_json("tenant", "show", *store, "--tenant", "other")["ttl_days"] == 30
    t = run_tty("tenant", "set", *store, "--tenant", "acme", "ttl_days=90")
    assert t.returncode == OK and t.stdout.startswith("Settings of tenant acme, as stored now\n")
    assert any(l.split() == ["ttl_days", "90"] for l in t.stdout.splitlines())


def test_bad_settings_name_the_setting_and_change_nothing(store):
    before = run_json("tenant", "set", *store, "--tenant", "acme", "ttl_days=45")
    invalid = [
        (["ttl_days=0"], "ttl_days"),
        (["ttl_days=sixty"], "ttl_days"),
        (["billing.enabeld=true"], "enabeld"),
        (["bogus=1"], "bogus"),
        (["default_region=XX"], "default_region"),
        (["ttl_days=60", "billing.enabled=maybe"], "billing.enabled"),
        (['{"ttl_days": 60, "ttl_days": 61}'], "ttl_days"),
    ]
    for args, named in invalid:
        p = run("tenant", "set", *store, "--tenant", "acme", *args)
        assert p.returncode == INVALID and named in p.stderr, (args, p.stderr)
        assert p.stdout == ""
    usage = [
        ([], "KEY=VALUE"),
        (["ttl_days"], "ttl_days"),
        (["=5"], "=5"),
        (["ttl_days=1", "ttl_days=2"], "ttl_days"),
        (["billing=1", "billing.enabled=true"], "billing"),
        (["billing..enabled=true"], "billing..enabled"),
    ]
    for args, named in usage:
        p = run("tenant", "set", *store, "--tenant", "acme", *args)
        assert p.returncode == USAGE and named in p.stderr, (args, p.stderr)
    assert run_json("tenant", "show", *store, "--tenant", "acme") == before
    p = run("tenant", "show", *store, "--tenant", "no/such")
    assert p.returncode == INVALID and "tenant" in p.stderr
