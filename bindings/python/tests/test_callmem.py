"""The Python bindings against the real libcallmem.so: round trip, every
exception class from a real failing call, threads, close."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import callmem
from callmem import _native
from conftest import start_request

HEADER = Path(__file__).resolve().parents[3] / "include" / "callmem" / "callmem.h"


def test_round_trip(memory: callmem.CallMemory) -> None:
    first = memory.start_call("acme", start_request("call_001"))
    assert first["call_id"] == "call_001"
    assert first["identity"]["recommendation"] == "ignore"  # a new caller
    assert first["open_intents"] == [] and first["variables"] == {}
    ref = first["customer_ref"]

    end = memory.end_call("acme", call_id="call_001", intent="refund_request", intent_status="open",
                          variables={"name": "John Doe", "order_id": "12345"})
    assert end["customer_ref"] == ref
    assert end["intents_updated"] == 1 and end["variables_updated"] == 2

    # A dict and keyword fields merge, the keywords on top.
    second = memory.start_call("acme", start_request("ignored"), call_id="call_002")
    assert second["call_id"] == "call_002"
    assert second["customer_ref"] == ref
    assert second["identity"]["recommendation"] == "reuse"
    assert [i["intent"] for i in second["open_intents"]] == ["refund_request"]
    assert second["variables"]["name"]["value"] == "John Doe"

    customer = memory.get_customer("acme", customer_ref=ref)
    assert customer["customer_ref"] == ref
    assert customer["variables"]["order_id"]["value"] == "12345"

    # JSON text is passed as is; a replay answers the same.
    again = memory.start_call("acme", '{"call_id": "call_002", "identity_hints": {"ani": "+14155551234"},'
                                      ' "telco": {"line_type": "mobile"}}')
    assert again == second


def test_other_operations(memory: callmem.CallMemory) -> None:
    settings = memory.configure_tenant("acme", ttl_days=7)
    assert settings["ttl_days"] == 7
    assert memory.configure_tenant("acme")["ttl_days"] == 7
    assert memory.grant_credits("acme", amount=5, idempotency_key="k1")["balance"] == 5
    ref = memory.start_call("acme", start_request("c1"))["customer_ref"]
    assert memory.export_customer("acme", customer_ref=ref)["customer_ref"] == ref
    assert memory.usage("acme")["balance"] == 5
    assert memory.purge_expired(limit=100)["more"] is False
    feedback = memory.identity_feedback("acme", call_id="c1", outcome="confirmed")
    assert feedback["call_id"] == "c1"
    with pytest.raises(callmem.NotFound):
        memory.unmerge("acme", merge_id="no-such-merge")
    receipt = memory.forget_customer("acme", customer_ref=ref)
    assert receipt["customer_ref"] == ref and receipt["removed"]["calls"] == 1


def test_reading_tenant_settings_writes_nothing(db_path: str) -> None:
    with callmem.CallMemory(db_path) as memory:
        settings = memory.tenant_settings("fresh")
        assert settings["ttl_days"] == 30 and settings["identity"]["profile"] == "probabilistic"
        assert memory.configure_tenant("fresh") == settings  # an empty patch reads
        assert memory.configure_tenant("kept", ttl_days=30)["ttl_days"] == 30
        with pytest.raises(callmem.InvalidRequest) as info:
            memory.tenant_settings("no spaces")
        assert info.value.issues[0]["path"] == ["tenant"]
    # Opened with other defaults: the tenant never configured follows them; the configured keeps its own.
    with callmem.CallMemory(db_path, default_settings={"ttl_days": 9}) as memory:
        assert memory.tenant_settings("fresh")["ttl_days"] == 9
        assert memory.tenant_settings("kept")["ttl_days"] == 30


def test_invalid_request_carries_the_field_issues(memory: callmem.CallMemory) -> None:
    with pytest.raises(callmem.InvalidRequest) as info:
        memory.start_call("acme", call_id="c1", identity_hints={})
    e = info.value
    assert isinstance(e, callmem.CallmemError)
    assert e.status == callmem.Status.INVALID == -2 and e.http_status == 400
    assert e.issues == [{"path": ["identity_hints"],
                         "message": "identity_hints must include ani, external_ids, or customer_ref"}]
    assert e.document["error"] == "Bad Request" and e.document["details"]["issues"] == e.issues
    assert "identity_hints" in str(e)

    with pytest.raises(callmem.InvalidRequest) as info:
        memory.end_call("acme", call_id="c1", intent="x", intent_status="maybe")
    assert info.value.issues[0]["path"] == ["intent_status"]

    with pytest.raises(callmem.InvalidRequest) as info:
        memory.start_call("not a tenant!", start_request("c1"))
    assert info.value.issues[0]["path"] == ["tenant"]

    with pytest.raises(callmem.InvalidRequest) as info:
        memory.start_call("acme\0other", start_request("c1"))  # would be cut at the NUL by C
    assert info.value.issues[0]["path"] == ["tenant"]

    with pytest.raises(callmem.InvalidRequest):
        memory.start_call("acme", "{not json")


def test_not_found(memory: callmem.CallMemory) -> None:
    with pytest.raises(callmem.NotFound) as info:
        memory.get_customer("acme", customer_ref="00000000-0000-4000-8000-000000000000")
    assert info.value.status == callmem.Status.NOT_FOUND and info.value.http_status == 404
    assert info.value.issues == [] and info.value.document["error"] == "Not Found"


def test_conflict(memory: callmem.CallMemory) -> None:
    memory.start_call("acme", start_request("c1"))
    with pytest.raises(callmem.Conflict) as info:
        memory.start_call("acme", start_request("c1", ani="+14155550000"))
    assert info.value.status == callmem.Status.CONFLICT and info.value.http_status == 409


def test_insufficient_credits(memory: callmem.CallMemory) -> None:
    memory.configure_tenant("acme", billing={"enabled": True})
    with pytest.raises(callmem.InsufficientCredits) as info:
        memory.start_call("acme", start_request("c1"))
    assert info.value.status == callmem.Status.INSUFFICIENT_CREDITS and info.value.http_status == 402
    memory.grant_credits("acme", amount=1, idempotency_key="topup")
    assert memory.start_call("acme", start_request("c1"))["call_id"] == "c1"


def test_busy_while_another_connection_holds_the_write_lock(db_path: str) -> None:
    with callmem.CallMemory(db_path, busy_timeout_ms=50) as memory:
        memory.start_call("acme", start_request("c1"))
        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(callmem.Busy) as info:
                memory.start_call("acme", start_request("c2"))
            assert info.value.status == callmem.Status.BUSY and info.value.http_status == 503
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert memory.start_call("acme", start_request("c2"))["call_id"] == "c2"  # safe to retry


def test_store_error_on_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not an SQLite database, " * 256)
    with pytest.raises(callmem.StoreError) as info:
        callmem.CallMemory(path)
    assert info.value.status == callmem.Status.STORE and info.value.http_status == 500
    assert info.value.message


def test_threads_one_customer_for_one_new_number(db_path: str) -> None:
    threads, calls = 8, 12
    refs: list = []
    errors: list = []
    barrier = threading.Barrier(threads)
    with callmem.CallMemory(db_path, busy_timeout_ms=20000) as memory:
        def caller(t: int) -> None:
            try:
                barrier.wait()
                for i in range(calls):
                    call_id = f"t{t}-c{i}"
                    refs.append(memory.start_call("acme", start_request(call_id, ani="+14155559876"))["customer_ref"])
                    memory.end_call("acme", call_id=call_id, intent="billing", variables={"last": call_id})
            except Exception as e:  # reported below: an assertion in a thread would be lost
                errors.append(e)

        workers = [threading.Thread(target=caller, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert errors == []
        assert len(refs) == threads * calls
        assert len(set(refs)) == 1
        intents = memory.get_customer("acme", customer_ref=refs[0])["intents"]
        assert [(i["intent"], i["attempt_count"]) for i in intents] == [("billing", threads * calls)]


def test_close_twice_and_use_after_close(db_path: str) -> None:
    memory = callmem.CallMemory(db_path)
    memory.start_call("acme", start_request("c1"))
    memory.close()
    memory.close()  # a no-op
    assert memory.closed
    with pytest.raises(callmem.ClosedError) as info:
        memory.start_call("acme", start_request("c2"))
    assert isinstance(info.value, callmem.CallmemError) and info.value.status is None
    with pytest.raises(callmem.CallmemError):
        memory.purge_expired()


def test_context_manager_closes(db_path: str) -> None:
    with callmem.CallMemory(path=db_path) as memory:
        assert memory.start_call("acme", start_request("c1"))["call_id"] == "c1"
    assert memory.closed
    with pytest.raises(callmem.ClosedError):
        memory.get_customer("acme", identity_hints={"ani": "+14155551234"})
    # The data is on disk for the next one; the config may be given as a dict.
    with callmem.CallMemory({"path": db_path, "busy_timeout_ms": 1000}) as memory:
        assert memory.get_customer("acme", identity_hints={"ani": "+14155551234"})["customer_ref"]


def test_close_while_calls_run_waits_for_them(db_path: str) -> None:
    memory = callmem.CallMemory(db_path)
    stop = threading.Event()
    outcomes: list = []

    def caller(t: int) -> None:
        i = 0
        while not stop.is_set():
            try:
                memory.start_call("acme", start_request(f"t{t}-{i}", ani=f"+1415555{t:02}{i % 100:02}"))
                outcomes.append("ok")
            except callmem.ClosedError:
                outcomes.append("closed")
                return
            i += 1

    workers = [threading.Thread(target=caller, args=(t,)) for t in range(4)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 30
    while outcomes.count("ok") < 20 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert outcomes.count("ok") >= 20 and "closed" not in outcomes
    memory.close()  # waits for the calls in flight; the next ones raise
    stop.set()
    for w in workers:
        w.join()
    assert outcomes.count("closed") == 4
    assert set(outcomes) == {"ok", "closed"}


def test_open_with_bad_config_raises() -> None:
    with pytest.raises(callmem.InvalidRequest):
        callmem.CallMemory(path=":memory:", busy_timeout_ms="soon")


def test_every_header_function_is_declared() -> None:
    if not HEADER.exists():
        pytest.skip("not in a source tree")
    declared = set(re.findall(r"CALLMEM_API\s+[\w\s\*]+?\b(callmem_\w+)\s*\(", HEADER.read_text()))
    assert declared == set(_native.SIGNATURES)
    lib = _native.library()
    for name, (restype, argtypes) in _native.SIGNATURES.items():
        assert getattr(lib, name).argtypes == argtypes and getattr(lib, name).restype == restype


def test_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", callmem.version())


def test_library_found_next_to_the_package(tmp_path: Path) -> None:
    lib = Path(_native.library()._name).resolve()
    package = tmp_path / "callmem"
    shutil.copytree(Path(callmem.__file__).parent, package)
    shutil.copy(lib, package / "libcallmem.so.0")
    env = {k: v for k, v in os.environ.items() if k not in ("CALLMEM_LIBRARY", "LD_LIBRARY_PATH")}
    code = "import callmem; print(callmem._native.library()._name)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == str(package / "libcallmem.so.0")


def test_library_named_by_the_environment_must_exist(tmp_path: Path) -> None:
    env = dict(os.environ, CALLMEM_LIBRARY=str(tmp_path / "missing.so"))
    code = "import callmem; callmem.CallMemory(':memory:')"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "CALLMEM_LIBRARY" in result.stderr


def test_import_calls(memory: callmem.CallMemory) -> None:
    import datetime
    day = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    calls = [
        {"start": {"call_id": "h1", "identity_hints": {"ani": "+14155550101"}, "telco": {"line_type": "mobile"},
                   "at": f"{day}T09:00:00.000Z"},
         "end": {"intent": "refund_request", "variables": {"name": "Ann"}, "at": f"{day}T09:04:00.000Z"}},
        {"start": {"call_id": "h2", "identity_hints": {"ani": "+14155550101"}}},  # no "at": refused
    ]
    summary = memory.import_calls("acme", calls)
    assert summary["imported"] == 1 and summary["skipped"] == 0
    [bad] = summary["rejected"]
    assert bad["line"] == 2 and bad["call_id"] == "h2"
    assert bad["error"]["details"]["issues"][0]["path"] == ["start", "at"]
    # Again, as NDJSON text: already there.
    again = memory.import_calls("acme", json.dumps(calls[0]) + "\n", batch=10)
    assert again == {"imported": 0, "skipped": 1, "rejected": []}
    # The caller is known from the history on.
    r = memory.start_call("acme", call_id="live", identity_hints={"ani": "+14155550101"},
                          telco={"line_type": "mobile"})
    assert r["variables"]["name"]["value"] == "Ann"
    with pytest.raises(callmem.InvalidRequest):
        memory.import_calls("acme", "", batch=0)
