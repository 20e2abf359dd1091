"""callmem customer get|export|forget: one customer, by --ref, --ani or --external-id."""

import json

from conftest import ANI, INVALID, NOT_FOUND, OK, STORE, USAGE, count, run, run_json, run_tty, start_request


def make_customer(store):
    start = run_json("call", "start", *store, "--tenant", "acme", start_request("c1"))
    run_json("call", "end", *store, "--tenant", "acme", json.dumps({
        "call_id": "c1", "intent": "refund_request", "variables": {"name": "Ann"},
        "external_ids": {"crm_id": "CRM_789"}}))
    return start["customer_ref"]


def test_get_by_each_selector(store):
    ref = make_customer(store)
    by_ref = run_json("customer", "get", *store, "--tenant", "acme", "--ref", ref)
    by_ani = run_json("customer", "get", *store, "--tenant", "acme", "--ani", "(415) 555-1234")
    by_id = run_json("customer", "get", *store, "--tenant", "acme", "--external-id", "crm_id=CRM_789")
    both = run_json("customer", "get", *store, "--tenant", "acme", "--ani", ANI, "--external-id", "crm_id=CRM_789")
    for view in (by_ref, by_id, both):
        assert view == by_ani
    assert by_ref["customer_ref"] == ref and by_ref["variables"]["name"]["value"] == "Ann"
    assert [c["call_id"] for c in by_ref["calls"]] == ["c1"]
    # Paging: one call per page.
    run_json("call", "start", *store, "--tenant", "acme", start_request("c2"))
    page = run_json("customer", "get", *store, "--tenant", "acme", "--ref", ref, "--history-limit", "1")
    assert [c["call_id"] for c in page["calls"]] == ["c2"] and page["next_cursor"]
    rest = run_json("customer", "get", *store, "--tenant", "acme", "--ref", ref, "--history-limit", "1",
                    "--cursor", page["next_cursor"])
    assert [c["call_id"] for c in rest["calls"]] == ["c1"]


def test_get_on_a_terminal(store):
    ref = make_customer(store)
    t = run_tty("customer", "get", *store, "--tenant", "acme", "--ref", ref)
    assert t.returncode == OK, t.stderr
    lines = t.stdout.splitlines()
    assert lines[0] == f"Customer {ref}"
    assert "identities:" in lines and "intents:" in lines and "calls:" in lines
    assert any(l.split()[:2] == ["ani", ANI] for l in lines)
    row = [l.split() for l in lines if l.startswith("  external_id ")]
    assert row and "CRM_789" in row[0] and "crm_id" in row[0]


def test_export_and_forget(store, db):
    ref = make_customer(store)
    other = run_json("call", "start", *store, "--tenant", "acme", start_request("o1", ani="+14155550000"))
    exported = run_json("customer", "export", *store, "--tenant", "acme", "--external-id", "crm_id=CRM_789")
    assert exported["customer_ref"] == ref and exported["variables"]["name"]["value"] == "Ann"
    t = run_tty("customer", "forget", *store, "--tenant", "acme", "--ani", ANI)
    assert t.returncode == OK, t.stderr
    assert t.stdout.splitlines()[0] == f"Forgot customer {ref}: everything stored about them is deleted"
    assert "removed:" in t.stdout
    assert count(db, "customers", f"customer_ref = '{ref}'") == 0
    assert count(db, "customers", f"customer_ref = '{other['customer_ref']}'") == 1
    gone = run("customer", "get", *store, "--tenant", "acme", "--ref", ref)
    assert gone.returncode == NOT_FOUND and gone.stdout == ""
    receipt = run_json("customer", "forget", *store, "--tenant", "acme", "--ref", other["customer_ref"])
    assert receipt["customer_ref"] == other["customer_ref"] and receipt["removed"]["calls"] == 1


def test_bad_selectors_name_the_option_and_change_nothing(store, db, tmp_path):
    ref = make_customer(store)
    cases = [
        ([], "--ref"),
        (["--ref", ref, "--ani", ANI], "--ref"),
        (["--external-id", "crm_id"], "--external-id"),
        (["--external-id", "=x"], "--external-id"),
        (["--external-id", "crm_id=a", "--external-id", "crm_id=b"], "crm_id"),
        (["--history-limit", "many", "--ref", ref], "--history-limit"),
    ]
    for args, named in cases:
        p = run("customer", "get", *store, "--tenant", "acme", *args)
        assert p.returncode == USAGE and named in p.stderr, (args, p.stderr)
        assert p.stdout == ""
    for verb in ("get", "export", "forget"):
        p = run("customer", verb, *store, "--tenant", "acme", "--ani", "+14155550000")
        assert p.returncode == NOT_FOUND and "identity_hints" in p.stderr, (verb, p.stderr)
        p = run("customer", verb, *store, "--tenant", "acme", "--ref", "not-a-ref")
        assert p.returncode in (NOT_FOUND, INVALID) and "customer_ref" in p.stderr, (verb, p.stderr)
    p = run("customer", "get", *store, "--tenant", "acme", "--ref", ref, "--history-limit", "0")
    assert p.returncode == INVALID and "history_limit" in p.stderr
    assert count(db, "customers") == 1 and count(db, "variables") == 1 and count(db, "calls") == 1
    # A database that is not there is not created.
    missing = tmp_path / "typo.db"
    p = run("customer", "forget", "--db", str(missing), "--tenant", "acme", "--ani", ANI)
    assert p.returncode == STORE and "typo.db" in p.stderr and not missing.exists()


def test_a_file_that_is_not_a_callmem_database_is_left_alone(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    p = run("customer", "get", "--db", str(notes), "--tenant", "acme", "--ani", ANI)
    assert p.returncode == STORE and p.stdout == ""
    assert notes.read_text() == "not a database\n"
