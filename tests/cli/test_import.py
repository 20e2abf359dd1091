"""callmem import: a generated history of 50,000 past calls imported by a real process into a real SQLite file,
then recognised as the live path (the same calls one by one through the Python binding) recognises them;
re-import, an import killed with SIGKILL and resumed, bad lines, --strict, CSV, and PostgreSQL."""

import csv
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import stored_answers
from conftest import CALLMEM, INVALID, OK, REJECTED, USAGE, run, run_json, run_tty

# The Python binding over the build's libcallmem.so, for the live path.
BUILD = Path(CALLMEM).resolve().parents[1]
os.environ.setdefault("CALLMEM_LIBRARY", str(BUILD / "libcallmem.so"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))
import callmem  # noqa: E402

CALLS, CALLERS = 50_000, 12_500

INTENTS = ["refund_request", "address_change", "billing_question", "cancel"]
STATUSES = ["open", "open", "resolved", "abandoned"]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def ani(c):
    return f"+1415{5550000 + c:07d}"


class History:
    """Past calls of `callers` callers, each with identifiers of its own, over the 20 days before yesterday: a
    mobile or landline ANI, 40 % a crm_id, 90 % ended with an intent and two variables (the name with a comma
    and quotes, sometimes a line break: CSV has to quote it). `lines` are in file order (shuffled: the import
    sorts); `events` are the starts and ends in the order they happened, as the import applies them."""

    def __init__(self, calls, callers, seed):
        rng = random.Random(seed)
        self.callers = callers
        t = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=21)
        step = 20 * 86400 / calls
        made = []
        for i in range(calls):
            t += timedelta(seconds=rng.uniform(0, 2 * step))
            c = rng.randrange(callers)
            hints = {"ani": ani(c)}
            if c % 5 < 2:
                hints["external_ids"] = {"crm_id": f"CRM{c:06d}"}
            call = {"start": {"call_id": f"hist-{i:06d}", "identity_hints": hints,
                              "telco": {"line_type": "landline" if c % 3 == 0 else "mobile"}, "at": iso(t)}}
            if rng.randrange(10):
                name = f'Caller {c}, "the {c % 7}th"' + ("\nsecond line" if c % 11 == 0 else "")
                end = {"call_id": f"hist-{i:06d}", "intent": INTENTS[rng.randrange(4)],
                       "intent_status": STATUSES[rng.randrange(4)],
                       "variables": {"name": name, "last_call": f"hist-{i:06d}"},
                       "at": iso(t + timedelta(seconds=30 + rng.randrange(3600)))}
                if rng.randrange(10) == 0:
                    end["external_ids"] = {"account_number": f"A{c}"}
                call["end"] = end
            made.append((c, call))
        rng.shuffle(made)
        self.caller_of = [c for c, _ in made]
        self.lines = [call for _, call in made]
        events = []
        for line, call in enumerate(self.lines, 1):
            events.append((call["start"]["at"], line, 0, call["start"]))
            if "end" in call:
                events.append((call["end"]["at"], line, 1, call["end"]))
        events.sort(key=lambda e: e[0:3])
        self.events = events
        self.last = max(e[0] for e in events)

    def ndjson(self):
        return "".join(json.dumps(call) + "\n" for call in self.lines)

    def csv(self, newline="\n"):
        header = ["call_id", "ani", "line_type", "external_ids.crm_id", "at", "ended_at", "intent", "intent_status",
                  "variables.name", "variables.last_call", "end.external_ids.account_number"]
        out = io.StringIO()
        w = csv.writer(out, lineterminator=newline)
        w.writerow(header)
        for call in self.lines:
            s, e = call["start"], call.get("end", {})
            w.writerow([s["call_id"], s["identity_hints"]["ani"], s["telco"]["line_type"],
                        s["identity_hints"].get("external_ids", {}).get("crm_id", ""), s["at"], e.get("at", ""),
                        e.get("intent", ""), e.get("intent_status", ""), e.get("variables", {}).get("name", ""),
                        e.get("variables", {}).get("last_call", ""),
                        e.get("external_ids", {}).get("account_number", "")])
        return out.getvalue()

    def next_start(self, c):
        """The caller's next call, a day after the history."""
        at = datetime.strptime(self.last, "%Y-%m-%dT%H:%M:%S.%fZ") + timedelta(days=1)
        return {"call_id": f"next-{c}", "identity_hints": {"ani": ani(c)}, "telco": {"line_type": "mobile"},
                "at": iso(at)}


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def rename_refs(text, names):
    """customer_refs (random UUIDs) named by their first appearance."""
    return UUID.sub(lambda m: names.setdefault(m.group(0), f"ref{len(names) + 1}"), text)


def dump(path, skip=("usage",)):
    """Every table's rows, calls' answers unpacked, refs renamed (calls first, by call_id, so that the names
    follow the calls), sorted."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as c:
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        tables = ["calls"] + [t for t in tables if t != "calls" and t not in skip]
        names, out = {}, {}
        for t in tables:
            order = " ORDER BY call_id" if t == "calls" else ""
            rows = ["|".join(map(stored_answers.value, r)) for r in c.execute(f"SELECT * FROM {t}{order}")]
            out[t] = sorted(rename_refs("\n".join(rows), names).split("\n"))
        return out


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def answer(a):
    """A start's answer to compare: refs renamed; the variables' ttl_seconds counts down with the clock."""
    for v in a.get("variables", {}).values():
        v.pop("ttl_seconds", None)
    return a


@pytest.fixture(scope="module")
def history():
    return History(CALLS, CALLERS, seed=13)


@pytest.fixture(scope="module")
def history_file(history, tmp_path_factory):
    path = tmp_path_factory.mktemp("history") / "history.ndjson"
    path.write_text(history.ndjson())
    return path


@pytest.fixture(scope="module")
def imported(history_file, tmp_path_factory):
    """The history imported once, uninterrupted."""
    db = tmp_path_factory.mktemp("imported") / "calls.db"
    p = run("import", "--db", str(db), "--tenant", "acme", str(history_file))
    assert p.returncode == OK, p.stderr
    assert json.loads(p.stdout) == {"imported": CALLS, "skipped": 0, "rejected": []}
    return db


def test_imported_history_is_recognised_as_the_live_path_would(history, imported, tmp_path):
    # Each caller's calls went to one customer, and no two callers share one.
    with sqlite3.connect(imported) as db:
        ref_of_call = dict(db.execute("SELECT call_id, customer_ref FROM calls"))
    refs = {}
    for c, call in zip(history.caller_of, history.lines):
        refs.setdefault(c, set()).add(ref_of_call[call["start"]["call_id"]])
    assert all(len(r) == 1 for r in refs.values())
    assert len({next(iter(r)) for r in refs.values()}) == len(refs)
    # A sample of the callers (each has identifiers of its own): their calls one by one through the live path.
    sample = set(range(0, CALLERS, 25))
    with callmem.CallMemory(str(tmp_path / "live.db")) as live:
        for _, line, is_end, request in history.events:
            if history.caller_of[line - 1] in sample:
                (live.end_call if is_end else live.start_call)("acme", request)
        expected = {c: live.start_call("acme", history.next_start(c)) for c in sorted(sample)}
    # Mostly recognised, with what is open for them: the comparison below is not of empty answers.
    assert sum(a["identity"]["recommendation"] == "reuse" for a in expected.values()) > len(sample) // 2
    assert sum(bool(a["open_intents"]) and bool(a["variables"]) for a in expected.values()) > len(sample) // 3
    # Every caller's next call, on a copy (the other tests use the imported file as it is).
    copy = tmp_path / "next.db"
    shutil.copyfile(imported, copy)
    with callmem.CallMemory(str(copy)) as memory:
        for c in range(CALLERS):
            got = memory.start_call("acme", history.next_start(c))
            if c in refs:
                assert got["customer_ref"] == next(iter(refs[c])), f"caller {c}"
            if c in sample:
                assert rename_refs(json.dumps(answer(got)), {}) == rename_refs(json.dumps(answer(expected[c])), {}), \
                    f"caller {c}"


def test_import_again_changes_nothing_and_says_so(history_file, imported):
    before, tables = sha256(imported), dump(imported)
    t = run_tty("import", "--db", str(imported), "--tenant", "acme", str(history_file))
    assert t.returncode == OK, t.stderr
    assert f"Nothing changed: all {CALLS} calls of {history_file} are already there" in t.stdout
    assert sha256(imported) == before and dump(imported) == tables
    assert run_json("import", "--db", str(imported), "--tenant", "acme", str(history_file)) == \
        {"imported": 0, "skipped": CALLS, "rejected": []}


def test_import_killed_halfway_resumes_to_the_same_database(history_file, imported, tmp_path):
    db = tmp_path / "resumed.db"
    p = subprocess.Popen([CALLMEM, "import", "--db", str(db), "--tenant", "acme", "--batch", "500",
                          str(history_file)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = 0
    deadline = time.monotonic() + 100
    while done < CALLS // 3 and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as c:
                done = c.execute("SELECT count(*) FROM calls").fetchone()[0]
        except sqlite3.OperationalError:  # not created yet
            pass
    assert p.poll() is None, "the import ended before it could be killed"
    p.send_signal(signal.SIGKILL)
    assert p.wait(timeout=30) == -signal.SIGKILL
    resumed = run_json("import", "--db", str(db), "--tenant", "acme", str(history_file))
    assert resumed["rejected"] == []
    assert resumed["skipped"] > 0 and resumed["imported"] > 0
    assert resumed["imported"] + resumed["skipped"] == CALLS
    assert dump(db) == dump(imported)


BAD = [
    {"start": {"call_id": "b1", "identity_hints": {"ani": "+14155550001"}, "at": "2025-11-01T09:00:00.000Z"},
     "end": {"intent": "refund_request", "at": "2025-11-01T09:05:00.000Z"}},
    None,  # a blank line: counted
    {"start": {"call_id": "b3", "identity_hints": {"ani": "+14155550003"}}},  # no at
    {"start": {"call_id": "b4", "identity_hints": {"ani": 5}, "at": "2025-11-01T09:00:00.000Z"}},
    "{not json",
    {"start": {"call_id": "b6", "identity_hints": {"ani": "+14155550006"}, "at": "2025-11-01T09:00:00.000Z"},
     "end": {"at": "2025-11-01T08:00:00.000Z"}},  # ends before it starts
    {"start": {"call_id": "b7", "identity_hints": {"ani": "+14155550007"}, "at": "2025-11-01T10:00:00.000Z"}},
]


def bad_file(tmp_path):
    path = tmp_path / "bad.ndjson"
    path.write_text("".join(("" if l is None else l if isinstance(l, str) else json.dumps(l)) + "\n" for l in BAD))
    return path


def paths(summary):
    return [(r["line"], r["call_id"], [".".join(i["path"]) for i in r["error"]["details"]["issues"]])
            for r in summary["rejected"]]


def test_bad_lines_are_each_reported_with_line_and_field_and_the_rest_imported(tmp_path, db, store):
    path = bad_file(tmp_path)
    p = run("import", *store, "--tenant", "acme", str(path))
    assert p.returncode == REJECTED
    summary = json.loads(p.stdout)
    assert summary["imported"] == 2 and summary["skipped"] == 0
    assert paths(summary) == [(3, "b3", ["start.at"]), (4, "b4", ["start.identity_hints.ani"]), (5, "", [""]),
                              (6, "b6", ["end.at"])]
    assert "callmem: import: line 3 (call b3): Validation failed: start.at: at is required" in p.stderr
    assert p.stderr.strip().endswith("callmem: import: 4 lines rejected")
    with sqlite3.connect(db) as c:
        assert sorted(r[0] for r in c.execute("SELECT call_id FROM calls")) == ["b1", "b7"]
    # For a person: a table of the rejected lines.
    t = run_tty("import", *store, "--tenant", "acme", str(path))
    assert t.returncode == REJECTED
    assert "Imported 0 calls from" in t.stdout and "2 skipped (already there); 4 rejected" in t.stdout
    assert re.search(r"^4 +b4 +start\.identity_hints\.ani +", t.stdout, re.M), t.stdout
    assert re.search(r"^5 +- +- +malformed JSON", t.stdout, re.M), t.stdout


def test_strict_stops_at_the_first_refused_line(tmp_path, db, store):
    path = bad_file(tmp_path)
    # A line that does not read stops it before anything is applied.
    p = run("import", *store, "--tenant", "acme", "--strict", str(path))
    assert p.returncode == REJECTED
    summary = json.loads(p.stdout)
    assert summary["imported"] == 0 and summary["stopped_at"] == 3 and summary["not_applied"] == 5
    assert paths(summary) == [(3, "b3", ["start.at"])]
    assert "stopped at line 3" in p.stderr
    assert not db.exists() or run_json("stats", *store, "--json")["tenants"] == []
    # A conflict stops it there, in time order: what came before it stays.
    good = tmp_path / "good.ndjson"
    good.write_text(json.dumps(BAD[0]) + "\n" + json.dumps(BAD[6]) + "\n")
    assert run_json("import", *store, "--tenant", "acme", str(good))["imported"] == 2
    conflict = tmp_path / "conflict.ndjson"
    calls = [{"start": {"call_id": f"s{i}", "identity_hints": {"ani": f"+1415555010{i}"},
                        "at": f"2025-11-01T0{i}:00:00.000Z"}} for i in range(1, 4)]
    calls[1]["start"]["call_id"] = "b7"  # another request under b7's call_id, at 02:00
    conflict.write_text("".join(json.dumps(c) + "\n" for c in calls))
    p = run("import", *store, "--tenant", "acme", "--strict", str(conflict))
    assert p.returncode == REJECTED
    summary = json.loads(p.stdout)
    assert summary["imported"] == 1 and summary["stopped_at"] == 2 and summary["not_applied"] == 1
    assert summary["rejected"][0]["error"]["error"] == "Conflict"
    with sqlite3.connect(db) as c:
        assert sorted(r[0] for r in c.execute("SELECT call_id FROM calls")) == ["b1", "b7", "s1"]


def test_csv_imports_the_same_database_as_ndjson(tmp_path):
    h = History(2000, 500, seed=5)
    (tmp_path / "h.ndjson").write_text(h.ndjson())
    (tmp_path / "h.csv").write_text(h.csv())
    # Excel's way: a BOM and CRLF; and a file without the .csv extension, named by --format.
    (tmp_path / "h.txt").write_bytes(b"\xef\xbb\xbf" + h.csv(newline="\r\n").encode())
    for name, extra in (("h.ndjson", []), ("h.csv", []), ("h.txt", ["--format", "csv"])):
        summary = run_json("import", "--db", str(tmp_path / f"{name}.db"), "--tenant", "acme", *extra,
                           str(tmp_path / name))
        assert summary == {"imported": 2000, "skipped": 0, "rejected": []}, name
    ndjson = dump(tmp_path / "h.ndjson.db")
    assert dump(tmp_path / "h.csv.db") == ndjson
    assert dump(tmp_path / "h.txt.db") == ndjson
    # From stdin, CSV named by --format: all there already.
    p = run("import", "--db", str(tmp_path / "h.csv.db"), "--tenant", "acme", "--format", "csv", "-",
            input=h.csv())
    assert p.returncode == OK and json.loads(p.stdout) == {"imported": 0, "skipped": 2000, "rejected": []}


def test_csv_rows_are_named_by_their_lines_and_columns(tmp_path, db, store):
    path = tmp_path / "calls.csv"
    path.write_text(
        "call_id,ani,at,ended_at,intent,variables.note\n"                                  # 1
        'c2,+14155550002,2025-11-01T09:00:00.000Z,2025-11-01T09:05:00.000Z,refund,"two\n'  # 2
        'lines, a comma and ""quotes"""\n'                                                   # 3
        "\n"                                                                                 # 4
        "c5,+14155550005,2025-11-01T09:00:00.000Z\n"                                         # 5: 3 fields
        "c6,+14155550006,yesterday,,,\n"                                                     # 6
        "c7,+14155550007,2025-11-01T09:00:00.000Z,2025-11-01T08:00:00.000Z,,\n"              # 7
        "c8,,2025-11-01T09:00:00.000Z,,,\n"                                                  # 8
        "c9,+14155550009,2025-11-01T10:00:00Z,,,\n")                                         # 9
    p = run("import", *store, "--tenant", "acme", str(path))
    assert p.returncode == REJECTED, p.stderr
    summary = json.loads(p.stdout)
    assert summary["imported"] == 2
    assert paths(summary) == [(5, "c5", [""]), (6, "c6", ["start.at"]), (7, "c7", ["end.at"]),
                              (8, "c8", ["start.identity_hints"])]
    assert summary["rejected"][0]["error"]["details"]["issues"][0]["message"] == "the row has 3 fields, the header 6"
    with sqlite3.connect(db) as c:
        (value,) = c.execute("SELECT value FROM variables WHERE name = 'note'").fetchone()
    assert json.loads(value) == 'two\nlines, a comma and "quotes"'
    # For a person, the field by its column.
    t = run_tty("import", *store, "--tenant", "acme", str(path))
    assert re.search(r"^6 +c6 +at \(start\.at\) +at must be an ISO-8601 timestamp", t.stdout, re.M), t.stdout
    assert re.search(r"^7 +c7 +ended_at \(end\.at\) +", t.stdout, re.M), t.stdout


@pytest.mark.parametrize("text, message", [
    ("call_id,ani,colour\n", 'line 1: unknown column "colour"'),
    ("ani,at\n", "line 1: no call_id column"),
    ("call_id,ani,start.identity_hints.ani\n", 'column "start.identity_hints.ani" fills the same field as column "ani"'),
    ("call_id,variables.\n", 'column "variables." has an empty name'),
    ("", "line 1: no header"),
    ('call_id,ani,at\nc1,"+1415,2025-11-01T09:00:00.000Z\n', "line 2: a quoted field is not closed"),
    ('call_id,ani,at\nc1,+1415"5",2025-11-01T09:00:00.000Z\n', "line 2: not CSV"),
])
def test_a_csv_that_cannot_be_read_imports_nothing(tmp_path, db, store, text, message):
    path = tmp_path / "calls.csv"
    path.write_text(text)
    p = run("import", *store, "--tenant", "acme", str(path))
    assert p.returncode == INVALID
    assert message in p.stderr
    assert not db.exists()


@pytest.mark.parametrize("args, message", [
    (["--batch", "0"], "--batch"),
    (["--cache-mb", "0"], "--cache-mb"),
    (["--format", "xml"], "--format"),
    ([], "FILE is required"),
])
def test_bad_arguments_write_nothing(tmp_path, db, store, args, message):
    file = [] if not args else [str(bad_file(tmp_path))]
    p = run("import", *store, "--tenant", "acme", *args, *file)
    assert p.returncode == USAGE
    assert message in p.stderr
    assert not db.exists()


def test_a_missing_file_writes_nothing(tmp_path, db, store):
    p = run("import", *store, "--tenant", "acme", str(tmp_path / "nowhere.ndjson"))
    assert p.returncode == USAGE and "cannot read" in p.stderr
    assert not db.exists()


def test_import_into_postgresql(tmp_path, pg_store):
    h = History(2000, 500, seed=7)
    path = tmp_path / "h.ndjson"
    path.write_text(h.ndjson())
    assert run_json("import", *pg_store, "--tenant", "acme", "--batch", "300", str(path)) == \
        {"imported": 2000, "skipped": 0, "rejected": []}
    assert run_json("import", *pg_store, "--tenant", "acme", str(path)) == \
        {"imported": 0, "skipped": 2000, "rejected": []}
    (acme,) = run_json("stats", *pg_store, "--json")["tenants"]
    assert acme["calls"] == 2000 and acme["customers"] == len(set(h.caller_of))
