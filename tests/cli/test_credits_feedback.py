"""callmem credits grant, usage, feedback and unmerge."""

import json

from conftest import (ANI, CONFLICT, CREDITS, INVALID, NOT_FOUND, OK, USAGE, count, run, run_json, run_tty,
                      start_request)


def test_credits_are_granted_once_per_key_and_spent(store, db):
    run_json("tenant", "set", *store, "--tenant", "acme", "billing.enabled=true")
    assert run_json("credits", "grant", *store, "--tenant", "acme", "--amount", "1",
                    "--idempotency-key", "topup-1") == {"balance": 1}
    # The same grant again changes nothing; another amount under its key is a conflict.
    assert run_json("credits", "grant", *store, "--tenant", "acme", "--amount", "1",
                    "--idempotency-key", "topup-1") == {"balance": 1}
    other = run("credits", "grant", *store, "--tenant", "acme", "--amount", "5", "--idempotency-key", "topup-1")
    assert other.returncode == CONFLICT and "topup-1" in other.stderr
    t = run_tty("credits", "grant", *store, "--tenant", "acme", "--amount", "1", "--idempotency-key", "topup-2")
    assert t.returncode == OK and t.stdout.splitlines() == ["Granted 1 credits to tenant acme (topup-2)", "balance  2"]
    for i in (1, 2):
        run_json("call", "start", *store, "--tenant", "acme", start_request(f"c{i}", ani=f"+1415555000{i}"))
    broke = run("call", "start", *store, "--tenant", "acme", start_request("c3", ani="+14155550003"))
    assert broke.returncode == CREDITS and broke.stdout == ""
    assert count(db, "calls") == 2
    usage = run_json("usage", *store, "--tenant", "acme")
    assert usage["balance"] == 0
    assert sum(d["count"] for d in usage["days"] if d["operation"] == "start_new") == 2
    day = usage["days"][0]["day"]
    assert run_json("usage", *store, "--tenant", "acme", "--to", "2001-01-01")["days"] == []
    assert run_json("usage", *store, "--tenant", "acme", "--from", day)["days"] == usage["days"]
    t = run_tty("usage", *store, "--tenant", "acme")
    assert t.returncode == OK and t.stdout.splitlines()[:3] == ["Usage of tenant acme", "balance  0", "days:"]
    assert t.stdout.splitlines()[3].split() == ["DAY", "OPERATION", "COUNT", "CREDITS"]


def test_bad_credit_arguments_write_nothing(store, db):
    run_json("tenant", "set", *store, "--tenant", "acme", "billing.enabled=true")
    for args, code, named in [
        (["--amount", "ten", "--idempotency-key", "k"], USAGE, "--amount"),
        (["--idempotency-key", "k"], USAGE, "--amount"),
        (["--amount", "10"], USAGE, "--idempotency-key"),
        (["--amount", "0", "--idempotency-key", "k"], INVALID, "amount"),
        (["--amount", "-5", "--idempotency-key", "k"], INVALID, "amount"),
        (["--amount", "10", "--idempotency-key", ""], INVALID, "idempotency_key"),
    ]:
        p = run("credits", "grant", *store, "--tenant", "acme", *args)
        assert p.returncode == code and named in p.stderr, (args, p.stderr)
    assert count(db, "credit_grants") == 0
    p = run("usage", *store, "--tenant", "acme", "--from", "yesterday")
    assert p.returncode == INVALID and "from" in p.stderr


def test_feedback_and_unmerge(store, db):
    first = run_json("call", "start", *store, "--tenant", "acme", start_request("c1"))
    run_json("call", "end", *store, "--tenant", "acme", json.dumps({"call_id": "c1", "external_ids": {"crm_id": "A1"}}))
    # The same person from another number: a new customer, then corrected to the first.
    second = run_json("call", "start", *store, "--tenant", "acme", start_request("c2", ani="+14155550000"))
    assert second["customer_ref"] != first["customer_ref"]
    confirmed = run_json("feedback", *store, "--tenant", "acme", "--call-id", "c1", "confirmed")
    assert confirmed["outcome"] == "confirmed" and confirmed["customer_ref"] == first["customer_ref"]
    t = run_tty("feedback", *store, "--tenant", "acme", "--call-id", "c2", "corrected", "--ref", first["customer_ref"])
    assert t.returncode == OK, t.stderr
    assert t.stdout.splitlines()[0] == "Feedback on call c2: corrected"
    merge_id = [l.split()[1] for l in t.stdout.splitlines() if l.strip().startswith("merge_id")][0]
    assert run_json("customer", "get", *store, "--tenant", "acme", "--ani", "+14155550000")["customer_ref"] == \
        first["customer_ref"]
    undone = run_json("unmerge", *store, "--tenant", "acme", "--merge-id", merge_id)
    assert undone["restored_customer_ref"] == second["customer_ref"]
    again = run("unmerge", *store, "--tenant", "acme", "--merge-id", merge_id)
    assert again.returncode == OK and json.loads(again.stdout) == undone


def test_bad_feedback_names_the_problem_and_writes_nothing(store, db):
    run_json("call", "start", *store, "--tenant", "acme", start_request("c1"))
    cases = [
        (["--call-id", "c1", "maybe"], USAGE, "OUTCOME"),
        (["confirmed"], USAGE, "--call-id"),
        (["--call-id", "c1"], USAGE, "OUTCOME"),
        (["--call-id", "nope", "confirmed"], NOT_FOUND, "nope"),
        (["--call-id", "c1", "corrected"], INVALID, "customer_ref"),
        (["--call-id", "c1", "confirmed", "--ref", "x"], INVALID, "customer_ref"),
    ]
    for args, code, named in cases:
        p = run("feedback", *store, "--tenant", "acme", *args)
        assert p.returncode == code and named in p.stderr, (args, p.returncode, p.stderr)
    p = run("unmerge", *store, "--tenant", "acme", "--merge-id", "00000000-0000-4000-8000-000000000000")
    assert p.returncode == NOT_FOUND and "merge" in p.stderr
    p = run("unmerge", *store, "--tenant", "acme")
    assert p.returncode == USAGE and "--merge-id" in p.stderr
    assert count(db, "feedback_stats") == 0 and count(db, "merges") == 0
