"""callmem call start|end: one operation, the request as an argument or on stdin."""

import json

from conftest import ANI, CONFLICT, INVALID, OK, USAGE, count, run, run_json, run_tty, start_request


def test_a_call_as_a_host_makes_it(store, db):
    first = run_json("call", "start", *store, "--tenant", "acme", start_request("c1"))
    assert first["call_id"] == "c1" and first["identity"]["recommendation"] == "ignore"
    end = run_json("call", "end", *store, "--tenant", "acme",
                   json.dumps({"call_id": "c1", "intent": "refund_request", "variables": {"name": "John Doe"}}))
    assert end["customer_ref"] == first["customer_ref"] and end["variables_updated"] == 1
    # The request on stdin, with - or with nothing.
    again = run_json("call", "start", *store, "--tenant", "acme", "-", input=start_request("c2"))
    assert again["customer_ref"] == first["customer_ref"] and again["identity"]["recommendation"] == "reuse"
    assert again["open_intents"][0]["intent"] == "refund_request"
    assert again["variables"]["name"]["value"] == "John Doe"
    third = run_json("call", "start", *store, "--tenant", "acme", input=start_request("c3"))
    assert third["customer_ref"] == first["customer_ref"]
    assert count(db, "calls") == 3


def test_the_answer_is_the_librarys_json_byte_for_byte(store):
    piped = run("call", "start", *store, "--tenant", "acme", start_request("c1"))
    assert piped.returncode == OK and piped.stdout.endswith("}\n") and "\n" not in piped.stdout[:-1]
    # A replay answers the original bytes, on a terminal too with --json.
    replay = run_tty("call", "start", *store, "--tenant", "acme", "--json", start_request("c1"))
    assert replay.returncode == OK and replay.stdout == piped.stdout


def test_on_a_terminal_the_answer_is_laid_out_for_reading(store):
    run_json("call", "start", *store, "--tenant", "acme", start_request("c1"))
    run_json("call", "end", *store, "--tenant", "acme",
             json.dumps({"call_id": "c1", "intent": "refund_request", "variables": {"name": "John Doe"}}))
    t = run_tty("call", "start", *store, "--tenant", "acme", start_request("c2"))
    assert t.returncode == OK, t.stderr
    lines = t.stdout.splitlines()
    assert lines[0].startswith("Call c2: customer ") and "reuse (confidence" in lines[0]
    assert "open_intents:" in lines and "variables:" in lines
    header = lines[lines.index("open_intents:") + 1].split()
    assert header == ["INTENT", "STATUS", "ATTEMPT_COUNT", "FIRST_SEEN", "LAST_SEEN"]
    assert lines[lines.index("open_intents:") + 2].split()[:3] == ["refund_request", "open", "1"]
    name = [l for l in lines if l.strip().startswith("name ")]
    assert name and "John Doe" in name[0]
    e = run_tty("call", "end", *store, "--tenant", "acme", json.dumps({"call_id": "c2", "intent": "refund_request",
                                                                       "intent_status": "resolved"}))
    assert e.returncode == OK and e.stdout.startswith("Call c2 ended: customer ")
    assert "1 intent(s) and 0 variable(s) saved" in e.stdout.splitlines()[0]


def test_a_bad_request_names_its_field_and_writes_nothing(store, db):
    run_json("call", "start", *store, "--tenant", "acme", start_request("c1"))
    bad = run("call", "start", *store, "--tenant", "acme", json.dumps({"call_id": "c2"}))
    assert bad.returncode == INVALID and "identity_hints" in bad.stderr and bad.stdout == ""
    bad = run("call", "start", *store, "--tenant", "acme", "{not json")
    assert bad.returncode == INVALID and bad.stdout == ""
    bad = run("call", "start", *store, "--tenant", "bad tenant!", start_request("c3"))
    assert bad.returncode == INVALID and "tenant" in bad.stderr
    bad = run("call", "end", *store, "--tenant", "acme", json.dumps({"call_id": "c1", "intent_status": "maybe"}))
    assert bad.returncode == INVALID and "intent_status" in bad.stderr
    # The same call_id with another request is a conflict.
    other = run("call", "start", *store, "--tenant", "acme", start_request("c1", ani="+14155550000"))
    assert other.returncode == CONFLICT and "c1" in other.stderr
    assert count(db, "calls") == 1 and count(db, "customers") == 1 and count(db, "intents") == 0


def test_a_missing_request_or_store_is_a_usage_error(store, db, tmp_path):
    # No argument and a terminal on stdin: nothing to read.
    t = run_tty("call", "start", *store, "--tenant", "acme", stdin_tty=True)
    assert t.returncode == USAGE and "stdin" in t.stderr
    no_tenant = run("call", "start", *store, start_request("c1"))
    assert no_tenant.returncode == USAGE and "--tenant" in no_tenant.stderr
    no_store = run("call", "start", "--tenant", "acme", start_request("c1"), env={"PATH": "/usr/bin:/bin"})
    assert no_store.returncode == USAGE and "--db" in no_store.stderr
    both = run("call", "start", *store, "--dsn", "postgresql://nowhere/x", "--tenant", "acme", start_request("c1"))
    assert both.returncode == USAGE and "--db" in both.stderr and "--dsn" in both.stderr
    assert not db.exists()
